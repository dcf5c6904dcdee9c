// vitest globalSetup of the integration project: brings the lab up (as root) and tells the test files, through
// provide('lab'), whether it is there. Test files read it with test/lab/use-lab.ts.
//
// - Not root: a loud warning, the integration tests are skipped; with CI=true that is a failure instead.
// - Root: `lab.sh prereq` then `lab.sh up`. A lab that was already (even partly) up is left up at teardown, so a
//   developer's running lab survives `npm test`; one this setup brought up is taken down again
//   (FERRY_LAB_KEEP=1 keeps it). `up` never undoes a scenario on a running lab (engineers share it); under CI,
//   where nobody else uses it, a lab found running is also `reset` to its canonical state.
// - FERRY_LAB=skip skips the integration tests on purpose (refused with CI=true).
import type { TestProject } from 'vitest/node';
import { labCommand, labDir, labInfo, type LabResult } from '../lab/lab';
import type { LabAvailability } from '../lab/use-lab';

const isCi = process.env['CI'] === 'true';

function loud(lines: string[]): void {
  const bar = '='.repeat(100);
  console.warn(['', bar, ...lines.map((l) => `  ${l}`), bar, ''].join('\n'));
}

function absent(project: TestProject, reason: string, hint: string[]): void {
  if (isCi) throw new Error(`The lab cannot run under CI=true, which is a failure: ${reason}`);
  loud([
    'FERRY INTEGRATION TESTS SKIPPED',
    '',
    `Why: ${reason}`,
    ...hint,
    '',
    'Every test under test/integration/ will be reported as skipped, not passed.',
    'With CI=true this is a failure, not a skip.',
  ]);
  process.env['FERRY_LAB'] = 'absent';
  const value: LabAvailability = { state: 'absent', reason };
  project.provide('lab', value);
}

function failed(step: string, result: LabResult): Error {
  const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
  return new Error(`lab.sh ${step} failed (exit ${result.code}):\n${tail}`);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env['FERRY_LAB'] === 'skip') {
    absent(project, 'FERRY_LAB=skip was set', []);
    return undefined;
  }
  if (process.getuid?.() !== 0) {
    absent(project, 'not running as root', [
      'The lab (test/lab/lab.sh) creates network namespaces, mounts, and its own sshd and libvirtd per host,',
      'which needs root; so do the tests that drive it (lab.sh hx, the root-only client key).',
      'Run the suite as root: sudo npm test',
    ]);
    return undefined;
  }

  const before = await labCommand(['status']);
  const wasUp = before.code === 0 || before.code === 1;
  const started = Date.now();
  const prereq = await labCommand(['prereq'], { timeoutMs: 600_000 });
  if (prereq.code !== 0) throw failed('prereq', prereq);
  const up = await labCommand(['up'], { timeoutMs: 600_000 });
  if (up.code !== 0) throw failed('up', up);
  if (wasUp && isCi) {
    const reset = await labCommand(['reset'], { timeoutMs: 600_000 });
    if (reset.code !== 0) throw failed('reset', reset);
  }
  const info = labInfo();
  if (!info) throw new Error(`lab.sh up succeeded but ${labDir()}/lab.json is missing`);
  console.log(`lab: ${wasUp ? 'was already up' : 'brought up'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  process.env['FERRY_LAB'] = 'up';
  const value: LabAvailability = { state: 'up', info };
  project.provide('lab', value);

  return async () => {
    if (wasUp || process.env['FERRY_LAB_KEEP'] === '1') return;
    const down = await labCommand(['down'], { timeoutMs: 120_000 });
    if (down.code !== 0) console.warn(failed('down', down).message);
  };
}
