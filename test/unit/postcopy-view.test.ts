// Post-copy in the migration view: the split sentence, the controls an interrupted run offers (the resume, never an
// abort), the confirmation rule of the switch by recovery kind, the post-copy timeline, the figures of an interrupted
// run, and the mapping of main's record. The hosts' words are what the lab printed (libvirt 9.0.0, 2026-12-07), for
// vmd migrating hvA -> hvB (--live --p2p --postcopy --bandwidth 8 --postcopy-bandwidth 1 --migrateuri
// tcp://10.77.2.12), after `virsh migrate-postcopy vmd` then `virsh domjobabort --postcopy --domain vmd` on hvA:
//   hvA$ virsh --connect qemu:///system domstate --reason --domain vmd   ->  paused (post-copy failed)
//   hvB$ virsh --connect qemu:///system domstate --reason --domain vmd   ->  running (post-copy failed)
//   hvA's `virsh migrate` exited 1: error: operation failed: job 'migration in' failed in post-copy phase
import { describe, expect, it } from 'vitest';
import type { MigrationRecordView } from '../../shared/migration/record-schema';
import { postcopyRecovery, type PostcopyRecovery } from '../../shared/migration/postcopy';
import { interruptedNotice, interruptionMarks, offeredControls, offersSwitch, postcopyTimeline, splitSentence, switchNeedsConfirm, switchQuestion } from '../../renderer/src/features/migrate/postcopyView';
import { finalStatistics, historyFinals, liveFigures, runLabel, trayProgress } from '../../renderer/src/features/migrate/runView';
import { continuousSamples, runHead } from '../../renderer/src/store/migrationContract';
import { reduceRuns } from '../../renderer/src/store/migrationSlice';
import type { MigrationRun } from '../../renderer/src/store/migrationPort';
import type { MigrationVerdict, Remedy } from '../../shared/migration/verdict';

const SOURCE_SAID = 'paused (post-copy failed)';
const DESTINATION_SAID = 'running (post-copy failed)';
const T0 = Date.parse('2026-12-07T17:16:00Z');

const recoverable = postcopyRecovery({ name: 'hvA', libvirtVersion: '9.0.0' }, { name: 'hvB', libvirtVersion: '9.0.0' });
const tooOld = postcopyRecovery({ name: 'hvA', libvirtVersion: '9.0.0' }, { name: 'hvB', libvirtVersion: '7.0.0' });
const unknown = postcopyRecovery({ name: 'hvA', libvirtVersion: '9.0.0' }, { name: 'hvB', libvirtVersion: undefined });

const NO_SIGNALS: MigrationVerdict['signals'] = { dirtyAtOrAboveThroughput: true, passesNotShrinking: 2, expectedDowntimeAboveLimit: true };
const remedies: Remedy[] = [
  { action: 'setSpeed', value: 32, label: 'Raise the cap.', available: true },
  { action: 'postcopy', label: 'Switch to post-copy.', available: true },
  { action: 'abort', label: 'Abort.', available: true },
];

function run(over: Partial<MigrationRun> = {}): MigrationRun {
  return {
    id: 'm1',
    vmName: 'vmd',
    sourceHostId: 'a',
    destinationHostId: 'b',
    sourceName: 'hvA',
    destinationName: 'hvB',
    startedAt: new Date(T0).toISOString(),
    state: 'running',
    options: { live: true, p2p: true, postcopy: true, bandwidthMiBps: 8 },
    samples: [
      { t: 3, iteration: 1, throughputMiBps: 8, dirtyMiBps: 4.8, remainingMiB: 232, downtimeMs: 900 },
      { t: 4, iteration: 1, throughputMiBps: 1, dirtyMiBps: 4.8, remainingMiB: 231, downtimeMs: 900, postcopy: true },
    ],
    verdict: { state: 'not-converging', reason: 'Not converging.', remedies, etaNote: 'No ETA.', signals: NO_SIGNALS },
    ...over,
  };
}

const interrupted = (over: Partial<MigrationRun> = {}) =>
  run({
    state: 'post-copy-interrupted',
    interruption: { at: T0 + 10_000, source: SOURCE_SAID, destination: DESTINATION_SAID, resumes: 0 },
    ...over,
  });

describe('the split VM', () => {
  it('says where each half is, in each host’s words', () => {
    expect(splitSentence(interrupted())).toBe('vmd runs on hvB (running (post-copy failed)); part of its memory is still on hvA (paused (post-copy failed))');
    expect(splitSentence(run())).toBeUndefined();
  });

  it('is said in the verdict box with what to do, and libvirt’s words after a failed resume', () => {
    const plain = interruptedNotice(interrupted());
    expect(plain?.sentence).toBe(
      "The migration connection broke after the switch and the VM's memory is split: vmd runs on hvB (running (post-copy failed)); part of its memory is still on hvA (paused (post-copy failed)). Resume post-copy to bring the rest to hvB.",
    );
    expect(plain?.failure).toBeUndefined();
    const detail = "error: operation failed: job 'migration out' failed in post-copy phase";
    const failed = interruptedNotice(interrupted({ interruption: { at: T0, source: SOURCE_SAID, destination: DESTINATION_SAID, resumes: 1, lastResumeError: { code: 'libvirt.error', message: 'Resuming post-copy failed.', detail } } }));
    expect(failed?.sentence).toContain('(one resume tried so far)');
    expect(failed?.failure).toEqual({ message: 'Resuming post-copy failed.', detail });
    expect(interruptedNotice(run())).toBeUndefined();
  });

  it('reads "Post-copy interrupted" in the error tone in the tray and the history, with no final figures', () => {
    expect(runLabel(interrupted())).toEqual({ text: 'Post-copy interrupted', tone: 'error' });
    expect(finalStatistics(interrupted())).toBeUndefined();
    expect(historyFinals(interrupted())).toEqual({ total: 'not finished', downtime: '', data: '' });
    // The verdict from before the break is not progress.
    const stale = { ...run().verdict!, passProgress: 0.4, progressLabel: 'memory sent in pass 1' };
    expect(trayProgress(run({ verdict: stale }))).toEqual({ value: 0.4 });
    expect(trayProgress(interrupted({ verdict: stale }))).toEqual({});
  });

  it('shows no live ETA, dirty rate or expected downtime from before the break', () => {
    const f = Object.fromEntries(liveFigures(interrupted()).map((x) => [x.label, x.value]));
    expect(f['ETA']).toBe('—');
    expect(f['Dirty rate']).toBe('n/a in post-copy');
    expect(f['Expected downtime']).toBe('n/a in post-copy');
  });
});

describe('the controls a run offers', () => {
  it('for an interrupted run: the resume only, never abort (even with a stale verdict offering it)', () => {
    const c = offeredControls(interrupted(), recoverable);
    expect(c.map((x) => x.action)).toEqual(['resumePostcopy']);
    expect(c[0]).toMatchObject({ available: true, confirm: false });
    expect(offeredControls(interrupted(), tooOld).map((x) => x.action)).toEqual(['resumePostcopy']);
  });

  it('for a resumed run: no abort and no second switch, whatever the verdict lists', () => {
    const resumed = run({ interruption: { at: T0, source: SOURCE_SAID, destination: DESTINATION_SAID, resumes: 1, resumedAt: T0 + 20_000 } });
    expect(offeredControls(resumed, recoverable).map((x) => x.action)).toEqual(['setSpeed']);
  });

  it('never a button for a restart with other options (not a control of this migration)', () => {
    const restart: Remedy = { action: 'restartWithAutoConverge', label: 'Abort and start again with auto-converge.', available: false };
    expect(offeredControls(run({ verdict: { ...run().verdict!, remedies: [remedies[0]!, restart] } }), recoverable).map((x) => x.action)).toEqual(['setSpeed']);
  });

  it('for an ended run: none', () => {
    expect(offeredControls(run({ state: 'completed' }), recoverable)).toEqual([]);
    expect(offeredControls(run({ state: 'failed' }), recoverable)).toEqual([]);
    expect(offeredControls(run({ state: 'aborted' }), recoverable)).toEqual([]);
  });

  it('switches at once between hosts that can resume it, and asks first otherwise; abort always asks', () => {
    const confirm = (r: PostcopyRecovery) => Object.fromEntries(offeredControls(run(), r).map((x) => [x.action, x.confirm]));
    expect(confirm(recoverable)).toEqual({ setSpeed: false, postcopy: false, abort: true });
    expect(confirm(tooOld)).toEqual({ setSpeed: false, postcopy: true, abort: true });
    expect(confirm(unknown)).toEqual({ setSpeed: false, postcopy: true, abort: true });
    expect([recoverable, tooOld, unknown].map(switchNeedsConfirm)).toEqual([false, true, true]);
    expect(switchQuestion(tooOld)).toMatch(/could not be resumed and the VM would be lost/);
    expect(switchQuestion(unknown)).toMatch(/Whether a broken connection could be resumed is not known/);
    expect(offersSwitch(offeredControls(run(), recoverable))).toBe(true);
    expect(offersSwitch(offeredControls(run({ verdict: { ...run().verdict!, remedies: [remedies[2]!] } }), recoverable))).toBe(false);
  });
});

describe('the post-copy timeline', () => {
  const events = [
    { at: T0, kind: 'started', text: 'Migration of vmd from hvA to hvB started.' },
    { at: T0 + 4_000, kind: 'control', text: 'Switched to post-copy' },
    { at: T0 + 4_200, kind: 'post-copy', text: 'The guest runs on hvB from here.' },
    { at: T0 + 10_000, kind: 'post-copy-interrupted', text: 'The connection broke during post-copy: vmd runs on hvB while part of its memory is still on hvA (paused).' },
    { at: T0 + 15_000, kind: 'post-copy-resume', text: 'Resuming post-copy: hvA sends the rest of vmd’s memory to hvB.' },
  ];

  it('lists the switch, the break and the resume, timed from the start; nothing for a run that never broke', () => {
    const rows = postcopyTimeline(run({ events, interruption: { at: T0 + 10_000, source: SOURCE_SAID, destination: DESTINATION_SAID, resumes: 1, resumedAt: T0 + 15_000 } }));
    expect(rows.map((r) => [r.since, r.what])).toEqual([
      ['+4.2 s', 'Switched to post-copy'],
      ['+10 s', 'Post-copy interrupted'],
      ['+15 s', 'Resume started'],
    ]);
    expect(rows[1]?.text).toContain('paused');
    expect(postcopyTimeline(run({ events }))).toEqual([]);
  });
});

describe('main’s record in the renderer', () => {
  it('maps post-copy-interrupted to an interrupted run with its interruption and events', () => {
    const record: MigrationRecordView = {
      id: 'm1',
      vm: 'vmd',
      source: { id: 'a', name: 'hvA' },
      destination: { id: 'b', name: 'hvB' },
      options: { live: true, p2p: true, postcopy: true },
      commandLine: '',
      preflight: [],
      state: 'post-copy-interrupted',
      startedAt: T0,
      result: {},
      events: [{ at: T0 + 10_000, kind: 'post-copy-interrupted', text: 'The connection broke during post-copy.' }],
      interruption: { at: T0 + 10_000, source: SOURCE_SAID, destination: DESTINATION_SAID, resumes: 0 },
    };
    const h = runHead(record);
    expect(h).toMatchObject({ state: 'post-copy-interrupted', inPostcopy: false, interruption: record.interruption, events: record.events });
    expect(h.error).toBeUndefined();
  });
});

describe('the samples of a resumed run', () => {
  it('continue on the chart’s time axis by wall-clock time when the resumed job’s elapsed time starts again', () => {
    const before = [
      { t: 9, at: T0 + 9_000, remainingMiB: 200 },
      { t: 10, at: T0 + 10_000, remainingMiB: 199 },
    ];
    const resumed = [
      { t: 1, at: T0 + 31_000, remainingMiB: 198 },
      { t: 2, at: T0 + 32_000, remainingMiB: 190 },
    ];
    expect(continuousSamples([...before, ...resumed]).map((s) => s.t)).toEqual([9, 10, 31, 32]);
    // One by one from the stream, the same.
    let runs = reduceRuns({}, { type: 'run', run: run(), samples: before });
    for (const sample of resumed) runs = reduceRuns(runs, { type: 'sample', id: 'm1', sample });
    expect(runs['m1']?.samples.map((s) => s.t)).toEqual([9, 10, 31, 32]);
    // An ordinary run's samples are left as they are.
    expect(continuousSamples(before)).toEqual(before);
  });
});

describe('the chart of a run whose post-copy broke', () => {
  it('marks the break and each resume by wall-clock time on the samples’ axis, even past the last sample', () => {
    const samples = [
      { t: 3, at: T0 + 3_000, remainingMiB: 232 },
      { t: 4, at: T0 + 4_000, remainingMiB: 231, postcopy: true },
    ];
    const events = [
      { at: T0 + 4_200, kind: 'post-copy', text: 'The guest runs on hvB from here.' },
      { at: T0 + 10_000, kind: 'post-copy-interrupted', text: 'The connection broke during post-copy.' },
      { at: T0 + 15_000, kind: 'post-copy-resume', text: 'Resuming post-copy.' },
    ];
    const interruption = { at: T0 + 10_000, source: SOURCE_SAID, destination: DESTINATION_SAID, resumes: 1, resumedAt: T0 + 15_000 };
    expect(interruptionMarks(run({ samples, events, interruption }))).toEqual([
      { t: 10, kind: 'interrupted' },
      { t: 15, kind: 'resumed' },
    ]);
    // Without the record's events (the dev fake's ordinary runs), the latest break alone.
    expect(interruptionMarks(run({ samples, interruption }))).toEqual([{ t: 10, kind: 'interrupted' }]);
    expect(interruptionMarks(run({ samples, events }))).toEqual([]);
  });
});
