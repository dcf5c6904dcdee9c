// For integration test files: the lab that test/integration/lab-setup.ts brought up, or undefined when the
// integration tests are skipped (not root). Usage:
//
//   import { lab, requireLab } from '../lab/use-lab';
//   describe.skipIf(!lab)('live migration', () => {
//     it('moves vm1 to hvB', async () => {
//       const l = requireLab();            // LabInfo, typed
//       ...
//     });
//   });
//
// Call requireLab() inside tests or hooks, not in the describe body: vitest still runs a skipped describe's body
// to collect its tests.
import { afterEach, inject } from 'vitest';
import { cancelWatchdog, labInfo, startWatchdog, vmReset, type HostName, type LabInfo } from './lab';

export type LabAvailability = { state: 'up'; info: LabInfo } | { state: 'absent'; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabAvailability;
  }
}

// Outside the integration project nothing is provided: fall back to whatever lab is up on this machine.
const provided = inject('lab') as LabAvailability | undefined;

export const lab: LabInfo | undefined = provided ? (provided.state === 'up' ? provided.info : undefined) : labInfo();

export const labAbsentReason: string | undefined =
  provided?.state === 'absent' ? provided.reason : lab ? undefined : 'lab.json not found (run: npm run lab -- up)';

export function requireLab(): LabInfo {
  if (!lab) throw new Error(`the lab is not available: ${labAbsentReason ?? 'unknown reason'}`);
  return lab;
}

/**
 * For a describe block whose tests migrate: the returned function puts a watchdog on the source (it aborts the job
 * if the test stalls); after each test the watchdogs are cancelled and the guests reset.
 */
export function watchdogsThenReset(): (host: HostName, vm: string, seconds: number) => Promise<void> {
  let pids: number[] = [];
  afterEach(async () => {
    for (const pid of pids) await cancelWatchdog(pid).catch(() => undefined);
    pids = [];
    await vmReset();
  });
  return async (host, vm, seconds) => {
    pids.push(await startWatchdog(host, vm, seconds));
  };
}
