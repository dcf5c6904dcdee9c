/**
 * The host's "Network path" tab: pick the other host (or type an address), run the path check (ferry.path.check),
 * and read the flags with their fixes, then each route: both ends' interfaces side by side, the DF search (largest
 * packet that passed, probes, rounds), the hops with what each link carries and the hop that clips the path; and
 * the migration ports, open / refused (reachable) / filtered.
 */
import { useId, useState } from 'react';
import { pathCheck } from '../../../../shared/ipc/path-contract';
import type { FerryError } from '../../../../shared/errors';
import type { PathFlag, PathInterface, PathReport, PathRoute, PortsReport } from '../../../../shared/network/path-report';
import { portRanges } from '../../../../shared/network/path-analysis';
import { useApi, useFerry } from '../../store/react';
import { ErrorBanner } from '../common/ErrorBanner';
import { PickerSelect, usePeerOptions } from './pickers';
import './path.css';
import { countOf } from '../../../../shared/count';

type RunState = { phase: 'idle' } | { phase: 'running' } | { phase: 'done'; report: PathReport } | { phase: 'error'; error: FerryError };

const ADDRESS = /^[0-9A-Fa-f.:]*$/;

export function PathPanel({ hostId }: { hostId: string }) {
  const api = useApi();
  const ids = useId();
  const hostName = useFerry((s) => s.inventory.hosts[hostId]?.record.name ?? hostId);
  const peers = usePeerOptions(hostId);
  const [peerId, setPeerId] = useState('');
  const [address, setAddress] = useState('');
  const [state, setState] = useState<RunState>({ phase: 'idle' });
  const badAddress = !ADDRESS.test(address.trim());

  const run = async () => {
    if (peerId === '' || badAddress) return;
    setState({ phase: 'running' });
    const a = address.trim();
    const r = await api.invoke(pathCheck, { sourceHostId: hostId, destinationHostId: peerId, ...(a === '' ? {} : { address: a }) });
    setState(r.ok ? { phase: 'done', report: r.value } : { phase: 'error', error: r.error });
  };

  return (
    <section className="network-panel path" aria-label="Network path" data-host={hostId}>
      <form
        className="path__controls"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label htmlFor={`${ids}-peer`}>
          From {hostName} to
          <PickerSelect id={`${ids}-peer`} aria-label="Other host" value={peerId} onChange={setPeerId} disabled={state.phase === 'running'} none="Choose a host…" options={peers} />
        </label>
        <label htmlFor={`${ids}-address`}>
          Address (optional)
          <input
            id={`${ids}-address`}
            className="input mono"
            value={address}
            placeholder="its management and migration addresses"
            aria-label="Address to probe"
            aria-invalid={badAddress}
            onChange={(e) => setAddress(e.target.value)}
            disabled={state.phase === 'running'}
          />
        </label>
        <button type="submit" className="button button--primary" disabled={peerId === '' || badAddress || state.phase === 'running'}>
          {state.phase === 'running' ? 'Checking…' : 'Check path'}
        </button>
      </form>
      {badAddress && <p className="path__hint">An address to probe is an IPv4 or IPv6 address.</p>}
      {state.phase === 'idle' && <p className="empty-note">Choose the other host of a migration: Ferry probes the path with don't-fragment pings and tracepath, and the migration ports. Nothing is changed on the hosts.</p>}
      {state.phase === 'running' && (
        <p className="empty-note" role="status">
          Probing the path from {hostName}…
        </p>
      )}
      {state.phase === 'error' && <ErrorBanner message={state.error.message} code={state.error.code} {...(state.error.detail !== undefined ? { detail: state.error.detail } : {})} />}
      {state.phase === 'done' && <ReportView report={state.report} />}
    </section>
  );
}

function ReportView({ report }: { report: PathReport }) {
  const worst = report.flags[0]?.severity;
  return (
    <div className="path__report">
      <p className="path__summary" role="status" aria-label="Check summary">
        {report.source.name} → {report.destination.name}: checked in {(report.durationMs / 1000).toFixed(1)} s with {countOf(report.probeCount, 'DF probe')};{' '}
        {report.flags.length === 0 ? 'nothing to flag' : `${countOf(report.flags.length, 'flag')}${worst ? ` (worst: ${worst})` : ''}`}.
      </p>
      <Flags flags={report.flags} />
      {report.routes.map((r) => (
        <RouteView key={`${r.kind}-${r.target}`} route={r} source={report.source.name} destination={report.destination.name} />
      ))}
      {report.ports && <PortsView ports={report.ports} />}
    </div>
  );
}

const SEVERITY_LABEL = { error: 'Error', warning: 'Warning', info: 'Note' } as const;

function Flags({ flags }: { flags: readonly PathFlag[] }) {
  if (flags.length === 0) return null;
  return (
    <ul className="path-flags" aria-label="Flags">
      {flags.map((f, i) => (
        <li key={`${f.id}-${f.route ?? ''}-${i}`} className={`path-flag path-flag--${f.severity}`} aria-label={f.title}>
          <span className={`path-severity path-severity--${f.severity}`}>{SEVERITY_LABEL[f.severity]}</span>
          <div className="path-flag__body">
            <strong>{f.title}</strong>
            {f.route && <span className="path-flag__route"> ({f.route} route)</span>}
            <p className="path-flag__facts">{f.facts}</p>
            <p className="path-flag__fix">
              <span className="path-flag__label">Fix: </span>
              {f.fix}
            </p>
          </div>
        </li>
      ))}
    </ul>
  );
}

const ROUTE_TITLE = { management: 'Management address', migration: 'Migration network', given: 'Address' } as const;

function speed(i: PathInterface): string {
  if (i.speedMbps === undefined) return 'not read';
  if (i.speedMbps === null) return 'not reported by the driver';
  return i.speedMbps >= 1000 ? `${i.speedMbps / 1000} Gb/s` : `${i.speedMbps} Mb/s`;
}

function state(i: PathInterface): string {
  if (!i.adminUp) return 'down (administratively)';
  if (!i.carrier) return 'up, no carrier';
  return i.operState;
}

const ROWS: readonly (readonly [string, (i: PathInterface) => string])[] = [
  ['Interface', (i) => i.name],
  ['MTU', (i) => String(i.mtu)],
  ['Speed', speed],
  ['State', state],
  ['Address', (i) => i.address ?? '—'],
  ['Next hop', (i) => i.gateway ?? 'directly connected'],
  ['Learnt path MTU', (i) => (i.cachedPmtu === undefined ? 'none' : `${i.cachedPmtu}${i.cachedPmtuExpiresSeconds !== undefined ? ` (expires in ${i.cachedPmtuExpiresSeconds} s)` : ''}`)],
];

function RouteView({ route, source, destination }: { route: PathRoute; source: string; destination: string }) {
  const pm = route.pmtu;
  return (
    <section className="path-route" aria-label={`${ROUTE_TITLE[route.kind]} ${route.target}`}>
      <h3>
        {ROUTE_TITLE[route.kind]} <span className="mono">{route.target}</span>
      </h3>
      <table className="table path-sides" aria-label="Interfaces">
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">{source}</th>
            <th scope="col">{destination}</th>
          </tr>
        </thead>
        <tbody>
          {ROWS.map(([label, cell]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{route.source ? cell(route.source) : 'unknown'}</td>
              <td>{route.destination ? cell(route.destination) : 'unknown'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pm && (
        <p className="path-route__pmtu" aria-label="Path MTU">
          {pm.largestPassing === undefined
            ? `No DF probe got through (${countOf(pm.probes.length, 'probe')}).`
            : `Largest DF packet that passes: ${pm.largestPassing} bytes${pm.exact ? '' : ` (the limit lies below ${pm.smallestFailing ?? '?'})`}${pm.failure ? `; larger ones ${FAILURE[pm.failure]}` : ''}. ${countOf(pm.probes.length, 'probe')} in ${countOf(pm.rounds, 'round')}${pm.rttMs !== undefined ? `, round trip ${pm.rttMs.toFixed(2)} ms` : ''}.`}
        </p>
      )}
      {route.clip && (
        <p className={`path-route__clip path-route__clip--${route.clip.how}`} aria-label="Where the path MTU drops">
          Path MTU drops to {route.clip.mtu}: {route.clip.where}.
        </p>
      )}
      <Hops route={route} />
      {route.problems.map((p, i) => (
        <ErrorBanner key={i} tone="warning" message={p.message} code={p.code} {...(p.detail !== undefined ? { detail: p.detail } : {})} />
      ))}
    </section>
  );
}

const FAILURE = {
  'frag-needed': 'are refused by a router that says so (ICMP "fragmentation needed")',
  'too-big': 'are refused by the source itself (a path MTU it learnt earlier)',
  lost: 'vanish without an answer',
  unreachable: 'come back "unreachable"',
} as const;

function Hops({ route }: { route: PathRoute }) {
  if (route.hops.length === 0) return null;
  const clipHop = route.clip?.hop;
  return (
    <table className="table path-hops" aria-label="Hops">
      <thead>
        <tr>
          <th scope="col">Hop</th>
          <th scope="col">Address</th>
          <th scope="col">Name</th>
          <th scope="col">Link MTU</th>
          <th scope="col">RTT</th>
        </tr>
      </thead>
      <tbody>
        {route.hops.map((h) => (
          <tr key={h.hop} className={clipHop === h.hop ? 'path-hops__clip' : undefined} aria-current={clipHop === h.hop ? 'location' : undefined}>
            <td>{h.hop}</td>
            <td className="mono">{h.address ?? 'no reply'}</td>
            <td>{h.name ?? '—'}</td>
            <td>{h.linkMtu ?? (h.dropsAbove !== undefined ? `larger than ${h.dropsAbove} vanish` : '—')}</td>
            <td>{h.rttMs === undefined ? '—' : `${h.rttMs.toFixed(3)} ms`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PortsView({ ports }: { ports: PortsReport }) {
  const m = ports.migration;
  const rows: [string, readonly number[]][] = [
    ['open', m.open],
    ['refused (reachable, nothing listening)', m.refused],
    ['filtered (timed out)', m.timeout],
    ['unreachable', m.unreachable],
    ['probe failed', m.error],
  ];
  return (
    <section className="path-ports" aria-label="Migration ports">
      <h3>
        Migration ports {ports.min}-{ports.max} toward <span className="mono">{ports.target}</span>
      </h3>
      {ports.problem && <ErrorBanner tone="warning" message={ports.problem.message} code={ports.problem.code} />}
      <ul className="path-ports__list">
        {rows
          .filter(([, list]) => list.length > 0)
          .map(([label, list]) => (
            <li key={label}>
              {list.length} {label}: <span className="mono">{portRanges(list)}</span>
            </li>
          ))}
        {ports.libvirt.map((p) => (
          <li key={p.port}>
            libvirt {p.port === 16514 ? 'TLS' : 'TCP'} {p.port}: {p.state}
          </li>
        ))}
      </ul>
      <p className="path__hint">Range from {ports.rangeFrom === 'qemu.conf' ? "the destination's qemu.conf" : "libvirt's default"}; {countOf(ports.probeCount, 'port')} probed from the source at once.</p>
    </section>
  );
}
