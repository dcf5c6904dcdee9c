// The lab engine suites' hooks, apart from lab-engine.ts: that one is also loaded by a tsx script outside vitest,
// where importing vitest's hooks throws.
import { afterAll, beforeAll } from 'vitest';
import { requireLab, watchdogsThenReset } from '../lab/use-lab';
import { vmReset, type HostName } from '../lab/lab';
import { openLabEngine, type LabEngine } from './lab-engine';

/**
 * The hooks of a describe block that migrates on the lab: the guests reset and one engine opened (handed to `opened`)
 * before the tests; after each test its watchdogs cancelled and the guests reset; at the end the engine closed.
 * `watchdog` starts one on the source, which aborts the job if the test stalls.
 */
export function labEngineSuite(prefix: string, opened: (t: LabEngine) => void): { watchdog(host: HostName, vm: string, seconds: number): Promise<void> } {
  let t: LabEngine | undefined;
  beforeAll(async () => {
    await vmReset();
    t = await openLabEngine(requireLab(), { prefix });
    opened(t);
  });
  const watchdog = watchdogsThenReset();
  afterAll(async () => {
    await t?.close();
    await vmReset();
  });
  return { watchdog };
}
