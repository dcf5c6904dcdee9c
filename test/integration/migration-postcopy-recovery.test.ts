// A post-copy run whose connection breaks, through the engine on the lab: vmd hvA -> hvB with post-copy allowed
// (8 MiB/s, post-copy at 1 MiB/s so the phase outlasts the break), switched by a control, then
// `virsh domjobabort --postcopy` on hvA (what a broken connection does, libvirt 9.0). The VM is then split (hvA
// `paused (post-copy failed)`, hvB `running (post-copy failed)`): the record must be 'post-copy-interrupted' with
// no end, refuse an abort, and a resume through the engine must finish it under the same record. In the second case
// Ferry restarts while the VM is split: the next engine on the same journal finds it interrupted and resumes it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, requireLab } from '../lab/use-lab';
import { cancelWatchdog, hx, labHost, startWatchdog, vmReset } from '../lab/lab';
import { openLabEngine, waitUntil, type LabEngine } from './lab-engine';
import { postcopyInterruption, type MigrationHostRef, type MigrationRecord } from '../../electron/main/migration/record';
import type { MigrationEngine } from '../../electron/main/migration/engine';
import { recordView } from '../../electron/main/migration/handlers';
import { migrationRecordSchema } from '../../shared/migration/record-schema';
import type { MigrationOptions } from '../../shared/migration/options';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const VIRSH = ['virsh', '--connect', 'qemu:///system'];

describe.skipIf(!lab)('post-copy interrupted and resumed on the lab', () => {
  let ferry: LabEngine;
  let hvA: MigrationHostRef;
  let hvB: MigrationHostRef;
  let options: MigrationOptions;
  let dir: string;
  let engine: MigrationEngine;
  let watchdogs: number[] = [];

  beforeAll(async () => {
    const l = requireLab();
    await vmReset();
    const migrationIp = labHost(l, 'hvB').migration?.ip;
    if (!migrationIp) throw new Error('lab.json has no migration address for hvB');
    options = {
      live: true,
      p2p: true,
      persistent: true,
      undefineSource: true,
      postcopy: true,
      postcopyBandwidthMiBps: 1,
      bandwidthMiBps: 8,
      migrateUri: `tcp://${migrationIp}`,
    };
    // A data directory of the test's: a restart is a second Ferry on it.
    dir = mkdtempSync(join(tmpdir(), 'ferry-postcopy-recovery-lab-'));
    ferry = await openLabEngine(l, { dir });
    ({ hvA, hvB, engine } = ferry);
  });

  afterEach(async () => {
    for (const w of watchdogs) await cancelWatchdog(w).catch(() => undefined);
    watchdogs = [];
  });

  afterAll(async () => {
    // A resume still running (a failed assertion) is left to finish first: destroying a half under libvirt's
    // running migration job left that job stuck on the lab (hvA's libvirtd had to be restarted).
    const open = (engine?.records() ?? []).filter((r) => engine.isRunning(r.id)).map((r) => engine.settled(r.id));
    await Promise.race([Promise.all(open), sleep(90_000)]);
    await ferry?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await vmReset();
  });

  const domstate = async (host: 'hvA' | 'hvB') => (await hx(host, [...VIRSH, 'domstate', '--reason', '--domain', 'vmd'])).stdout.trim();

  /** Starts vmd hvA -> hvB, waits for the second pass, switches to post-copy; resolves once the switch is journalled. */
  const switched = async () => {
    // The watchdog aborts a job still pre-copying if the test stalls; it is cancelled at the switch (a split VM must
    // never be aborted).
    const dog = await startWatchdog('hvA', 'vmd', 90);
    watchdogs.push(dog);
    const s = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options, intervalMs: 500 });
    if (!s.ok) throw new Error(s.error.message);
    const id = s.value.id;
    await waitUntil('the second pass', () => (engine.record(id)?.samples ?? []).some((x) => (x.info?.iteration ?? 0) >= 2), 75_000);
    const pc = await engine.control(id, { kind: 'postcopy' });
    expect(pc.ok, pc.ok ? '' : pc.error.detail).toBe(true);
    await waitUntil('the post-copy event', () => (engine.record(id)?.events ?? []).some((e) => e.kind === 'post-copy'), 10_000);
    // The break comes after 2 s of pages fetched on demand, as in the run resumed by hand: broken 0.45 s and 0.9 s
    // after the switch, the resume hung on the lab (libvirt 9.0, QEMU 7.2) with both halves still 'post-copy failed'.
    const fetching = () => (engine.record(id)?.samples ?? []).filter((x) => (x.info?.postcopyRequests ?? 0) > 0).map((x) => x.at);
    await waitUntil('2 s of the post-copy phase', () => {
      const at = fetching();
      return at.length > 0 && (at.at(-1) ?? 0) - (at[0] ?? 0) >= 2000;
    }, 20_000);
    await cancelWatchdog(dog);
    watchdogs = watchdogs.filter((w) => w !== dog);
    return id;
  };

  /** What a broken migration connection does on libvirt 9.0; resolves at the moment it was sent. */
  const breakConnection = async () => {
    const at = Date.now();
    const r = await hx('hvA', [...VIRSH, 'domjobabort', '--postcopy', '--domain', 'vmd']);
    expect(r.code, r.stderr).toBe(0);
    return at;
  };

  /**
   * The record once `virsh migrate` returned after the break. Bounded: once on the lab (libvirt 9.0) the
   * destination's Finish3 never noticed the failure, so neither the command nor the source's job ever ended.
   */
  const settledAfterBreak = async (e: MigrationEngine, id: string) => {
    const rec = await Promise.race([e.settled(id), sleep(60_000).then(() => undefined)]);
    if (!rec) throw new Error(`virsh migrate did not return within 60 s of the break (the destination's Finish3 hung?): ${await where(e, id)}`);
    return rec;
  };

  /** For a failure message: the record's events and what both hosts say now. */
  const where = async (e: MigrationEngine, id: string) => {
    const rec = e.record(id);
    const t0 = rec?.startedAt ?? 0;
    const events = (rec?.events ?? []).map((x) => `${x.kind}@${x.at - t0}`).join(' ');
    const last = rec?.samples.at(-1);
    return `events ${events}; last sample @${(last?.at ?? 0) - t0} ${last?.info?.type ?? last?.error?.message}; hvA ${await domstate('hvA').catch(String)}; hvB ${await domstate('hvB').catch(String)}`;
  };

  const expectSplit = (rec: MigrationRecord) => {
    expect(rec.state, rec.end?.message).toBe('post-copy-interrupted');
    expect(rec.end).toBeUndefined();
    const interruption = postcopyInterruption(rec);
    expect(interruption?.source).toBe('paused (post-copy failed)');
    expect(interruption?.destination).toBe('running (post-copy failed)');
    const view = migrationRecordSchema.parse(recordView(rec));
    expect(view.state).toBe('post-copy-interrupted');
    expect(view.interruption?.source).toBe('paused (post-copy failed)');
  };

  /** Resumes through the engine, expects completed with vmd running on hvB only; the figures for the report. */
  const resumeToEnd = async (e: MigrationEngine, id: string) => {
    const r = await e.control(id, { kind: 'resume-postcopy' });
    expect(r.ok, r.ok ? '' : `${r.error.message} ${r.error.detail ?? ''}`).toBe(true);
    expect(e.record(id)?.state).toBe('running');
    const rec = await Promise.race([e.settled(id), sleep(120_000).then(() => undefined)]);
    if (!rec) throw new Error(`the resume did not end within 120 s: ${await where(e, id)}`);
    expect(rec.state, `${rec.end?.message} ${rec.end?.error?.detail ?? ''}`).toBe('completed');
    expect(await domstate('hvB')).toMatch(/^running /);
    const onA = await hx('hvA', [...VIRSH, 'list', '--all', '--name']);
    expect(onA.stdout.split('\n').map((l) => l.trim())).not.toContain('vmd');
    const resumeEvent = rec.events.find((x) => x.kind === 'post-copy-resume');
    expect(resumeEvent?.detail).toContain('--postcopy-resume');
    expect(postcopyInterruption(rec)?.resumes).toBe(1);
    return { rec, resumeMs: (rec.end?.at ?? 0) - (resumeEvent?.at ?? 0) };
  };

  it('a break after the switch leaves the record interrupted (both halves named, no end, abort refused); the resume completes it', async () => {
    const id = await switched();
    const watched: string[] = [];
    const stop = engine.onUpdate((u) => {
      const now = engine.record(id);
      if (u.id === id && u.kind === 'event' && now) watched.push(recordView(now).state);
    });
    const brokeAt = await breakConnection();
    const rec = await settledAfterBreak(engine, id);
    stop();
    expectSplit(rec);
    expect(watched).toContain('post-copy-interrupted');
    const interrupted = rec.events.find((e) => e.kind === 'post-copy-interrupted');
    expect(interrupted?.message).toContain('vmd runs on hvB while part of its memory is still on hvA (paused)');
    expect(await domstate('hvA')).toBe('paused (post-copy failed)');

    const abort = await engine.control(id, { kind: 'abort' });
    expect(abort.ok).toBe(false);
    expect(abort.ok ? '' : abort.error.message).toContain('aborting would lose the VM');
    const speed = await engine.control(id, { kind: 'set-speed', mibPerSecond: 20 });
    expect(speed.ok).toBe(false);
    expect(await domstate('hvA')).toBe('paused (post-copy failed)');

    const { rec: done, resumeMs } = await resumeToEnd(engine, id);
    const kinds = done.events.map((e) => e.kind);
    const order = ['post-copy', 'post-copy-interrupted', 'post-copy-resume', 'post-copy-ended'].map((k) => kinds.indexOf(k as (typeof kinds)[number]));
    expect(order.every((i) => i >= 0), kinds.join(', ')).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(done.end?.at).toBeGreaterThan(done.events.find((e) => e.kind === 'post-copy-resume')?.at ?? Infinity);
    const view = migrationRecordSchema.parse(recordView(done));
    expect(view.state).toBe('completed');
    expect(view.interruption?.resumes).toBe(1);
    console.log(
      `post-copy recovery: interrupted journalled ${(interrupted?.at ?? 0) - brokeAt} ms after the abort was sent; resume ${resumeMs} ms; downtime ${done.end?.final?.downtimeMs} ms (${done.end?.final?.readOn}${done.end?.final?.readVia ? ` via ${done.end.final.readVia}` : ''}), total ${done.end?.final?.totalTimeMs} ms, wall ${done.end?.wallMs} ms`,
    );
  }, 240_000);

  it('Ferry restarted while the VM is split: the next engine on the same journal finds it interrupted, and resumes it', async () => {
    await vmReset();
    const id = await switched();
    await breakConnection();
    expect((await settledAfterBreak(engine, id)).state).toBe('post-copy-interrupted');
    // Ferry quits and starts again on the same journal.
    await ferry.close();
    ferry = await openLabEngine(requireLab(), { dir });
    engine = ferry.engine;
    const rec = (await engine.reconcile()).find((r) => r.id === id);
    if (!rec) throw new Error('the record was not reconciled');
    expectSplit(rec);
    expect(engine.isRunning(id)).toBe(false);
    expect(rec.events.map((e) => e.kind)).not.toContain('reattached');
    expect(rec.events.filter((e) => e.kind === 'post-copy-interrupted')).toHaveLength(1);
    const { rec: done, resumeMs } = await resumeToEnd(engine, id);
    console.log(`post-copy recovery after a restart: resume ${resumeMs} ms; downtime ${done.end?.final?.downtimeMs} ms, wall ${done.end?.wallMs} ms`);
  }, 240_000);
});
