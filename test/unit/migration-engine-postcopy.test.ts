// Post-copy runs against scripted hosts that answer as libvirt 9.0 did on the lab: after the switch the destination
// keeps no completed statistics ("Job type: None") and, with --undefinesource, the source forgets the VM, so the
// statistics come from the source's job-completed event; the switch and the end of the phase are journalled, and
// samples taken during a long enough phase are kept and mark the phase as sampled.
import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok } from '../../shared/result';
import { migrationRecordSchema } from '../../shared/migration/record-schema';
import type { RunOutput } from '../../electron/main/remote/run-command';
import { JOURNAL_FILE, parseJournal } from '../../electron/main/migration/journal';
import type { EngineHostAccess } from '../../electron/main/migration/engine';
import { buildRecords, postcopyPhase } from '../../electron/main/migration/record';
import { recordView } from '../../electron/main/migration/handlers';
import type { Clock } from '../../electron/main/clock';
import { DEST_NONE, engineFixture, hvA, hvB, JOB_COMPLETED, out, POSTCOPY, PRECOPY, scriptedHosts } from './engine-fakes';

// The source's answer at the switch.
const NOT_RUNNING = 'error: Requested operation is not valid: domain is not running\n';
const NO_DOMAIN = "error: failed to get domain 'vmd'\n";
const LIST_VMD = ' Id   Name   State\n----------------------\n 1    vmd    running\n\n';

/**
 * A post-copy migration as libvirt 9.0 runs it: virsh migrate returns once `finish()` is called, the job-completed
 * event is printed just before, samples after the switch answer `afterSwitch`.
 */
function postcopyHosts(afterSwitch: () => RunOutput, opts: { event?: boolean } = {}) {
  let finishMigrate: () => void = () => undefined;
  const migrated = new Promise<void>((r) => (finishMigrate = r));
  const state = { switched: false, switchedAt: 0 };
  const hosts = scriptedHosts(async (host, argv, signal) => {
    const verb = argv[3];
    if (verb === 'migrate') {
      await migrated;
      return out('Migration: [100 %]\n');
    }
    if (verb === 'event') {
      if (opts.event === false) return out('', 'error: command event failed in this test\n', 1);
      // Answers when the job completes; a listener stopped by the engine answers nothing.
      return await new Promise<RunOutput>((resolve) => {
        void migrated.then(() => resolve(out(JOB_COMPLETED)));
        signal?.addEventListener('abort', () => resolve(out('')));
      });
    }
    if (verb === 'migrate-postcopy') {
      state.switched = true;
      state.switchedAt = Date.now();
      return out('\n');
    }
    if (verb === 'domjobinfo' && argv.includes('--completed')) return host === 'hvB' ? out(DEST_NONE) : out('', NO_DOMAIN, 1);
    if (verb === 'domjobinfo') return state.switched ? afterSwitch() : out(PRECOPY);
    if (verb === 'list') return host === 'hvB' ? out(LIST_VMD) : out(' Id   Name   State\n----------------------\n\n');
    return out('', 'error: unexpected\n', 1);
  });
  return { hosts, state, finish: () => finishMigrate() };
}

const engines = engineFixture('ferry-engine-pc-');

const engineOver = (hosts: EngineHostAccess, clock?: Clock) => engines.open(hosts, { newId: () => 'pc1', ...(clock ? { clock } : {}) });

const OPTIONS = { live: true, p2p: true, persistent: true, undefineSource: true, bandwidthMiBps: 8, postcopy: true } as const;

describe('post-copy runs', () => {
  it('a short post-copy phase (never sampled) still has its switch, its end and the statistics of the job-completed event', async () => {
    const { hosts, state, finish } = postcopyHosts(() => out('', NOT_RUNNING, 1));
    const { engine, journal, dir: d } = await engineOver(hosts);
    const s = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: OPTIONS, intervalMs: 100 });
    if (!s.ok) throw new Error(s.error.message);
    // Listening on the source from the start, on its own channel.
    expect(hosts.calls).toContain('hvA exec virsh --connect qemu:///system event --domain vmd --event job-completed --timestamp --timeout 21600');
    await vi.waitFor(() => expect((engine.record(s.value.id)?.samples ?? []).length).toBeGreaterThanOrEqual(2));
    expect((await engine.control(s.value.id, { kind: 'postcopy' })).ok).toBe(true);
    // One sample after the switch (it finds no job: the phase was too short to be sampled), then the end.
    const switchedAt = engine.record(s.value.id)?.events.find((e) => e.kind === 'post-copy')?.at ?? 0;
    await vi.waitFor(() => expect((engine.record(s.value.id)?.samples ?? []).some((x) => x.at > switchedAt)).toBe(true));
    finish();
    const rec = await engine.settled(s.value.id);
    expect(rec?.state, rec?.end?.message).toBe('completed');
    const final = rec?.end?.final;
    expect(final).toMatchObject({ readOn: 'source', readVia: 'job-completed-event', totalTimeMs: 18185, downtimeMs: 11, dataSentBytes: 164381514, memoryTotalBytes: 268967936 });
    expect(rec?.end?.message).toBe('Migration completed: vmd runs on hvB. 18.2 s total, 11 ms downtime, 156.8 MiB sent.');
    const kinds = rec?.events.map((e) => e.kind) ?? [];
    expect(kinds.indexOf('post-copy')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('post-copy-ended')).toBeGreaterThan(kinds.indexOf('post-copy'));
    const switchEvent = rec?.events.find((e) => e.kind === 'post-copy');
    expect(switchEvent?.at).toBeGreaterThanOrEqual(state.switchedAt);
    if (!rec) throw new Error('no record');
    const phase = postcopyPhase(rec);
    expect(phase).toEqual({ startedAt: switchEvent?.at, endedAt: rec.events.find((e) => e.kind === 'post-copy-ended')?.at, sampled: false });
    // The view the renderer gets: valid against the contract, with the phase and the figures.
    const view = migrationRecordSchema.parse(recordView(rec));
    expect(view.postcopy).toEqual(phase);
    expect(view.result).toMatchObject({ totalTimeMs: 18185, downtimeMs: 11, dataBytes: 164381514 });
    expect(view.events.some((e) => e.kind === 'post-copy')).toBe(true);
    // Neither host's `domjobinfo --completed` was needed, and the listener is gone.
    expect(hosts.calls.filter((c) => c.includes('--completed'))).toEqual([]);
    await journal.close();
    const disk = buildRecords(parseJournal(readFileSync(join(d, JOURNAL_FILE), 'utf8')).lines)[0];
    expect(disk && postcopyPhase(disk)).toEqual(phase);
    expect(disk?.end?.final?.readVia).toBe('job-completed-event');
  });

  it('keeps sampling after the switch: a long phase is sampled, and the switch is the earlier of the control and the first post-copy sample', async () => {
    const { hosts, finish } = postcopyHosts(() => out(POSTCOPY));
    const { engine } = await engineOver(hosts);
    const s = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: OPTIONS, intervalMs: 100 });
    if (!s.ok) throw new Error(s.error.message);
    await vi.waitFor(() => expect((engine.record(s.value.id)?.samples ?? []).length).toBeGreaterThanOrEqual(2));
    expect((await engine.control(s.value.id, { kind: 'postcopy' })).ok).toBe(true);
    await vi.waitFor(() => expect((engine.record(s.value.id)?.samples ?? []).filter((x) => (x.info?.postcopyRequests ?? 0) > 0).length).toBeGreaterThanOrEqual(2));
    const live = engine.record(s.value.id);
    if (!live) throw new Error('no record');
    expect(recordView(live).state).toBe('post-copy');
    finish();
    const rec = await engine.settled(s.value.id);
    if (!rec) throw new Error('no record');
    const phase = postcopyPhase(rec);
    const inPhase = rec.samples.filter((x) => (x.info?.postcopyRequests ?? 0) > 0);
    expect(inPhase.length).toBeGreaterThanOrEqual(2);
    expect(phase?.sampled).toBe(true);
    const control = rec.events.find((e) => e.kind === 'post-copy')?.at ?? Infinity;
    expect(phase?.startedAt).toBe(Math.min(control, inPhase[0]?.at ?? Infinity));
    expect(rec.events.filter((e) => e.kind === 'post-copy')).toHaveLength(1);
    expect(rec.end?.final?.downtimeMs).toBe(11);
  });

  it('finds a switch Ferry did not send (--postcopy-after-precopy) in the samples', async () => {
    let n = 0;
    const { hosts, finish } = postcopyHosts(() => out(POSTCOPY));
    const wrapped: EngineHostAccess = {
      exec: hosts.exec,
      openVirsh: (h) => {
        const r = hosts.openVirsh(h);
        // After three samples libvirt switches by itself: the samples show pages fetched on demand.
        return { ...r, run: async (argv, o) => (++n > 3 ? ok(out(POSTCOPY)) : r.run(argv, o)) };
      },
    };
    const { engine } = await engineOver(wrapped);
    const s = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: { ...OPTIONS, postcopyAfterPrecopy: true }, intervalMs: 100 });
    if (!s.ok) throw new Error(s.error.message);
    await vi.waitFor(() => expect((engine.record(s.value.id)?.samples ?? []).filter((x) => (x.info?.postcopyRequests ?? 0) > 0).length).toBeGreaterThanOrEqual(2));
    finish();
    const rec = await engine.settled(s.value.id);
    if (!rec) throw new Error('no record');
    const first = rec.samples.find((x) => (x.info?.postcopyRequests ?? 0) > 0);
    expect(rec.events.find((e) => e.kind === 'post-copy')?.at).toBe(first?.at);
    expect(postcopyPhase(rec)).toMatchObject({ startedAt: first?.at, sampled: true });
    expect(rec.events.some((e) => e.kind === 'control')).toBe(false);
  });

  it('without the event (the listener failed) it falls back to domjobinfo --completed on both hosts and says that none was kept', async () => {
    const { hosts, finish } = postcopyHosts(() => out('', NOT_RUNNING, 1), { event: false });
    const { engine } = await engineOver(hosts);
    const s = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: OPTIONS, intervalMs: 100 });
    if (!s.ok) throw new Error(s.error.message);
    await vi.waitFor(() => expect((engine.record(s.value.id)?.samples ?? []).length).toBeGreaterThanOrEqual(1));
    expect((await engine.control(s.value.id, { kind: 'postcopy' })).ok).toBe(true);
    finish();
    const rec = await engine.settled(s.value.id);
    expect(rec?.state).toBe('completed');
    expect(rec?.end?.final?.readOn).toBe('none');
    expect(rec?.end?.final?.readVia).toBeUndefined();
    expect(hosts.calls).toContain('hvB exec virsh --connect qemu:///system domjobinfo --domain vmd --completed --keep-completed');
    expect(rec?.events.some((e) => e.kind === 'post-copy-ended')).toBe(true);
  });

  it('a failed run allowed to switch stops its listener at once instead of waiting for an event that never comes', async () => {
    let listenerStopped = false;
    const hosts = scriptedHosts((_host, argv, signal) => {
      if (argv[3] === 'migrate') return out('', "error: internal error: unable to execute QEMU command 'migrate': this test failed it\n", 1);
      if (argv[3] === 'event') {
        return new Promise<RunOutput>((resolve) =>
          signal?.addEventListener('abort', () => {
            listenerStopped = true;
            resolve(out(''));
          }),
        );
      }
      if (argv[3] === 'list') return out(' Id   Name   State\n----------------------\n 1    vmd    running\n\n');
      return out(PRECOPY);
    });
    // A clock whose timers never fire: had the end waited for the event's grace period, it would never settle.
    const { engine } = await engineOver(hosts, { now: () => Date.now(), setTimeout: () => 0, clearTimeout: () => undefined });
    const s = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: OPTIONS, intervalMs: 100 });
    if (!s.ok) throw new Error(s.error.message);
    const rec = await engine.settled(s.value.id);
    expect(rec?.state).toBe('failed');
    expect(listenerStopped).toBe(true);
    expect(rec?.events.some((e) => e.kind.startsWith('post-copy'))).toBe(false);
  });

  it('a run without --postcopy opens no listener', async () => {
    const { hosts, finish } = postcopyHosts(() => out(PRECOPY));
    const { engine } = await engineOver(hosts);
    const s = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: { live: true, p2p: true }, intervalMs: 100 });
    if (!s.ok) throw new Error(s.error.message);
    finish();
    const rec = await engine.settled(s.value.id);
    expect(hosts.calls.filter((c) => c.includes(' event '))).toEqual([]);
    expect(rec && postcopyPhase(rec)).toBeUndefined();
  });
});
