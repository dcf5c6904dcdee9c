/**
 * The host's "Troubleshooting" tab (ferry.audit.troubleshoot): a VM's QEMU log tail in a scrollable pre, the kernel
 * log's recent messages about this host's NICs (errors marked), and the last domjobinfo samples of the most recent
 * failed migration from this host. Each part shows its own error when it could not be read.
 */
import { useId, useState, type ReactNode } from 'react';
import { auditTroubleshoot } from '../../../../shared/ipc/audit-contract';
import type { FerryError } from '../../../../shared/errors';
import type { FailedMigrationView, TroubleshootReport } from '../../../../shared/audit/troubleshoot';
import { formatBytes, formatBytesPerSecond, formatMilliseconds } from '../../../../shared/units';
import { ErrorBanner } from '../common/ErrorBanner';
import { PickerSelect, useVmOptions } from './pickers';
import { useApi } from '../../store/react';
import { formatTimestamp } from '../../view/format';
import './audit.css';
import { countOf, formatCount } from '../../../../shared/count';

const bannerOf = (e: FerryError) => ({ message: e.message, code: e.code, ...(e.detail === undefined ? {} : { detail: e.detail }) });

type RunState = { phase: 'idle' } | { phase: 'loading' } | { phase: 'done'; report: TroubleshootReport } | { phase: 'error'; error: FerryError };

export function TroubleshootPanel({ hostId }: { hostId: string }) {
  const api = useApi();
  const ids = useId();
  const vms = useVmOptions(hostId);
  const [vm, setVm] = useState('');
  const [state, setState] = useState<RunState>({ phase: 'idle' });
  const load = async () => {
    setState({ phase: 'loading' });
    const r = await api.invoke(auditTroubleshoot, { hostId, ...(vm === '' ? {} : { vm }) });
    setState(r.ok ? { phase: 'done', report: r.value } : { phase: 'error', error: r.error });
  };
  return (
    <section className="network-panel audit troubleshoot" aria-label="Troubleshooting" data-host={hostId}>
      <div className="audit__controls">
        <div className="audit__field">
          <label htmlFor={`${ids}-vm`}>VM</label>
          <PickerSelect id={`${ids}-vm`} value={vm} onChange={setVm} disabled={state.phase === 'loading'} none="None (no QEMU log)" options={vms} />
        </div>
        <button type="button" className="button button--primary" onClick={() => void load()} disabled={state.phase === 'loading'}>
          {state.phase === 'loading' ? 'Reading…' : 'Show logs'}
        </button>
      </div>
      {state.phase === 'idle' && <p className="empty-note">Shows a VM’s QEMU log, the kernel’s messages about this host’s NICs, and the last samples of the most recent failed migration from this host.</p>}
      {state.phase === 'error' && <ErrorBanner {...bannerOf(state.error)} />}
      {state.phase === 'done' && <Report report={state.report} />}
    </section>
  );
}

function Part<T>({ title, part, children }: { title: string; part: { ok: true; value: T } | { ok: false; error: FerryError }; children: (v: T) => ReactNode }) {
  return (
    <section className="audit-group" aria-label={title}>
      <h3>{title}</h3>
      <div style={{ padding: '6px 10px' }}>{part.ok ? children(part.value) : <ErrorBanner {...bannerOf(part.error)} />}</div>
    </section>
  );
}

function Report({ report }: { report: TroubleshootReport }) {
  return (
    <>
      {report.log !== undefined && (
        <Part title="QEMU log" part={report.log}>
          {(log) =>
            log.exists ? (
              <>
                <p className="muted">
                  Last {countOf(log.lines.length, 'line')} of <code>{log.path}</code>
                </p>
                <pre className="troubleshoot__log" tabIndex={0} aria-label={`QEMU log of ${log.vm}`}>
                  {log.lines.join('\n')}
                </pre>
              </>
            ) : (
              <p className="empty-note">
                No log at <code>{log.path}</code>: libvirt has not started {log.vm} on this host since its logs were cleared.
              </p>
            )
          }
        </Part>
      )}
      <Part title="NIC errors in the kernel log" part={report.nicErrors}>
        {(n) =>
          n.lines.length === 0 ? (
            <p className="empty-note">No kernel message names {n.nics.length === 0 ? 'a NIC of this host' : n.nics.join(', ')} or their drivers.</p>
          ) : (
            <table className="table" aria-label="Kernel messages about NICs">
              <thead>
                <tr>
                  <th scope="col">NIC</th>
                  <th scope="col">Level</th>
                  <th scope="col" className="num">
                    Seconds since boot
                  </th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {n.lines.map((l, i) => (
                  <tr key={i} className={l.serious ? 'troubleshoot__serious' : undefined}>
                    <td className="mono">{l.nic}</td>
                    <td>{l.level}</td>
                    <td className="num">{l.seconds === undefined ? '—' : l.seconds.toFixed(3)}</td>
                    <td className="mono">{l.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Part>
      <Part title="Last failed migration" part={report.failedMigration}>
        {(m) => (m === null ? <p className="empty-note">No failed migration from this host{report.vm === undefined ? '' : ` of ${report.vm}`} in Ferry’s history.</p> : <FailedMigration m={m} />)}
      </Part>
    </>
  );
}

const opt = <T,>(v: T | undefined, f: (x: T) => string) => (v === undefined ? '—' : f(v));

function FailedMigration({ m }: { m: FailedMigrationView }) {
  return (
    <>
      <p>
        <strong>{m.vm}</strong> → {m.destination}
        {m.startedAt === undefined ? '' : `, started ${formatTimestamp(new Date(m.startedAt).toISOString())}`}: {m.message}
      </p>
      {m.error?.detail !== undefined && <pre className="troubleshoot__log">{m.error.detail}</pre>}
      {m.samples.length === 0 ? (
        <p className="empty-note">The migration failed before its first sample.</p>
      ) : (
        <table className="table" aria-label="Last samples of the failed migration">
          <caption className="muted">
            Last {formatCount(m.samples.length)} of {countOf(m.totalSamples, 'sample')}
          </caption>
          <thead>
            <tr>
              <th scope="col" className="num">#</th>
              <th scope="col" className="num">Elapsed</th>
              <th scope="col" className="num">Pass</th>
              <th scope="col" className="num">Processed</th>
              <th scope="col" className="num">Remaining</th>
              <th scope="col" className="num">Bandwidth</th>
              <th scope="col" className="num">Dirty rate</th>
              <th scope="col" className="num">Expected downtime</th>
            </tr>
          </thead>
          <tbody>
            {m.samples.map((s) => (
              <tr key={s.seq}>
                <td className="num">{s.seq}</td>
                {s.error !== undefined ? (
                  <td colSpan={7}>{s.error}</td>
                ) : (
                  <>
                    <td className="num">{opt(s.elapsedMs, formatMilliseconds)}</td>
                    <td className="num">{opt(s.iteration, String)}</td>
                    <td className="num">{opt(s.dataProcessedBytes, (b) => formatBytes(b))}</td>
                    <td className="num">{opt(s.dataRemainingBytes, (b) => formatBytes(b))}</td>
                    <td className="num">{opt(s.bandwidthBytesPerSecond, (b) => formatBytesPerSecond(b))}</td>
                    <td className="num">{opt(s.dirtyRateBytesPerSecond, (b) => formatBytesPerSecond(b))}</td>
                    <td className="num">{opt(s.expectedDowntimeMs, formatMilliseconds)}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
