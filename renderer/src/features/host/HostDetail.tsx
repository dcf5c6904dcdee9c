/** A host's facts and its NICs (the ones a migration can use), as Ferry last read them. */
import { Fragment } from 'react';
import type { HostView, NicFact } from '../../../../shared/inventory/types';
import { formatBitsPerSecond } from '../../../../shared/units';
import { useFerry } from '../../store/react';
import { connectionBadge } from '../../view/connection';
import { formatAge, formatMemory, formatTimestamp } from '../../view/format';
import { useNow } from '../common/useNow';
import { formatJumpText } from '../../../../shared/inventory/jump';

function authLabel(h: HostView): string {
  const a = h.record.auth;
  if (a.kind === 'agent') return a.socketPath === undefined ? 'SSH agent' : `SSH agent (${a.socketPath})`;
  return `Key file ${a.keyPath}`;
}

export function HostDetail({ id }: { id: string }) {
  const host = useFerry((s) => s.inventory.hosts[id]);
  const now = useNow();
  if (host === undefined) return null;
  const f = host.facts;
  const badge = connectionBadge(host.connection);
  const rows: [string, string][] = [
    ['Connection', badge.reason === undefined ? badge.label : `${badge.label}: ${badge.reason}`],
    ['Hostname', f?.hostname ?? '—'],
    ['libvirt', f?.libvirtVersion ?? '—'],
    ['Hypervisor', f?.hypervisor ?? '—'],
    ['CPU model', f?.cpuModel ?? '—'],
    ['CPUs', f === undefined ? '—' : String(f.cpuCount)],
    ['Memory', formatMemory(f?.memoryBytes)],
    ['Last refresh', host.refreshedAt === undefined ? 'never' : `${formatTimestamp(host.refreshedAt)} (${formatAge(host.refreshedAt, now)})`],
    ['SSH', `${host.record.user}@${host.record.address}:${host.record.port}, ${authLabel(host)}${host.record.jump ? `, via ${formatJumpText(host.record.jump)}` : ''}`],
    ['Added', `${formatTimestamp(host.record.addedAt)}${host.record.source === 'ssh-config' ? ', from ~/.ssh/config' : ''}`],
  ];
  return (
    <section className="host-detail" role="region" aria-label="Host details">
      {f === undefined && <p className="empty-note">Ferry has not read this host’s facts yet.</p>}
      <dl className="facts">
        {rows.map(([k, v]) => (
          <div key={k} className="facts__row">
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <h3 className="section-title">Network interfaces</h3>
      {f === undefined ? (
        <p className="empty-note">Not read yet.</p>
      ) : f.nics.length === 0 ? (
        <p className="empty-note">The host reported no network interfaces.</p>
      ) : (
        <NicTable nics={f.nics} />
      )}
    </section>
  );
}

const ROLE_LABEL: Record<NicFact['role'], string> = { management: 'management (Ferry’s SSH)', migration: 'migration', other: 'other' };

function NicTable({ nics }: { nics: readonly NicFact[] }) {
  return (
    // Scrolls inside its own box when even wrapped addresses do not fit (a narrow window, many IPv6 addresses).
    <div className="table-scroll">
      <table className="table table--nics" aria-label="Migration NICs">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" className="num">
              MTU
            </th>
            <th scope="col" className="num">
              Speed
            </th>
            <th scope="col">State</th>
            <th scope="col">Addresses</th>
            <th scope="col">Role</th>
          </tr>
        </thead>
        <tbody>
          {nics.map((n) => (
            <tr key={n.name}>
              <td className="mono">{n.name}</td>
              <td className="num">{n.mtu}</td>
              <td className="num">{n.speedMbps === null ? <span className="muted">not reported</span> : formatBitsPerSecond(n.speedMbps)}</td>
              <td>
                <span className={`link-state link-state--${n.operState.toLowerCase()}`}>{n.operState}</span>
              </td>
              <td className="mono wrap">
                {n.addresses.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  // Lines break between addresses, never inside one.
                  n.addresses.map((a, i) => (
                    <Fragment key={a}>
                      {i > 0 && ', '}
                      <span className="nowrap">{a}</span>
                    </Fragment>
                  ))
                )}
              </td>
              <td className="wrap">{ROLE_LABEL[n.role]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
