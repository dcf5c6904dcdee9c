/**
 * The host's "Tuning" tab: pick a peer host (and, optionally, figures Ferry cannot measure), "Plan" reads the host and
 * shows the dry-run diff (current -> proposed, why, the exact commands), tick the changes, "Apply…" asks for a
 * confirmation listing every command, then shows each change's verified value; the history lists change sets, each
 * with "Undo". Nothing changes on the host before the confirmation.
 */
import { useCallback, useEffect, useId, useState } from 'react';
import { tuningApply, tuningHistory, tuningPlan, tuningUndo } from '../../../../shared/ipc/tuning-contract';
import type { FerryError } from '../../../../shared/errors';
import type { ChangeSetSummary, TuningPlan, TuningRunResult } from '../../../../shared/tuning/types';
import { useApi, useFerry } from '../../store/react';
import { ErrorBanner } from '../common/ErrorBanner';
import { PickerSelect, usePeerOptions } from './pickers';
import { ApplyConfirm } from './tuning/ApplyConfirm';
import { PlanView } from './tuning/PlanView';
import { RunResult } from './tuning/RunResult';
import { TuningHistory } from './tuning/TuningHistory';
import './tuning/tuning.css';

const bannerOf = (e: FerryError) => ({ message: e.message, code: e.code, ...(e.detail === undefined ? {} : { detail: e.detail }) });

/** A positive number typed in a field, or undefined when empty; NaN when it is not a number (refused). */
function figure(text: string): number | undefined {
  const t = text.trim();
  return t === '' ? undefined : Number(t);
}

type Busy = 'planning' | 'applying' | 'undoing' | undefined;

export function TuningPanel({ hostId }: { hostId: string }) {
  const api = useApi();
  const ids = useId();
  const hostName = useFerry((s) => s.inventory.hosts[hostId]?.record.name ?? hostId);
  const peers = usePeerOptions(hostId);
  const [peerId, setPeerId] = useState('');
  const [pathMtu, setPathMtu] = useState('');
  const [rtt, setRtt] = useState('');
  const [speed, setSpeed] = useState('');
  const [plan, setPlan] = useState<TuningPlan | undefined>();
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [persist, setPersist] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState<Busy>();
  const [error, setError] = useState<FerryError | undefined>();
  const [result, setResult] = useState<TuningRunResult | undefined>();
  const [history, setHistory] = useState<readonly ChangeSetSummary[]>([]);

  const loadHistory = useCallback(async () => {
    const r = await api.invoke(tuningHistory, { hostId });
    if (r.ok) setHistory(r.value);
    else setError(r.error);
  }, [api, hostId]);

  useEffect(() => {
    void loadHistory();
  }, [loadHistory]);

  const figures = { pathMtuBytes: figure(pathMtu), rttMs: figure(rtt), linkSpeedMbps: figure(speed) };
  const badFigure = Object.entries(figures).find(([, v]) => v !== undefined && !(Number.isFinite(v) && v > 0));

  const doPlan = async () => {
    setBusy('planning');
    setError(undefined);
    setResult(undefined);
    const input = {
      hostId,
      ...(peerId === '' ? {} : { peerHostId: peerId }),
      ...(figures.pathMtuBytes === undefined ? {} : { pathMtuBytes: figures.pathMtuBytes }),
      ...(figures.rttMs === undefined ? {} : { rttMs: figures.rttMs }),
      ...(figures.linkSpeedMbps === undefined ? {} : { linkSpeedMbps: figures.linkSpeedMbps }),
    };
    const r = await api.invoke(tuningPlan, input);
    setBusy(undefined);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setPlan(r.value);
    setChosen(new Set(r.value.changes.filter((c) => c.blocked === undefined).map((c) => c.id)));
  };

  const doApply = async () => {
    if (plan === undefined) return;
    setConfirming(false);
    setBusy('applying');
    setError(undefined);
    const r = await api.invoke(tuningApply, { hostId, planId: plan.id, changeIds: [...chosen], persist });
    setBusy(undefined);
    if (r.ok) {
      setResult(r.value);
      // The plan's "current" values are now stale: plan again before another apply.
      setPlan(undefined);
    } else setError(r.error);
    await loadHistory();
  };

  const doUndo = async (changeSetId: string) => {
    setBusy('undoing');
    setError(undefined);
    const r = await api.invoke(tuningUndo, { hostId, changeSetId });
    setBusy(undefined);
    if (r.ok) {
      setResult(r.value);
      setPlan(undefined);
    } else setError(r.error);
    await loadHistory();
  };

  const toggle = (id: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(id);
    else next.delete(id);
    setChosen(next);
  };

  const chosenSysctls = plan?.changes.some((c) => chosen.has(c.id) && c.kind === 'sysctl') ?? false;

  return (
    <section className="network-panel tuning" aria-label="Tuning" data-host={hostId}>
      <div className="tuning__controls">
        <label htmlFor={`${ids}-peer`}>
          Peer host
          <PickerSelect id={`${ids}-peer`} value={peerId} onChange={setPeerId} disabled={busy !== undefined} none="None (no MTU; buffers need an RTT)" options={peers} />
        </label>
        <label htmlFor={`${ids}-mtu`}>
          Path MTU (bytes, if known)
          <input id={`${ids}-mtu`} className="input tuning__num" inputMode="numeric" value={pathMtu} onChange={(e) => setPathMtu(e.target.value)} placeholder="measured" />
        </label>
        <label htmlFor={`${ids}-rtt`}>
          RTT (ms)
          <input id={`${ids}-rtt`} className="input tuning__num" inputMode="decimal" value={rtt} onChange={(e) => setRtt(e.target.value)} placeholder="measured" />
        </label>
        <label htmlFor={`${ids}-speed`}>
          Link speed (Mbit/s)
          <input id={`${ids}-speed`} className="input tuning__num" inputMode="numeric" value={speed} onChange={(e) => setSpeed(e.target.value)} placeholder="from ethtool" />
        </label>
        <button type="button" className="button button--primary" onClick={() => void doPlan()} disabled={busy !== undefined || badFigure !== undefined}>
          {busy === 'planning' ? 'Planning…' : 'Plan'}
        </button>
      </div>
      {badFigure !== undefined && <p className="field__error">Figures must be positive numbers.</p>}
      {plan === undefined && result === undefined && busy === undefined && (
        <p className="empty-note">
          Plans the network tuning of {hostName} for live migration: rings, offloads, MTU 9000 (only when every hop to the peer carries it) and TCP buffers against the bandwidth-delay product. Nothing is changed before you confirm.
        </p>
      )}
      {busy !== undefined && busy !== 'planning' && (
        <p className="muted" role="status">
          {busy === 'applying' ? 'Applying and reading back…' : 'Undoing and reading back…'}
        </p>
      )}
      {error && <ErrorBanner {...bannerOf(error)} onDismiss={() => setError(undefined)} />}
      {result && <RunResult result={result} />}
      {plan && (
        <PlanView plan={plan} chosen={chosen} onToggle={toggle} disabled={busy !== undefined}>
          <label className="checkbox">
            <input type="checkbox" checked={persist} onChange={(e) => setPersist(e.target.checked)} disabled={busy !== undefined} />
            Persist sysctls in {plan.sysctlFile}
            {persist && !chosenSysctls ? ' (no sysctl chosen)' : ''}
          </label>
          <button type="button" className="button button--primary" onClick={() => setConfirming(true)} disabled={busy !== undefined || chosen.size === 0}>
            Apply…
          </button>
        </PlanView>
      )}
      {confirming && plan && (
        <ApplyConfirm plan={plan} chosen={chosen} persist={persist && chosenSysctls} onCancel={() => setConfirming(false)} onConfirm={() => void doApply()} />
      )}
      <TuningHistory history={history} busy={busy !== undefined} onUndo={(id) => void doUndo(id)} />
    </section>
  );
}
