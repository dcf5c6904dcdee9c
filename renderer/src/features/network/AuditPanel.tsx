/**
 * The host's "Readiness audit" tab: pick a peer host (for the migration network and the TCP buffers against the
 * bandwidth-delay product) and a VM (for CPU pinning and storage latency), run the audit (ferry.audit.host), and read
 * the findings grouped by concern, each with its status, its facts and its fix. "Not supported" is shown as such.
 */
import { useId, useState } from 'react';
import { auditHost } from '../../../../shared/ipc/audit-contract';
import type { FerryError } from '../../../../shared/errors';
import type { Finding, HostAudit } from '../../../../shared/audit/types';
import { groupFindings, STATUS_LABEL, statusCounts } from '../../../../shared/audit/view';
import { formatBitsPerSecond, formatBytes, formatMilliseconds } from '../../../../shared/units';
import { useApi, useFerry } from '../../store/react';
import { ErrorBanner } from '../common/ErrorBanner';
import { PickerSelect, usePeerOptions, useVmOptions } from './pickers';
import './audit.css';
import { countOf } from '../../../../shared/count';

const bannerOf = (e: FerryError) => ({ message: e.message, code: e.code, ...(e.detail === undefined ? {} : { detail: e.detail }) });

type RunState = { phase: 'idle' } | { phase: 'running' } | { phase: 'done'; audit: HostAudit } | { phase: 'error'; error: FerryError };

export function AuditPanel({ hostId }: { hostId: string }) {
  const api = useApi();
  const ids = useId();
  const hostName = useFerry((s) => s.inventory.hosts[hostId]?.record.name ?? hostId);
  // Host views are the store's own objects, so the shallow comparison holds (new {id, name} objects would not).
  const peers = usePeerOptions(hostId);
  const vms = useVmOptions(hostId);
  const [peerId, setPeerId] = useState('');
  const [vm, setVm] = useState('');
  const [state, setState] = useState<RunState>({ phase: 'idle' });

  const run = async () => {
    setState({ phase: 'running' });
    const r = await api.invoke(auditHost, { hostId, ...(peerId === '' ? {} : { peerHostId: peerId }), ...(vm === '' ? {} : { vm }) });
    setState(r.ok ? { phase: 'done', audit: r.value } : { phase: 'error', error: r.error });
  };

  return (
    <section className="network-panel audit" aria-label="Readiness audit" data-host={hostId}>
      <div className="audit__controls">
        <div className="audit__field">
          <label htmlFor={`${ids}-peer`}>Peer host</label>
          <PickerSelect id={`${ids}-peer`} value={peerId} onChange={setPeerId} disabled={state.phase === 'running'} none="None (skip network and TCP checks)" options={peers} />
        </div>
        <div className="audit__field">
          <label htmlFor={`${ids}-vm`}>VM</label>
          <PickerSelect id={`${ids}-vm`} value={vm} onChange={setVm} disabled={state.phase === 'running'} none="None (skip CPU pinning and storage)" options={vms} />
        </div>
        <button type="button" className="button button--primary" onClick={() => void run()} disabled={state.phase === 'running'}>
          {state.phase === 'running' ? 'Auditing…' : 'Run audit'}
        </button>
      </div>
      {state.phase === 'idle' && <p className="empty-note">Audits {hostName}’s NICs, kernel buffers, clock and bonds; with a peer host, the migration network and the TCP buffers against the measured bandwidth-delay product; with a VM, its CPU pinning and the latency of the storage behind its disks. Nothing is changed on the host.</p>}
      {state.phase === 'running' && (
        <p className="muted" role="status">
          Reading {hostName}…
        </p>
      )}
      {state.phase === 'error' && <ErrorBanner {...bannerOf(state.error)} />}
      {state.phase === 'done' && <AuditResult audit={state.audit} />}
    </section>
  );
}

function AuditResult({ audit }: { audit: HostAudit }) {
  const counts = statusCounts(audit.findings);
  const f = audit.figures;
  return (
    <div role="region" aria-label="Audit findings">
      <p className="audit__summary" role="status">
        <span>
          {audit.host.name}
          {audit.peer === undefined ? '' : ` → ${audit.peer.name}`}
          {audit.vm === undefined ? '' : `, VM ${audit.vm}`}: {countOf(audit.findings.length, 'finding')} in {formatMilliseconds(audit.durationMs)}
        </span>
        {(['fail', 'warn', 'unsupported', 'pass'] as const).map((s) => (
          <span key={s} className={`audit-status audit-status--${s}`}>
            {counts[s]} {STATUS_LABEL[s]}
          </span>
        ))}
      </p>
      {f.rttMs !== undefined && (
        <p className="audit__figures" aria-label="Bandwidth-delay product">
          RTT {f.rttMs.toFixed(3)} ms to {f.rttTarget}
          {f.linkMbps === undefined ? '' : ` × ${formatBitsPerSecond(f.linkMbps)} on ${f.linkNic ?? '?'}`}
          {f.bdpBytes === undefined ? '' : ` = bandwidth-delay product ${formatBytes(f.bdpBytes)}`}
        </p>
      )}
      {groupFindings(audit).map((g) => (
        <section key={g.id} className="audit-group" aria-label={g.title}>
          <h3>
            <span>{g.title}</span>
            {g.worst !== undefined && <span className={`audit-status audit-status--${g.worst}`}>{STATUS_LABEL[g.worst]}</span>}
          </h3>
          {g.findings.length > 0 && (
            <ul className="audit-findings">
              {g.findings.map((x) => (
                <FindingRow key={x.id} f={x} />
              ))}
            </ul>
          )}
          {g.skipped.map((s) => (
            <p key={s.concern} className="audit-skipped">
              Not run: {s.reason}
            </p>
          ))}
        </section>
      ))}
    </div>
  );
}

function FindingRow({ f }: { f: Finding }) {
  return (
    <li className="audit-finding" aria-label={`${f.title}: ${STATUS_LABEL[f.status]}`} data-status={f.status} data-finding={f.id}>
      <span className={`audit-status audit-status--${f.status}`}>{STATUS_LABEL[f.status]}</span>
      <div className="audit-finding__body">
        <strong>{f.title}</strong>
        <div className="audit-finding__message">{f.message}</div>
        {f.fix !== undefined && <div className="audit-finding__fix">Fix: {f.fix}</div>}
        {f.detail !== undefined && (
          <details>
            <summary>Evidence</summary>
            <pre>{f.detail}</pre>
          </details>
        )}
      </div>
    </li>
  );
}
