// A trial pre-copy on the lab: vmd hvA -> hvB at 8 MiB/s (vmd rewrites 20 MiB a second: it cannot converge there),
// watched for two passes, aborted. vmd still runs on hvA, hvB holds no vmd, hvA has no job left, and the journal
// on disk holds a record marked trial with samples of at least two passes. A watchdog on hvA aborts the job if the
// test stalls; the guests are reset after it.
import { describe, expect, it } from 'vitest';
import { lab } from '../lab/use-lab';
import { virsh } from '../lab/lab';
import type { LabEngine } from './lab-engine';
import { labEngineSuite } from './lab-engine-suite';
import { runTrial } from '../../electron/main/migration/trial';
import { recordView } from '../../electron/main/migration/handlers';
import { trialResultSchema } from '../../shared/migration/trial-schema';

const MiB = 1024 * 1024;

describe.skipIf(!lab)('trial pre-copy on the lab', () => {
  let t: LabEngine;
  const { watchdog } = labEngineSuite('ferry-trial-lab-', (opened) => (t = opened));

  it('vmd hvA -> hvB at 8 MiB/s, two passes: aborted, vmd on hvA, nothing on hvB, no job, journalled as a trial', { timeout: 90_000 }, async () => {
    await watchdog('hvA', 'vmd', 75);
    const t0 = Date.now();
    const { result, samples } = await runTrial({ engine: t.engine, exec: (h) => t.hosts.exec(h) }, { vm: 'vmd', source: t.hvA, destination: t.hvB, capMiBps: 8, passes: 2, maxMs: 60_000 });
    const wall = Date.now() - t0;
    trialResultSchema.parse(result);
    expect(result.outcome, result.message).toBe('aborted');
    if (result.outcome !== 'aborted') return;
    expect(result.stoppedBy).toBe('passes');
    expect(result.passesSeen).toBeGreaterThanOrEqual(3);
    expect(result.verification.ok, result.verification.checks.map((c) => c.evidence).join('\n')).toBe(true);
    expect(result.bytesSent).toBeGreaterThan(8 * MiB);

    // The hosts, asked again here: vmd runs on hvA, hvB holds no vmd, hvA has no job.
    expect(await t.where('vmd')).toEqual({ hvA: 'running', hvB: undefined });
    expect((await virsh('hvB', ['list', '--all', '--name'])).split('\n').map((l) => l.trim())).not.toContain('vmd');
    expect(await virsh('hvA', ['domjobinfo', '--domain', 'vmd'])).toMatch(/Job type:\s+None/);

    // The record on disk: marked trial, aborted, with samples of at least two passes.
    const rec = t.fromDisk(result.id);
    expect(rec?.start?.purpose).toBe('trial');
    expect(rec?.state).toBe('aborted');
    const passes = new Set((rec?.samples ?? []).flatMap((s) => (s.info?.iteration !== undefined ? [s.info.iteration] : [])));
    expect(passes.has(1) && passes.has(2)).toBe(true);
    expect(rec?.samples.length).toBe(samples.length);
    if (rec) expect(recordView(rec).purpose).toBe('trial');
    // Why it stopped, and the checks after the abort with what the hosts said.
    expect(rec?.events.filter((e) => e.kind === 'trial').map((e) => e.message)).toEqual([
      expect.stringMatching(/^Trial pre-copy: pass 2 has ended \(pass \d+ began\); aborting it as planned\.$/),
      'Trial checked on both hosts: vmd runs on hvA; hvB holds no domain named vmd; no job left for vmd on hvA.',
    ]);
    console.log(
      `trial vmd hvA->hvB at 8 MiB/s, 2 passes: wall ${wall} ms (job ${result.durationMs} ms), ${(result.bytesSent / MiB).toFixed(1)} MiB sent, ${result.samples} samples, passes seen ${result.passesSeen}\n${result.message}\n${result.verification.checks.map((c) => `  ${c.check}: ${c.evidence}`).join('\n')}`,
    );
  });
});
