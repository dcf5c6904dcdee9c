/**
 * Pre-flight's measurement of the path toward the address migrated to: the path check of the network path view
 * (DF probes, tracepath, the hop that clips it), with its flags, for the MTU check (the rule that reads them is
 * shared/migration/preflight-network-rules.ts).
 */
import type { CommandRunner } from '../remote/run-command';
import { runPathCheck } from '../network/path-check';
import type { MeasuredPath, PreflightPlace } from '../../../shared/migration/preflight-facts';

export type { MeasuredPath } from '../../../shared/migration/preflight-facts';

export interface PathProbeContext {
  readonly source: PreflightPlace & { readonly runner: CommandRunner };
  readonly destination: PreflightPlace & { readonly runner: CommandRunner };
  /** Every probe listens to it (pre-flight's shared abort). */
  readonly signal: AbortSignal;
  readonly now: () => number;
}

/** The path check of the network path view (electron/main/network/path-check.ts), toward the address migrated to. */
export async function measurePath(c: PathProbeContext, toward: string): Promise<MeasuredPath> {
  const { source, destination } = c;
  // A probe without a signal of its own still ends with pre-flight.
  const runner = (h: { readonly runner: CommandRunner }): CommandRunner => ({
    run: (argv, o) => h.runner.run(argv, { ...o, signal: o.signal ?? c.signal }),
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
    { now: () => performance.now(), wallClock: c.now, signal: c.signal },
  );
  if (!r.ok) return { flags: [], unavailable: r.error.message };
  const route = r.value.routes[0];
  const first = route?.pmtu?.probes[0];
  if (route === undefined || first === undefined || first.outcome === 'error') {
    return { flags: [], unavailable: first?.error ?? route?.problems[0]?.message ?? 'no probe ran' };
  }
  return { route, flags: r.value.flags.filter((f) => f.id !== 'nic-mtu-mismatch') };
}
