/**
 * The dev fake's migrations: scripted runs whose samples are shaped like the lab's (dev/fakeMigration.ts). A cap
 * under 32 MiB/s does not converge (as the lab's 256 MiB guest with a 20 MiB hot set at --bandwidth 8/16); raising
 * it to 32+ converges, post-copy finishes, abort returns the VM to the source. A VM whose name contains "stall"
 * stalls; one whose name contains "split" is interrupted in post-copy (its connection breaks after the switch) until
 * it is resumed. Seeded with one finished migration, one that is not converging, and "db-split", interrupted in
 * post-copy after a failed resume (the next resume finishes it), so the views have something to show.
 */
import type { HostView } from '../../../shared/inventory/types';
import { ok, err } from '../../../shared/result';
import type { MigrationEvent, MigrationPort, MigrationRun, RunHead, RunSample } from '../store/migrationPort';
import { isActive } from '../../../shared/migration/state';
import type { MigrationVerdict } from '../../../shared/migration/verdict';

const NO_SIGNALS = { dirtyAtOrAboveThroughput: false, passesNotShrinking: 0, expectedDowntimeAboveLimit: false };
import { fakeRunSample, type FakeRunKind } from './fakeMigration';

interface Live {
  run: MigrationRun;
  kind: FakeRunKind;
  cap: number;
  i: number;
  rand: () => number;
  endAt?: number;
  /** In post-copy (after a switch or a resume): MiB still on the source, sent at the cap, then it completes. */
  postcopyLeft?: number;
}

/** libvirt's words when a resume fails (QEMU's, as `virsh migrate --postcopy-resume` prints them). */
const RESUME_FAILURE = "error: internal error: unable to execute QEMU command 'migrate-recover': Migrate recover can only be run when postcopy is paused.";

function verdictOf(l: Live, s: RunSample): MigrationVerdict {
  const maxDt = l.run.options.maxDowntimeMs ?? 300;
  const abort = { action: 'abort' as const, label: 'Abort: the VM keeps running on the source.', available: true };
  const post = { action: 'postcopy' as const, label: 'Switch to post-copy: finishes now, the guest runs on the destination while pages follow.', available: l.run.options.postcopy === true };
  if (s.iteration === undefined || s.iteration <= 1) return { state: 'converging', signals: NO_SIGNALS, reason: `First pass: ${Math.round(s.remainingMiB ?? 0)} MiB of guest memory left to send at ${(s.throughputMiBps ?? 0).toFixed(1)} MiB/s.`, remedies: [abort], etaMs: ((s.remainingMiB ?? 0) / Math.max(1, s.throughputMiBps ?? 1)) * 1000, etaNote: 'end of the first pass', passProgress: 1 - (s.remainingMiB ?? 0) / 256 };
  if (s.throughputMiBps === undefined) return { state: 'stalled', signals: NO_SIGNALS, reason: `Nothing has moved for ${Math.round(s.t - 60)} s: no Memory bandwidth line, the processed counter is flat.`, remedies: [abort], etaNote: 'No ETA: nothing is moving.' };
  if (l.kind === 'not-converging') {
    return {
      state: 'not-converging',
      signals: NO_SIGNALS,
      reason: `The guest dirties ${(s.dirtyMiBps ?? 0).toFixed(1)} MiB/s, as fast as the ${l.cap} MiB/s cap sends it; pass ${s.iteration} left ${Math.round(s.remainingMiB ?? 0)} MiB and the expected downtime ${Math.round(s.downtimeMs ?? 0)} ms stays above the ${maxDt} ms limit.`,
      remedies: [{ action: 'setSpeed', value: l.cap * 4, label: `Raise the cap to ${l.cap * 4} MiB/s.`, available: true }, { action: 'setMaxDowntime', value: Math.ceil(((s.downtimeMs ?? 0) * 1.2) / 100) * 100, label: 'Accept a longer pause.', available: true }, post, abort],
      etaNote: 'No ETA: remaining memory is not falling from pass to pass.',
    };
  }
  return { state: 'converging', signals: NO_SIGNALS, reason: `Throughput ${(s.throughputMiBps ?? 0).toFixed(1)} MiB/s is well above the dirty rate ${(s.dirtyMiBps ?? 0).toFixed(1)} MiB/s; ${Math.round(s.remainingMiB ?? 0)} MiB left.`, remedies: [abort], etaMs: Math.max(500, ((s.remainingMiB ?? 0) / (s.throughputMiBps ?? 1)) * 1000), etaNote: 'at the current throughput' };
}

export function createFakeMigrations(hosts: Map<string, HostView>, o: { tickMs: number; now: () => Date; seed: number }): MigrationPort {
  const runs = new Map<string, Live>();
  const listeners = new Set<(e: MigrationEvent) => void>();
  let seq = 1;
  let rnd = o.seed;
  const rand = () => ((rnd = (rnd * 48271) % 2147483647) / 2147483647);
  const emit = (e: MigrationEvent) => listeners.forEach((l) => l(e));
  const head = (r: MigrationRun): RunHead => {
    const { samples: _s, ...h } = r;
    return h;
  };
  const nameOf = (id: string) => hosts.get(id)?.record.name ?? id;

  function create(vmName: string, src: string, dst: string, options: MigrationRun['options'], startedMsAgo: number): Live {
    const cap = options.bandwidthMiBps ?? 64;
    const kind: FakeRunKind = /stall/.test(vmName) ? 'stalled' : cap < 32 ? 'not-converging' : 'converging';
    const run: MigrationRun = { id: `m${seq++}`, vmName, sourceHostId: src, destinationHostId: dst, sourceName: nameOf(src), destinationName: nameOf(dst), startedAt: new Date(o.now().getTime() - startedMsAgo).toISOString(), state: 'running', options, samples: [] };
    const l: Live = { run, kind, cap, i: 0, rand };
    runs.set(run.id, l);
    return l;
  }
  const event = (l: Live, kind: string, text: string, at = o.now().getTime()) => {
    l.run = { ...l.run, events: [...(l.run.events ?? []), { at, kind, text }] };
  };
  /** The connection breaks in post-copy: the VM is split, the run waits for a resume. */
  function interrupt(l: Live, at = o.now().getTime()) {
    const text = `The migration connection broke in post-copy: ${l.run.vmName} runs on ${l.run.destinationName}, the rest of its memory is on ${l.run.sourceName}.`;
    event(l, 'post-copy-interrupted', text, at);
    l.run = { ...l.run, state: 'post-copy-interrupted', inPostcopy: false, interruption: { at, source: 'paused (post-copy failed)', destination: 'running (post-copy failed)', resumes: l.run.interruption?.resumes ?? 0 } };
  }
  function resume(l: Live, at = o.now().getTime()) {
    event(l, 'post-copy-resume', `Resuming post-copy: virsh migrate --postcopy-resume on ${l.run.sourceName}.`, at);
    const i = l.run.interruption;
    l.run = { ...l.run, state: 'post-copy', inPostcopy: true, ...(i ? { interruption: { at: i.at, source: i.source, destination: i.destination, resumes: i.resumes + 1, resumedAt: at } } : {}) };
    l.postcopyLeft ??= 64;
  }
  /** A post-copy sample: the rest of the memory at the cap; a VM named "*split*" breaks on its first one. */
  function postcopyStep(l: Live, left: number): RunSample {
    const next = (l.run.samples.at(-1)?.t ?? 0) + 1;
    // After a resume, on the wall clock (the time the VM spent split is a gap on the chart, as in the app).
    const t = l.run.interruption?.resumedAt === undefined ? next : Math.max(next, Math.round((o.now().getTime() - Date.parse(l.run.startedAt)) / 1000));
    const sample: RunSample = { t, at: Date.parse(l.run.startedAt) + t * 1000, iteration: l.run.samples.at(-1)?.iteration, throughputMiBps: l.cap, remainingMiB: Math.max(0, left), postcopy: true };
    l.run = { ...l.run, samples: [...l.run.samples, sample], verdict: { state: 'post-copy', signals: NO_SIGNALS, reason: `In post-copy: the guest runs on ${l.run.destinationName}; ${Math.max(0, left).toFixed(1)} MiB left at ${l.cap} MiB/s.`, remedies: [], etaMs: (Math.max(0, left) / l.cap) * 1000, etaNote: 'Time to send what is left at the current rate (post-copy: nothing is re-sent).' } };
    l.postcopyLeft = left - l.cap;
    if (/split/.test(l.run.vmName) && l.run.interruption === undefined) interrupt(l);
    else if (l.postcopyLeft <= 0) {
      if (l.run.interruption !== undefined) event(l, 'post-copy-ended', 'Every page is on the destination.');
      finish(l, 'completed');
    }
    return sample;
  }
  function step(l: Live): RunSample {
    if (l.postcopyLeft !== undefined) return postcopyStep(l, l.postcopyLeft);
    const s = fakeRunSample(l.i++, { kind: l.kind, hz: 1, capMiBps: l.cap }, l.rand);
    const sample: RunSample = { t: s.t, at: Date.parse(l.run.startedAt) + s.t * 1000, iteration: s.iteration, throughputMiBps: s.throughputMiBps, dirtyMiBps: s.dirtyMiBps, remainingMiB: s.remainingMiB, downtimeMs: s.downtimeMs };
    l.run = { ...l.run, samples: [...l.run.samples, sample], verdict: verdictOf(l, sample) };
    if (l.kind === 'converging' && (s.remainingMiB ?? 1) < 0.5 && s.iteration > 2) finish(l, 'completed');
    return sample;
  }
  function finish(l: Live, status: 'completed' | 'aborted') {
    const last = l.run.samples.at(-1);
    l.run = { ...l.run, state: status, endedAt: o.now().toISOString(), totalMs: (last?.t ?? 0) * 1000, ...(status === 'completed' ? { downtimeMs: 40 + Math.round(rand() * 80), dataSentBytes: (last?.t ?? 0) * l.cap * 1048576 } : {}) };
    if (status === 'completed') {
      // The inventory would move the VM; the fake only records it.
    }
  }

  // Seeds: a finished migration, and a busy VM not converging at 16 MiB/s for 10 minutes.
  const ids = [...hosts.values()].filter((h) => h.connection.state === 'connected').map((h) => h.record.id);
  if (ids.length >= 2) {
    const [a = '', b = ''] = ids;
    const done = create('web-01', a, b, { live: true, p2p: true, bandwidthMiBps: 64 }, 3_600_000);
    for (let k = 0; k < 40 && isActive(done.run.state); k++) step(done);
    if (isActive(done.run.state)) finish(done, 'completed');
    const busy = create('db-busy', a, b, { live: true, p2p: true, postcopy: true, bandwidthMiBps: 16 }, 600_000);
    for (let k = 0; k < 600; k++) step(busy);
    // A busy VM whose post-copy broke 20 s ago; one resume already failed (libvirt's words kept); the next one works.
    const split = create('db-split', a, b, { live: true, p2p: true, postcopy: true, bandwidthMiBps: 16 }, 120_000);
    for (let k = 0; k < 60; k++) step(split);
    const now = o.now().getTime();
    event(split, 'post-copy', 'Switched to post-copy.', now - 60_000);
    split.postcopyLeft = 96;
    step(split); // breaks: a "split" VM's first post-copy sample
    split.run = { ...split.run, events: (split.run.events ?? []).map((e) => (e.kind === 'post-copy-interrupted' ? { ...e, at: now - 55_000 } : e)), interruption: { ...split.run.interruption!, at: now - 55_000 } };
    resume(split, now - 30_000);
    event(split, 'post-copy-resume-failed', `Resuming post-copy failed: ${RESUME_FAILURE}`, now - 25_000);
    // A failed resume leaves the VM split (no new break): the record is interrupted again, with libvirt's words.
    const i = split.run.interruption!;
    split.run = { ...split.run, state: 'post-copy-interrupted', inPostcopy: false, interruption: { at: i.at, source: i.source, destination: i.destination, resumes: i.resumes, lastResumeError: { code: 'libvirt.error', message: 'virsh migrate --postcopy-resume failed.', detail: RESUME_FAILURE } } };
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    for (const l of runs.values()) {
      if (!isActive(l.run.state)) continue;
      const sample = step(l);
      emit({ type: 'sample', id: l.run.id, sample, verdict: l.run.verdict });
      if (!isActive(l.run.state)) emit({ type: 'run', run: head(l.run) });
    }
    timer = setTimeout(tick, o.tickMs);
  };

  return {
    async start(spec) {
      const src = hosts.get(spec.sourceHostId);
      const dst = hosts.get(spec.destinationHostId);
      if (!src || !dst) return err({ code: 'inventory.not-found', message: 'No such host.' });
      const preflight = [
        { check: 'reach', title: 'Source reaches destination', status: 'pass' as const, message: `${src.record.name} opened qemu+ssh://${dst.record.address}/system.` },
        { check: 'cpu', title: 'CPU compatibility', status: 'pass' as const, message: `The domain's CPU model runs on ${dst.record.name}.` },
        { check: 'memory', title: 'Free memory', status: 'pass' as const, message: `${dst.record.name} has room for the guest.` },
        { check: 'mtu', title: 'MTU', status: 'warn' as const, message: 'eth0 is 9000 on the source, 1500 on the destination.', fix: 'Set the same MTU on both migration NICs.' },
        ...(spec.options.tls === true ? [{ check: 'tls', title: 'TLS certificates', status: 'fail' as const, message: `server-cert.pem is missing in /etc/pki/qemu on ${dst.record.name}.`, fix: 'Install the CA-signed server certificate for the destination’s name.' }] : []),
      ];
      if (preflight.some((c) => c.status === 'fail')) return ok({ preflight });
      const l = create(spec.domain, spec.sourceHostId, spec.destinationHostId, spec.options, 0);
      setTimeout(() => emit({ type: 'run', run: head(l.run) }), 0);
      return ok({ id: l.run.id, preflight });
    },
    async control(id, action) {
      const l = runs.get(id);
      if (l?.run.state === 'post-copy-interrupted' && action.action === 'resumePostcopy') {
        resume(l);
        setTimeout(() => emit({ type: 'run', run: head(l.run) }), 0);
        return ok({});
      }
      if (!l || !isActive(l.run.state) || action.action === 'resumePostcopy') return err({ code: 'input.invalid', message: l?.run.state === 'post-copy-interrupted' ? 'Only a resume can help a migration interrupted in post-copy.' : 'That migration is not running.' });
      if (action.action === 'abort') finish(l, 'aborted');
      else if (action.action === 'setSpeed') {
        l.cap = action.value;
        l.run = { ...l.run, options: { ...l.run.options, bandwidthMiBps: action.value } };
        if (action.value >= 32) l.kind = 'converging';
      } else if (action.action === 'setMaxDowntime') {
        l.run = { ...l.run, options: { ...l.run.options, maxDowntimeMs: action.value } };
        l.kind = 'converging';
      } else if (/split/.test(l.run.vmName)) {
        // Post-copy that will break: the view's interrupted state without hosts.
        event(l, 'post-copy', 'Switched to post-copy.');
        l.run = { ...l.run, inPostcopy: true, state: 'post-copy' };
        l.postcopyLeft = 96;
      } else {
        l.run = { ...l.run, verdict: { state: 'post-copy', signals: NO_SIGNALS, reason: 'Switched to post-copy: the guest runs on the destination while its pages follow.', remedies: [], etaNote: 'finishing' } };
        finish(l, 'completed');
      }
      setTimeout(() => emit({ type: 'run', run: head(l.run) }), 0);
      return ok({});
    },
    watch(onEvent) {
      listeners.add(onEvent);
      queueMicrotask(() => onEvent({ type: 'snapshot', runs: [...runs.values()].map((l) => l.run) }));
      if (timer === undefined && o.tickMs > 0) timer = setTimeout(tick, o.tickMs);
      return () => {
        listeners.delete(onEvent);
        if (listeners.size === 0 && timer !== undefined) {
          clearTimeout(timer);
          timer = undefined;
        }
      };
    },
  };
}
