// A post-copy interruption in the reports: the report page's and the HTML export's rows (what each host said, each
// break, each resume with how it went and libvirt's words for a failure). The hosts' words are the lab's (libvirt
// 9.0.0, 2026-12-07: `virsh --connect qemu:///system domstate --reason --domain vmd` on hvA and on hvB after
// `virsh domjobabort --postcopy --domain vmd` on hvA during a post-copy migration of vmd hvA -> hvB).
import { describe, expect, it } from 'vitest';
import type { MigrationRecordView } from '../../shared/migration/record-schema';
import { buildHtmlReport, interruptionRows } from '../../shared/reports/html';
import { interruptionReport } from '../../shared/reports/interruption';

const T0 = Date.parse('2026-12-07T17:16:00Z');
const SOURCE_SAID = 'paused (post-copy failed)';
const DESTINATION_SAID = 'running (post-copy failed)';
const LIBVIRT = "error: operation failed: job 'migration out' failed in post-copy phase";

function record(over: Partial<MigrationRecordView> = {}): MigrationRecordView {
  return {
    id: 'm-split',
    vm: 'vmd',
    source: { id: 'a', name: 'hvA' },
    destination: { id: 'b', name: 'hvB' },
    options: { live: true, p2p: true, postcopy: true, bandwidthMiBps: 8, postcopyBandwidthMiBps: 1, migrateUri: 'tcp://10.77.2.12' },
    commandLine: "'virsh' 'migrate' '--postcopy' '--domain' 'vmd'",
    preflight: [],
    state: 'completed',
    startedAt: T0,
    endedAt: T0 + 120_000,
    result: { totalTimeMs: 118_000, downtimeMs: 40 },
    events: [
      { at: T0, kind: 'started', text: 'Migration of vmd from hvA to hvB started.' },
      { at: T0 + 4_200, kind: 'post-copy', text: 'The guest runs on hvB from here.' },
      { at: T0 + 10_000, kind: 'post-copy-interrupted', text: 'The connection broke during post-copy: vmd runs on hvB while part of its memory is still on hvA (paused). Resume post-copy to finish it.' },
      { at: T0 + 20_000, kind: 'post-copy-resume', text: 'Resuming post-copy: hvA sends the rest of vmd’s memory to hvB.' },
      { at: T0 + 21_000, kind: 'post-copy-resume-failed', text: "Resuming post-copy failed (operation failed: job 'migration out' failed in post-copy phase): vmd runs on hvB while part of its memory is still on hvA (paused)." },
      { at: T0 + 30_000, kind: 'post-copy-resume', text: 'Resuming post-copy: hvA sends the rest of vmd’s memory to hvB.' },
      { at: T0 + 120_000, kind: 'ended', text: 'Migration completed in 1 min 58 s.' },
    ],
    interruption: { at: T0 + 10_000, source: SOURCE_SAID, destination: DESTINATION_SAID, resumes: 2, resumedAt: T0 + 30_000 },
    ...over,
  };
}

describe('the report of an interrupted post-copy', () => {
  it('tells each resume’s outcome: failed with libvirt’s words, then completed', () => {
    const rep = interruptionReport(record());
    expect(rep?.breaks.map((b) => b.at)).toEqual([T0 + 10_000]);
    expect(rep?.resumes).toEqual([
      { at: T0 + 20_000, outcome: 'failed', outcomeAt: T0 + 21_000, text: expect.stringContaining("Failed: Resuming post-copy failed (operation failed: job 'migration out' failed in post-copy phase)") },
      { at: T0 + 30_000, outcome: 'ended', outcomeAt: T0 + 120_000, text: 'Completed.' },
    ]);
  });

  it('rows: what each host said, then the break and the resumes in time order', () => {
    expect(interruptionRows(record())).toEqual([
      { what: 'hvA (source) said', when: '', detail: SOURCE_SAID },
      { what: 'hvB (destination) said', when: '', detail: DESTINATION_SAID },
      { what: 'Post-copy interrupted', when: '2026-12-07 17:16:10 UTC', detail: expect.stringContaining('The connection broke during post-copy') },
      { what: 'Resume 1', when: '2026-12-07 17:16:20 UTC', detail: expect.stringContaining('Failed: ') },
      { what: 'Resume 2', when: '2026-12-07 17:16:30 UTC', detail: 'Completed.' },
    ]);
  });

  it('a run still split after a failed resume: the last failure carries libvirt’s full text; a running resume says so', () => {
    const events = record().events.slice(0, 5);
    const split = record({
      state: 'post-copy-interrupted',
      endedAt: undefined,
      result: {},
      events,
      interruption: { at: T0 + 10_000, source: SOURCE_SAID, destination: DESTINATION_SAID, resumes: 1, lastResumeError: { code: 'libvirt.error', message: 'Resuming post-copy failed.', detail: `${LIBVIRT}\nerror: second line` } },
    });
    const resumes = interruptionReport(split)?.resumes;
    expect(resumes).toHaveLength(1);
    expect(resumes?.[0]?.outcome).toBe('failed');
    expect(resumes?.[0]?.text).toContain('(libvirt: error: operation failed');
    expect(resumes?.[0]?.text).toContain('second line');
    const running = record({ state: 'post-copy', endedAt: undefined, result: {}, events: record().events.slice(0, 4) });
    expect(interruptionReport(running)?.resumes).toEqual([{ at: T0 + 20_000, outcome: 'running', text: 'Running.' }]);
  });

  it('a resume followed by another break reads "interrupted again"; a resumed run that failed names the failure', () => {
    const again = record({ events: [...record().events.slice(0, 4), { at: T0 + 25_000, kind: 'post-copy-interrupted', text: 'The connection broke during post-copy again.' }], state: 'post-copy-interrupted', endedAt: undefined, result: {} });
    expect(interruptionReport(again)?.resumes[0]).toMatchObject({ outcome: 'interrupted-again', text: 'Interrupted again: The connection broke during post-copy again.' });
    expect(interruptionReport(again)?.breaks).toHaveLength(2);
    const failed = record({ state: 'failed', result: { error: { code: 'libvirt.error', message: 'The destination QEMU exited.' } } });
    expect(interruptionReport(failed)?.resumes[1]?.text).toBe('Failed: The destination QEMU exited.');
  });

  it('nothing for a run that never broke', () => {
    expect(interruptionReport(record({ interruption: undefined }))).toBeUndefined();
    expect(interruptionRows(record({ interruption: undefined }))).toEqual([]);
  });

  it('the HTML export has the section, escaped, and the result in the error tone while split', () => {
    const html = buildHtmlReport([{ record: record({ state: 'post-copy-interrupted', endedAt: undefined, result: {}, events: record().events.slice(0, 3) }), samples: [] }], { generatedAt: T0, generator: 'Ferry test' });
    expect(html).toContain('<h3>Post-copy interruption</h3>');
    expect(html).toContain('<td>hvA (source) said</td><td></td><td>paused (post-copy failed)</td>');
    expect(html).toContain('<td>Post-copy interrupted</td><td>2026-12-07 17:16:10 UTC</td>');
    expect(html).toContain('<span class="tone-error">Post-copy interrupted</span>');
    expect(buildHtmlReport([{ record: record({ interruption: undefined }), samples: [] }], { generatedAt: T0, generator: 'Ferry test' })).not.toContain('Post-copy interruption');
  });
});
