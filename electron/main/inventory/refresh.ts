/**
 * One refresh of a saved host over its long-lived connection: credentials, connect (a host key shown is remembered
 * for trusting), then VMs every time and facts when due, each within the host's time budget. What a host that stops
 * answering showed before is kept (refreshedAt says how old it is) while its state says why. Results that arrive
 * after the host was changed or removed are dropped.
 */
import type { FerryError } from '../../../shared/errors';
import { ferryError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { SshBackend } from './backend';
import { collectFacts, collectVms } from './collect';
import type { Credentials } from './credentials';
import type { PresentedKeys } from './probe';
import { setConnection, type Runtime } from './runtime';
import { connectionStateFor } from './states';
import { sshTargetOf } from './target';

export interface RefreshDeps {
  readonly credentials: Credentials;
  readonly backend: SshBackend;
  readonly clock: Clock;
  readonly connectTimeoutMs: number;
  readonly hostTimeoutMs: number;
  readonly factsIntervalMs: number;
  readonly iso: () => string;
  readonly presented: PresentedKeys;
  /** Announce what the host shows now (the service decides whether anything changed). */
  publish(rt: Runtime): void;
  /** The service was disposed: nothing more is done or announced. */
  disposed(): boolean;
  /** The runtime is still the one the service holds for its host (not removed, not replaced). */
  current(rt: Runtime): boolean;
}

/** One refresh of a host; answers whether facts were collected. */
export async function refreshHost(d: RefreshDeps, rt: Runtime, full: boolean): Promise<boolean> {
  if (d.disposed()) return false;
  const generation = rt.generation;
  const stale = (): boolean => d.disposed() || rt.generation !== generation || !d.current(rt);
  const cred = await d.credentials.resolve(rt.record.auth);
  if (stale()) return false;
  if (!cred.ok) {
    setConnection(rt, cred.problem.state === 'passphrase-needed' ? { state: 'passphrase-needed', reason: cred.problem.reason } : { state: 'auth-failed', reason: cred.problem.reason, ...(cred.problem.detail !== undefined ? { detail: cred.problem.detail } : {}) });
    d.publish(rt);
    return false;
  }
  // Only a host not tried yet shows "connecting": one that is connected, or failing for a known reason, keeps
  // its state while it is retried, so routine refreshes do not make the renderer flicker.
  if (rt.connection.state === 'idle') {
    setConnection(rt, { state: 'connecting', since: d.iso() });
    d.publish(rt);
  }
  const target = sshTargetOf(rt.record);
  const ctl = new AbortController();
  rt.abort = ctl;
  let timedOut = false;
  const timer = d.clock.setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, d.hostTimeoutMs);
  try {
    const c = await d.backend.connect(target, { timeoutMs: d.connectTimeoutMs, signal: ctl.signal });
    if (stale()) return false;
    if (!c.ok) {
      d.presented.note(rt.record, c.error);
      const e = timedOut ? ferryError('ssh.unreachable', `${rt.record.address}:${rt.record.port} did not answer within ${Math.round(d.hostTimeoutMs / 1000)} s.`, c.error.message) : c.error;
      setConnection(rt, connectionStateFor(e, 'connect') ?? { state: 'error', reason: e.message });
      d.publish(rt);
      return false;
    }
    rt.session ??= d.backend.session(target);
    const session = rt.session;
    const wantFacts =
      full || rt.facts === undefined || rt.factsAt === undefined || rt.connection.state !== 'connected' || d.clock.now() - rt.factsAt >= d.factsIntervalMs;
    const [facts, vms] = await Promise.all([
      wantFacts ? collectFacts(session, { signal: ctl.signal, now: d.iso }) : undefined,
      collectVms(session, { signal: ctl.signal }),
    ]);
    if (stale()) return false;
    if (facts?.ok) {
      rt.facts = facts.value;
      rt.factsAt = d.clock.now();
    }
    if (vms.ok) rt.vms = vms.value.vms;
    const failures = [facts === undefined || facts.ok ? undefined : facts.error, vms.ok ? undefined : vms.error].filter((e): e is FerryError => e !== undefined);
    const transport = failures.map((e) => connectionStateFor(e, 'command')).find((s) => s !== undefined);
    if (transport) {
      setConnection(rt, transport);
    } else {
      setConnection(rt, { state: 'connected', since: d.iso() });
      if (failures.length === 0) rt.refreshedAt = d.iso();
    }
    const problem = timedOut
      ? ferryError('command.timeout', `${rt.record.name} did not finish refreshing within ${Math.round(d.hostTimeoutMs / 1000)} s; what it showed before is kept.`)
      : (failures.find((e) => connectionStateFor(e, 'command') === undefined) ?? (vms.ok ? vms.value.partial : undefined));
    if (problem && !transport) rt.problem = problem.detail === undefined ? { message: problem.message } : { message: problem.message, detail: problem.detail };
    else delete rt.problem;
    d.publish(rt);
    return wantFacts;
  } finally {
    d.clock.clearTimeout(timer);
    if (rt.abort === ctl) delete rt.abort;
  }
}
