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
import { inject } from 'vitest';
import { labInfo, type LabInfo } from './lab';

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
