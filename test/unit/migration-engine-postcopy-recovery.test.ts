// A post-copy run whose connection breaks, against scripted hosts that answer as libvirt 9.0 did on the lab:
// `virsh migrate` ends with "End of file while reading data", the source says `paused (post-copy failed)` and still
// shows the outgoing job in domjobinfo, the destination `running (post-copy failed)`; `virsh migrate
// --postcopy-resume` finishes it (the VM then gone from the source, `running (migrated)` on the destination).
import { describe, expect, it } from 'vitest';
import { migrationRecordSchema } from '../../shared/migration/record-schema';
import type { RunOutput } from '../../electron/main/remote/run-command';
import type { EngineHostAccess, MigrationEngine } from '../../electron/main/migration/engine';
import { postcopyInterruption, type MigrationRecord } from '../../electron/main/migration/record';
import { recordView } from '../../electron/main/migration/handlers';
import { DEST_NONE, engineFixture, hvA, hvB, JOB_COMPLETED, out, POSTCOPY, PRECOPY, scriptedHosts } from './engine-fakes';

const NO_DOMAIN = "error: failed to get domain 'vmd'\n";
// As the lab printed them (virsh migrate's stderr after `domjobabort --postcopy` on the source).
const BROKE = 'Migration: [ 92 %]error: End of file while reading data: : Input/output error\n';
const REFUSED = 'error: operation failed: job \'migration out\' failed: Unable to connect to the destination\n';

type Phase = 'precopy' | 'postcopy' | 'split' | 'resuming' | 'done' | 'failed';

/** Scripted hvA/hvB: `breakIt()` ends the migrate command as a broken connection does, `finish()` a resume. */
function splitHosts(o: { resumeFails?: number } = {}) {
  const s = { phase: 'precopy' as Phase, resumeFails: o.resumeFails ?? 0 };
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((r) => (wake = r));
  const set = (p: Phase) => {
    s.phase = p;
    wake();
    changed = new Promise<void>((r) => (wake = r));
  };
  const until = async (p: Phase | readonly Phase[], signal?: AbortSignal) => {
    while (!(typeof p === 'string' ? [p] : p).includes(s.phase)) {
      if (signal?.aborted) return false;
      await Promise.race([changed, new Promise<void>((r) => signal?.addEventListener('abort', () => r()))]);
    }
    return true;
  };
  const script = async (host: string, argv: readonly string[], signal?: AbortSignal): Promise<RunOutput> => {
    const verb = argv[3];
    if (verb === 'migrate' && argv.includes('--postcopy-resume')) {
      if (s.resumeFails > 0) {
        s.resumeFails -= 1;
        return out('', REFUSED, 1);
      }
      set('resuming');
      return (await until('done', signal)) ? out('', 'Migration: [100 %]\n') : out('', '', 143);
    }
    if (verb === 'migrate') {
      // Ended by the break, or by Ferry quitting (the channel closed).
      if (!(await until(['split', 'failed'], signal))) return out('', '', 143);
      return s.phase === 'split' ? out('', BROKE, 1) : out('', REFUSED, 1);
    }
    if (verb === 'event') return (await until('done', signal)) ? out(JOB_COMPLETED) : out('');
    if (verb === 'migrate-postcopy') {
      set('postcopy');
      return out('\n');
    }
    if (verb === 'domstate') {
      if (s.phase === 'split') return out(host === 'hvA' ? 'paused (post-copy failed)\n\n' : 'running (post-copy failed)\n\n');
      if (s.phase === 'done') return host === 'hvA' ? out('', NO_DOMAIN, 1) : out('running (migrated)\n\n');
      if (s.phase === 'failed') return host === 'hvA' ? out('running (migration canceled)\n\n') : out('', NO_DOMAIN, 1);
      return out(host === 'hvA' ? 'paused (post-copy)\n\n' : 'running (post-copy)\n\n');
    }
    if (verb === 'domjobinfo' && argv.includes('--completed')) return host === 'hvB' ? out(DEST_NONE) : out('', NO_DOMAIN, 1);
    // The source keeps showing the outgoing job while the VM is split (lab).
    if (verb === 'domjobinfo' && s.phase === 'failed') return out('Job type:         None        \n\n');
    if (verb === 'domjobinfo') return s.phase === 'done' ? out('', NO_DOMAIN, 1) : out(s.phase === 'precopy' ? PRECOPY : POSTCOPY);
    if (verb === 'list') {
      if (s.phase === 'failed') return out(` Id   Name   State\n----------------------\n${host === 'hvA' ? ' 2    vmd    running\n' : ''}\n`);
      const vmd = s.phase === 'done' ? (host === 'hvB' ? ' 1    vmd    running\n' : '') : host === 'hvA' ? ' 2    vmd    paused\n' : ' 1    vmd    running\n';
      return out(` Id   Name   State\n----------------------\n${vmd}\n`);
    }
    return out('', 'error: unexpected in this test\n', 1);
  };
  const hosts = scriptedHosts(script);
  return { hosts, calls: hosts.calls, s, set, breakIt: () => set('split'), finish: () => set('done') };
}

const engines = engineFixture('ferry-engine-pcr-');

/** An engine over the test's data directory (a second one on it plays a restart). */
const engineOver = (hosts: EngineHostAccess) => engines.open(hosts, { newId: () => 'pcr1' });

const OPTIONS = { live: true, p2p: true, persistent: true, undefineSource: true, bandwidthMiBps: 8, postcopy: true, postcopyBandwidthMiBps: 1, migrateUri: 'tcp://10.77.2.12' } as const;

/** Started, switched by the control, and the switch journalled. */
async function switched(engine: MigrationEngine) {
  const st = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: OPTIONS, intervalMs: 100 });
  if (!st.ok) throw new Error(st.error.message);
  expect((await engine.control(st.value.id, { kind: 'postcopy' })).ok).toBe(true);
  await expect.poll(() => engine.record(st.value.id)?.events.some((e) => e.kind === 'post-copy')).toBe(true);
  return st.value.id;
}

const kinds = (rec: MigrationRecord | undefined) => rec?.events.map((e) => e.kind) ?? [];

describe('a post-copy run whose connection breaks', () => {
  it('is interrupted (no end, both halves named), refuses an abort without sending it, and a resume completes it under the same record', async () => {
    const lab = splitHosts();
    const { engine } = await engineOver(lab.hosts);
    const id = await switched(engine);
    const seen: string[] = [];
    engine.onUpdate((u) => {
      const now = engine.record(u.id);
      if (now && u.kind === 'event') seen.push(`${u.event.kind}:${recordView(now).state}`);
    });
    lab.breakIt();
    const rec = await engine.settled(id);
    expect(rec?.state).toBe('post-copy-interrupted');
    expect(rec?.end).toBeUndefined();
    expect(engine.isRunning(id)).toBe(false);
    // The watch stream reads the record on the update: it already says interrupted.
    expect(seen).toContain('post-copy-interrupted:post-copy-interrupted');
    const ev = rec?.events.find((e) => e.kind === 'post-copy-interrupted');
    expect(ev?.split).toEqual({ source: 'paused (post-copy failed)', destination: 'running (post-copy failed)' });
    expect(ev?.message).toBe('The connection broke during post-copy: vmd runs on hvB while part of its memory is still on hvA (paused). Resume post-copy to finish it.');
    expect(ev?.error).toMatchObject({ code: 'libvirt.connection-closed', detail: expect.stringMatching(/End of file while reading data/) });
    // The source's job still says what it holds.
    expect(ev?.detail).toBe("hvA still holds 1.3 MiB of vmd's memory (of 256.5 MiB), as its migration job says.");
    // The phase did not end: no 'post-copy-ended' yet.
    expect(kinds(rec)).not.toContain('post-copy-ended');

    const abort = await engine.control(id, { kind: 'abort' });
    expect(abort.ok ? '' : abort.error.message).toMatch(/aborting would lose the VM/);
    expect((await engine.control(id, { kind: 'set-speed', mibPerSecond: 50 })).ok).toBe(false);
    expect(lab.calls.filter((c) => / (domjobabort|migrate-setspeed) /.test(c))).toEqual([]);
    expect(engine.record(id)?.state).toBe('post-copy-interrupted');

    // A new migration of the split VM is refused before anything runs.
    const again = await engine.start({ vm: 'vmd', source: hvB, destination: hvA, options: OPTIONS });
    expect(again.ok ? '' : again.error.message).toMatch(/vmd is split between two hosts .*resume that migration instead/);

    const samplesBefore = engine.record(id)?.samples.length ?? 0;
    const resumed = await engine.control(id, { kind: 'resume-postcopy' });
    expect(resumed.ok).toBe(true);
    expect(engine.record(id)?.state).toBe('running');
    expect(recordView(engine.record(id) as MigrationRecord).state).toBe('post-copy');
    expect(lab.calls).toContain(
      'hvA exec virsh --connect qemu:///system migrate --verbose --live --p2p --persistent --undefinesource --postcopy --postcopy-resume --migrateuri tcp://10.77.2.12 --postcopy-bandwidth 1 --bandwidth 8 --domain vmd --desturi qemu+ssh://10.77.0.12/system',
    );
    // A second resume while the first runs is refused.
    expect((await engine.control(id, { kind: 'resume-postcopy' })).ok).toBe(false);
    // Sampled again, continuing the sequence.
    await expect.poll(() => engine.record(id)?.samples.length ?? 0).toBeGreaterThan(samplesBefore);
    lab.finish();
    const done = await engine.settled(id);
    expect(done?.state, done?.end?.message).toBe('completed');
    expect(done?.end?.final).toMatchObject({ readOn: 'source', readVia: 'job-completed-event', downtimeMs: 11 });
    const seqs = done?.samples.map((x) => x.seq) ?? [];
    expect(new Set(seqs).size).toBe(seqs.length);
    const k = kinds(done);
    const order = ['post-copy', 'command-ended', 'post-copy-interrupted', 'post-copy-resume', 'post-copy-ended'].map((x) => k.indexOf(x as (typeof k)[number]));
    expect(order.every((i) => i >= 0), k.join(', ')).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(done?.events.find((e) => e.kind === 'post-copy-resume')?.detail).toContain("'--postcopy-resume'");
    const view = migrationRecordSchema.parse(recordView(done as MigrationRecord));
    expect(view.state).toBe('completed');
    expect(view.interruption).toMatchObject({ source: 'paused (post-copy failed)', destination: 'running (post-copy failed)', resumes: 1 });
  });

  it('a resume that fails while the VM is still split says so in libvirt\'s words; the record is interrupted again and the next resume works', async () => {
    const lab = splitHosts({ resumeFails: 1 });
    const { engine } = await engineOver(lab.hosts);
    const id = await switched(engine);
    lab.breakIt();
    await engine.settled(id);
    expect((await engine.control(id, { kind: 'resume-postcopy' })).ok).toBe(true);
    const failed = await engine.settled(id);
    expect(failed?.state).toBe('post-copy-interrupted');
    expect(failed?.end).toBeUndefined();
    const ev = failed?.events.find((e) => e.kind === 'post-copy-resume-failed');
    expect(ev?.message).toMatch(/^Resuming post-copy failed \(operation failed: job 'migration out' failed: Unable to connect to the destination\): vmd runs on hvB/);
    expect(postcopyInterruption(failed as MigrationRecord)?.lastResumeError?.message).toMatch(/Unable to connect/);
    expect((await engine.control(id, { kind: 'resume-postcopy' })).ok).toBe(true);
    lab.finish();
    const done = await engine.settled(id);
    expect(done?.state).toBe('completed');
    expect(postcopyInterruption(done as MigrationRecord)?.resumes).toBe(2);
  });

  it('a run allowed to switch that fails before the switch is settled as before', async () => {
    const lab = splitHosts();
    const { engine } = await engineOver(lab.hosts);
    const st = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: OPTIONS, intervalMs: 100 });
    if (!st.ok) throw new Error(st.error.message);
    await expect.poll(() => engine.record(st.value.id)?.samples.length ?? 0).toBeGreaterThan(0);
    // Failed before any switch: the source runs the VM again, the destination has none.
    lab.set('failed');
    const rec = await engine.settled(st.value.id);
    expect(rec?.state, rec?.end?.message).toBe('failed');
    expect(kinds(rec)).not.toContain('post-copy-interrupted');
    // Both halves were asked before settling.
    expect(lab.calls.filter((c) => c.includes(' domstate --reason '))).toHaveLength(2);
  });
});

describe('a start of Ferry', () => {
  it('a run that broke while Ferry was closed is found interrupted (not followed again, though the source shows the job), and stays so at the next start', async () => {
    const lab = splitHosts();
    const first = await engineOver(lab.hosts);
    const id = await switched(first.engine);
    await first.close(); // quits during post-copy: 'detached'
    lab.breakIt();
    const again = await engineOver(lab.hosts);
    const recs = await again.engine.reconcile();
    const rec = recs.find((r) => r.id === id);
    expect(rec?.state).toBe('post-copy-interrupted');
    expect(again.engine.isRunning(id)).toBe(false);
    expect(kinds(rec)).not.toContain('reattached');
    expect(rec?.events.find((e) => e.kind === 'post-copy-interrupted')?.message).toMatch(/^Found after a restart: the migration broke during post-copy: vmd runs on hvB/);
    await again.close();
    const third = await engineOver(lab.hosts);
    const rec3 = (await third.engine.reconcile()).find((r) => r.id === id);
    expect(rec3?.state).toBe('post-copy-interrupted');
    expect(kinds(rec3).filter((k) => k === 'post-copy-interrupted')).toHaveLength(1);
  });

  it('an interrupted run resumed by hand meanwhile (whole on the destination) is reconciled completed', async () => {
    const lab = splitHosts();
    const first = await engineOver(lab.hosts);
    const id = await switched(first.engine);
    lab.breakIt();
    expect((await first.engine.settled(id))?.state).toBe('post-copy-interrupted');
    await first.close();
    lab.finish();
    const again = await engineOver(lab.hosts);
    const rec = (await again.engine.reconcile()).find((r) => r.id === id);
    expect(rec?.state, rec?.end?.message).toBe('completed');
    expect(rec?.end?.reconciled).toBe(true);
    expect(rec?.end?.message).toMatch(/^Migration completed: vmd runs on hvB \(found after a restart by asking the hosts\)/);
  });
});
