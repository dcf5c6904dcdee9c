/**
 * An evacuation's `shutdown` row: `virsh shutdown` on the source (the guest is asked, ACPI), then its state asked
 * every few seconds until it is shut off or gone (a transient guest is undefined when it stops), within a bound:
 * a guest that ignores the request is reported, never destroyed.
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { virshDomstateReason, virshShutdown } from '../../../shared/commands/virsh';
import type { Clock } from '../clock';
import { runCommand, type CommandRunner } from '../remote/run-command';

export const SHUTDOWN_BOUND_MS = 120_000;
const ASK_EVERY_MS = 2000;

export async function shutdownAndWait(
  runner: CommandRunner,
  vm: string,
  clock: Clock,
  boundMs = SHUTDOWN_BOUND_MS,
): Promise<Result<void, FerryError>> {
  const state = () => runCommand(runner, virshDomstateReason(vm));
  const off = (r: Awaited<ReturnType<typeof state>>): boolean => (r.ok ? r.value.state === 'shut-off' : r.error.code === 'libvirt.no-domain');
  const first = await state();
  if (off(first)) return ok(undefined);
  const asked = await runCommand(runner, virshShutdown(vm));
  if (!asked.ok) return err(asked.error);
  const until = clock.now() + boundMs;
  for (;;) {
    const s = await state();
    if (off(s)) return ok(undefined);
    if (clock.now() >= until) break;
    await new Promise<void>((resolve) => clock.setTimeout(resolve, ASK_EVERY_MS));
  }
  return err(ferryError('libvirt.error', `${vm} did not shut down within ${Math.round(boundMs / 1000)} s of being asked; it was left running.`));
}
