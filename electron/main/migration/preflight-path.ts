/**
 * Pre-flight's measurement of the path toward the address migrated to: the path check of the network path view
 * (DF probes, tracepath, the hop that clips it), with its flags, for the MTU check of preflight.ts.
 */
import { countOf } from '../../../shared/count';
import type { CommandRunner } from '../remote/run-command';
import { runPathCheck } from '../network/path-check';
import type { PathFlag, PathRoute } from '../../../shared/network/path-report';
import type { PreflightDeps, PreflightHost } from './preflight';

export interface MeasuredPath {
  readonly route?: PathRoute;
  readonly flags: readonly PathFlag[];
  /** Why the path could not be measured (the probes could not run); the MTU facts still stand. */
  readonly unavailable?: string;
}

export interface PathProbeContext {
  readonly source: PreflightHost;
  readonly destination: PreflightHost;
  readonly exec: PreflightDeps['exec'];
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

/** The path check of the network path view (electron/main/network/path-check.ts), toward the address migrated to. */
export async function measurePath(c: PathProbeContext, toward: string): Promise<MeasuredPath> {
  const { source, destination } = c;
  const runner = (h: PreflightHost): CommandRunner => ({
    run: (argv, o) => c.exec(h.target, argv, { timeoutMs: o.timeoutMs, signal: o.signal ?? c.signal }),
  });
  const names = new Map([
    [source.address, source.name],
    [destination.address, destination.name],
  ]);
  const r = await runPathCheck(
    {
      source: { id: source.name, name: source.name, runner: runner(source) },
      destination: { id: destination.name, name: destination.name, runner: runner(destination) },
      managementAddress: toward,
      address: toward,
      ports: false,
      names,
    },
    { now: () => performance.now(), wallClock: c.now ?? Date.now, signal: c.signal },
  );
  if (!r.ok) return { flags: [], unavailable: r.error.message };
  const route = r.value.routes[0];
  const first = route?.pmtu?.probes[0];
  if (route === undefined || first === undefined || first.outcome === 'error') {
    return { flags: [], unavailable: first?.error ?? route?.problems[0]?.message ?? 'no probe ran' };
  }
  return { route, flags: r.value.flags.filter((f) => f.id !== 'nic-mtu-mismatch') };
}

export function pathSentence(p: MeasuredPath): string {
  if (p.unavailable !== undefined) return ` (The path itself could not be probed: ${p.unavailable})`;
  const pm = p.route?.pmtu;
  if (pm?.largestPassing === undefined) return ` ${p.flags[0]?.facts ?? ''}`.trimEnd();
  const hop = p.route?.clip ? ` ${p.route.clip.where}.` : '';
  return ` The largest DF packet that passes is ${pm.largestPassing} bytes (${countOf(pm.probes.length, 'probe')}).${hop}`;
}

export function pathDetail(p: MeasuredPath): string | undefined {
  if (p.route?.pmtu === undefined) return undefined;
  const probes = p.route.pmtu.probes.map((x) => `${x.packetBytes}${x.ttl !== undefined ? ` ttl ${x.ttl}` : ''}: ${x.outcome}${x.from ? ` from ${x.from}` : ''}${x.mtu !== undefined ? ` (mtu ${x.mtu})` : ''}`);
  const hops = p.route.hops.map((h) => `hop ${h.hop}: ${h.name ? `${h.name} (${h.address ?? '?'})` : (h.address ?? 'no reply')}${h.linkMtu !== undefined ? `, link ${h.linkMtu}` : ''}`);
  return [...probes, ...hops].join('\n');
}

