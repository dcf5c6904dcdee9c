/**
 * The dev fake's migration engine: it replays migrations captured in the lab (test/fixtures/migration-runs, the
 * samples Ferry's engine took at 1 Hz) as new runs, one sample a tick, and is served through main's own migration
 * handlers (electron/main/migration/handlers.ts), so records, views and verdicts are computed as in the app.
 *
 * Which capture a run replays: a VM whose name contains "stall" replays the black-holed link; a cap of 32 MiB/s or
 * more, or auto-converge, replays the converging run (it completes); anything else replays the run capped at
 * 8 MiB/s that never converges (its last half repeats until a control ends it). Raising the cap to 32+ or the
 * downtime limit completes it on the next tick; post-copy completes it, except for a VM whose name contains "split":
 * its connection breaks after the switch (interrupted) until it is resumed. Seeded with a finished run, a running
 * one that does not converge ("db-busy") and "db-split", interrupted in post-copy after a failed resume.
 */
import { err, ok, type Result } from '../../../shared/result';
import type { FerryError } from '../../../shared/errors';
import type { HostView } from '../../../shared/inventory/types';
import type { PreflightResultView } from '../../../shared/migration/preflight-result';
import type { MigrationOptions } from '../../../shared/migration/options';
import { commandLine } from '../../../shared/commands/migrate';
import type { MigrationEnginePort } from '../../../electron/main/migration/handlers';
import type { MigrationUpdate, StartMigration } from '../../../electron/main/migration/engine';
import { describeControl } from '../../../electron/main/migration/controls';
import type { CommandRunner } from '../../../electron/main/remote/run-command';
import {
  RecordStore,
  type MigrationEndPayload,
  type MigrationEventPayload,
  type MigrationHostRef,
  type MigrationSamplePayload,
  type MigrationStartPayload,
} from '../../../electron/main/migration/record';
import { measuredOf, type TrialRequest, type TrialRun } from '../../../electron/main/migration/trial';
import { TRIAL_DEFAULT_CAP_MIBPS, TRIAL_DEFAULT_PASSES, TRIAL_MAX_DOWNTIME_MS, type TrialCheck } from '../../../shared/migration/trial-schema';
import autoconverge8 from '../../../test/fixtures/migration-runs/autoconverge-8.json';
import plain8 from '../../../test/fixtures/migration-runs/plain-8-abort.json';
import blackholeStall from '../../../test/fixtures/migration-runs/blackhole-stall.json';

type Timed<T> = T & { readonly at: number };

/** One journal line as the engine appends it (electron/main/migration/journal.ts). */
type Entry = { readonly id: string; readonly at: number } & (
  | { readonly type: 'start'; readonly start: MigrationStartPayload }
  | { readonly type: 'sample'; readonly sample: MigrationSamplePayload }
  | { readonly type: 'event'; readonly event: MigrationEventPayload }
  | { readonly type: 'end'; readonly end: MigrationEndPayload }
);

/** A run as test/lab/capture-migration-runs.ts wrote it. */
interface LabRun {
  readonly vm: string;
  readonly startedAt: number;
  readonly samples: readonly Timed<MigrationSamplePayload>[];
  readonly end: Timed<MigrationEndPayload>;
}
const LAB = {
  converging: autoconverge8 as unknown as LabRun,
  notConverging: plain8 as unknown as LabRun,
  stalled: blackholeStall as unknown as LabRun,
};

/** libvirt's words when a resume fails (QEMU's, as `virsh migrate --postcopy-resume` prints them). */
export const RESUME_FAILURE = "error: internal error: unable to execute QEMU command 'migrate-recover': Migrate recover can only be run when postcopy is paused.";

interface Live {
  readonly lab: LabRun;
  /** Index of the next lab sample to replay, counted over the repeats. */
  next: number;
  seq: number;
  /** What the next tick does instead of a sample. */
  pending: 'complete' | 'split' | undefined;
}

export interface FakeEngineOptions {
  readonly hosts: () => readonly HostView[];
  /** Wall clock, ms. */
  readonly now: () => number;
  /** Period of a replayed sample; 0: runs move only when controlled (tests). */
  readonly tickMs: number;
}

export interface FakeEngine extends MigrationEnginePort {
  /**
   * A trial pre-copy at once: the capture at 8 MiB/s that never converges, replayed (journalled as a trial) until
   * pass `passes` has ended, then aborted; the checks on the hosts answer as the lab's did.
   */
  trial(req: TrialRequest): Promise<TrialRun>;
  /** Stops the replay timer. */
  dispose(): void;
}

const MiB = 1024 * 1024;

/** The i-th sample of a replay: past the capture's end, its second half again with the counters carried on. */
function labSample(lab: LabRun, i: number, repeat: boolean): Timed<MigrationSamplePayload> | undefined {
  const n = lab.samples.length;
  if (i < n) return lab.samples[i];
  if (!repeat) return undefined;
  const from = Math.floor(n / 2);
  const span = n - from;
  const cycle = Math.floor((i - from) / span);
  const s = lab.samples[from + ((i - from) % span)];
  const last = lab.samples[n - 1];
  const before = lab.samples[from - 1];
  if (s === undefined || last === undefined || before === undefined) return undefined;
  const d = (f: (x: Timed<MigrationSamplePayload>) => number | undefined) => cycle * ((f(last) ?? 0) - (f(before) ?? 0));
  const plus = (v: number | undefined, delta: number) => (v === undefined ? undefined : v + delta);
  const shift = <T extends object>(o: T | undefined, changes: Record<string, number | undefined>): T | undefined => {
    if (o === undefined) return undefined;
    const next: Record<string, unknown> = { ...(o as Record<string, unknown>) };
    for (const [k, v] of Object.entries(changes)) if (v !== undefined) next[k] = v;
    return next as T;
  };
  const elapsed = d((x) => x.info?.timeElapsedMs);
  const processed = d((x) => x.info?.dataProcessedBytes);
  const iterations = d((x) => x.info?.iteration);
  const info = shift(s.info, { timeElapsedMs: plus(s.info?.timeElapsedMs, elapsed), dataProcessedBytes: plus(s.info?.dataProcessedBytes, processed), memoryProcessedBytes: plus(s.info?.memoryProcessedBytes, processed), iteration: plus(s.info?.iteration, iterations) });
  const figures = shift(s.figures, { elapsedMs: plus(s.figures?.elapsedMs, elapsed), processedBytes: plus(s.figures?.processedBytes, processed), iteration: plus(s.figures?.iteration, iterations) });
  return { ...s, at: s.at + d((x) => x.at), ...(info ? { info } : {}), ...(figures ? { figures } : {}) };
}

/**
 * What the fake's hosts answer about a domain (`virsh dominfo`, `virsh dumpxml`): every VM is like the lab's vmd, a
 * 256 MiB TCG guest (`<domain type='qemu'>`), so the replayed runs fit its memory and no dirty-rate measurement is
 * ever tried. Any other command fails as on a host without it.
 */
export const fakeDomainRunner: CommandRunner = {
  run: async (argv) => {
    const at = argv.indexOf('--domain');
    const vm = at >= 0 ? (argv[at + 1] ?? '') : '';
    const esc = vm.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;');
    if (argv.includes('dominfo')) {
      const text = `Id:             7\nName:           ${vm}\nUUID:           f3e7a001-0000-4000-8000-000000000002\nOS Type:        hvm\nState:          running\nCPU(s):         1\nMax memory:     262144 KiB\nUsed memory:    262144 KiB\nPersistent:     yes\nAutostart:      disable\nManaged save:   no\n\n`;
      return ok({ stdout: text, stderr: '', exitCode: 0 });
    }
    if (argv.includes('dumpxml')) {
      const xml = `<domain type='qemu'>\n  <name>${esc}</name>\n  <uuid>f3e7a001-0000-4000-8000-000000000002</uuid>\n  <memory unit='KiB'>262144</memory>\n  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n</domain>\n`;
      return ok({ stdout: xml, stderr: '', exitCode: 0 });
    }
    return ok({ stdout: '', stderr: `error: the dev fake does not run ${argv.join(' ')}\n`, exitCode: 1 });
  },
};

/** The checks the fake's pre-flight answers: all pass but the MTU (a warning); TLS fails, so a refusal can be seen. */
export function fakePreflight(input: { vm: string; source: HostView; destination: HostView; options: MigrationOptions }): PreflightResultView[] {
  const src = input.source.record;
  const dst = input.destination.record;
  return [
    { check: 'p2p', title: 'Source reaches destination', status: 'pass', message: `${src.name} opened qemu+ssh://${dst.address}/system.` },
    { check: 'cpu', title: 'CPU compatibility', status: 'pass', message: `The domain's CPU model runs on ${dst.name}.` },
    { check: 'memory', title: 'Free memory', status: 'pass', message: `${dst.name} has room for ${input.vm}.` },
    { check: 'mtu', title: 'MTU', status: 'warn', message: 'eth0 is 9000 on the source, 1500 on the destination.', fix: 'Set the same MTU on both migration NICs.' },
    ...(input.options.tls === true
      ? [{ check: 'tls', title: 'TLS certificates', status: 'fail' as const, message: `server-cert.pem is missing in /etc/pki/qemu on ${dst.name}.`, fix: 'Install the CA-signed server certificate for the destination’s name.' }]
      : []),
  ];
}

export function createFakeEngine(o: FakeEngineOptions): FakeEngine {
  const records = new RecordStore();
  const live = new Map<string, Live>();
  const listeners = new Set<(u: MigrationUpdate) => void>();
  let lineNo = 0;
  let nextId = 1;
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** One journal line applied to the records, and told to the watchers as the engine tells them. */
  function append(entry: Entry, quiet = false): void {
    records.apply({ v: 1, n: lineNo++, ...entry });
    if (quiet) return;
    const { id, at } = entry;
    const u: MigrationUpdate =
      entry.type === 'start'
        ? { kind: 'started', id, at, start: entry.start }
        : entry.type === 'sample'
          ? { kind: 'sample', id, at, sample: entry.sample }
          : entry.type === 'event'
            ? { kind: 'event', id, at, event: entry.event }
            : { kind: 'ended', id, at, end: entry.end, reconciled: false };
    for (const l of [...listeners]) l(u);
  }
  const event = (id: string, event: MigrationEventPayload, at = o.now(), quiet = false) => append({ type: 'event', id, at, event }, quiet);
  const end = (id: string, payload: MigrationEndPayload, at = o.now(), quiet = false) => {
    live.delete(id);
    append({ type: 'end', id, at, end: payload }, quiet);
  };

  function begin(req: StartMigration, lab: LabRun, at: number, quiet = false): { id: string; commandLine: string } {
    const id = `fake-${nextId++}`;
    const line = commandLine({ domain: req.vm, destinationHost: req.destination.address, destinationPort: req.destinationPort ?? 22, options: req.options, ...(req.destinationUser ? { destinationUser: req.destinationUser } : {}) });
    const text = line.ok ? line.value : `virsh migrate --domain ${req.vm}`;
    const start: MigrationStartPayload = {
      vm: req.vm,
      source: req.source,
      destination: req.destination,
      options: req.options,
      argv: text.split(' '),
      commandLine: text,
      intervalMs: req.intervalMs ?? 1000,
      ...(req.preflight !== undefined ? { preflight: req.preflight } : {}),
      ...(req.purpose !== undefined ? { purpose: req.purpose } : {}),
    };
    append({ type: 'start', id, at, start }, quiet);
    event(id, { kind: 'phase', message: 'Memory transfer started.' }, at + 2000, quiet);
    live.set(id, { lab, next: 0, seq: 0, pending: undefined });
    return { id, commandLine: text };
  }

  /** Replays the next sample at `at` (or does what a control left for this tick). */
  function step(id: string, at = o.now(), quiet = false): void {
    const l = live.get(id);
    const rec = records.get(id);
    if (!l || !rec?.start) return;
    const { vm, source, destination } = rec.start;
    if (l.pending === 'split') {
      l.pending = undefined;
      const error: FerryError = { code: 'libvirt.error', message: 'virsh failed: operation failed: migration out job: unexpectedly failed' };
      event(id, { kind: 'command-ended', message: `virsh migrate ended with an error: ${error.message}`, error }, at, quiet);
      const split = { source: 'paused (post-copy failed)', destination: 'running (post-copy failed)' };
      event(id, { kind: 'post-copy-interrupted', message: `The migration connection broke in post-copy: ${vm} runs on ${destination.name}, the rest of its memory is on ${source.name}.`, split }, at, quiet);
      return;
    }
    const repeat = l.lab.end.state !== 'completed';
    const s = l.pending === 'complete' ? undefined : labSample(l.lab, l.next, repeat);
    if (s === undefined) {
      if (l.pending !== 'complete' && repeat) return;
      return complete(id, at, quiet);
    }
    const { at: _at, ...payload } = s;
    append({ type: 'sample', id, at, sample: { ...payload, seq: l.seq++ } }, quiet);
    l.next++;
  }

  function complete(id: string, at: number, quiet: boolean): void {
    const l = live.get(id);
    const rec = records.get(id);
    if (!l || !rec?.start) return;
    const { vm, destination } = rec.start;
    const whole = l.next >= l.lab.samples.length && l.lab.end.state === 'completed';
    const last = rec.samples.at(-1);
    const totalTimeMs = whole ? (l.lab.end.final?.totalTimeMs ?? 0) : at - (rec.startedAt ?? at);
    const downtimeMs = whole ? (l.lab.end.final?.downtimeMs ?? 0) : 48;
    const dataSentBytes = whole ? (l.lab.end.final?.dataSentBytes ?? 0) : (last?.figures?.processedBytes ?? 0);
    if (rec.state === 'running' && rec.events.some((e) => e.kind === 'post-copy')) event(id, { kind: 'post-copy-ended', message: 'Every page is on the destination.' }, at, quiet);
    event(id, { kind: 'command-ended', message: 'virsh migrate finished.' }, at, quiet);
    const message = `Migration completed: ${vm} runs on ${destination.name}. ${(totalTimeMs / 1000).toFixed(1)} s total, ${downtimeMs} ms downtime (as the destination measured it), ${(dataSentBytes / MiB).toFixed(1)} MiB sent.`;
    end(id, { state: 'completed', message, final: { readOn: 'destination', totalTimeMs, downtimeMs, dataSentBytes }, wallMs: totalTimeMs }, at, quiet);
  }

  function tick(): void {
    timer = undefined;
    for (const id of [...live.keys()]) if (records.get(id)?.state === 'running') step(id);
    arm();
  }
  function arm(): void {
    const busy = [...live.keys()].some((id) => records.get(id)?.state === 'running');
    if (timer === undefined && busy && o.tickMs > 0) timer = setTimeout(tick, o.tickMs);
  }

  function labFor(vm: string, options: MigrationOptions): LabRun {
    if (/stall/.test(vm)) return LAB.stalled;
    return options.autoConverge === true || (options.bandwidthMiBps ?? 64) >= 32 ? LAB.converging : LAB.notConverging;
  }

  // Seeds, journalled before anyone watches.
  const connected = o.hosts().filter((h) => h.connection.state === 'connected');
  const [a, b] = connected;
  if (a && b) {
    const ref = (h: HostView): MigrationHostRef => ({ id: h.record.id, name: h.record.name, address: h.record.address });
    const req = (vm: string, options: MigrationOptions): StartMigration => ({ vm, source: ref(a), destination: ref(b), options, destinationUser: b.record.user, destinationPort: b.record.port });
    /** The first `count` ticks of a run that started at `startedAt`, each at its time in the capture. */
    const replay = (id: string, startedAt: number, count: number) => {
      const l = live.get(id);
      for (let k = 0; k < count && l !== undefined && live.has(id); k++) {
        const s = labSample(l.lab, l.next, l.lab.end.state !== 'completed');
        step(id, startedAt + (s ?? l.lab.end).at - l.lab.startedAt, true);
      }
    };
    const now = o.now();
    const doneAt = now - 3_600_000;
    const done = begin(req('web-01', { live: true, p2p: true, autoConverge: true, bandwidthMiBps: 8 }), LAB.converging, doneAt, true);
    replay(done.id, doneAt, LAB.converging.samples.length + 1);

    const busyAt = now - 45_000;
    const busy = begin(req('db-busy', { live: true, p2p: true, postcopy: true, bandwidthMiBps: 8 }), LAB.notConverging, busyAt, true);
    replay(busy.id, busyAt, 44);

    // A busy VM whose post-copy broke 55 s ago; one resume already failed (libvirt's words kept); the next one works.
    const splitAt = now - 120_000;
    const split = begin(req('db-split', { live: true, p2p: true, postcopy: true, bandwidthMiBps: 8 }), LAB.notConverging, splitAt, true);
    replay(split.id, splitAt, 30);
    event(split.id, { kind: 'control', message: 'Switch to post-copy requested', control: { kind: 'postcopy' } }, now - 60_500, true);
    event(split.id, { kind: 'post-copy', message: 'Switched to post-copy.' }, now - 60_000, true);
    const l = live.get(split.id);
    if (l) l.pending = 'split';
    step(split.id, now - 55_000, true);
    event(split.id, { kind: 'post-copy-resume', message: 'Resuming post-copy: virsh migrate --postcopy-resume on hvA.', detail: 'virsh migrate --postcopy-resume' }, now - 30_000, true);
    const failure: FerryError = { code: 'libvirt.error', message: 'virsh migrate --postcopy-resume failed.', detail: RESUME_FAILURE };
    event(split.id, { kind: 'post-copy-resume-failed', message: `Resuming post-copy failed: ${RESUME_FAILURE}`, error: failure, split: { source: 'paused (post-copy failed)', destination: 'running (post-copy failed)' } }, now - 25_000, true);
  }

  return {
    records: () => records.all(),
    record: (id) => records.get(id),
    onUpdate(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async start(req) {
      const started = begin(req, labFor(req.vm, req.options), o.now());
      arm();
      return ok(started);
    },
    async refuse(req, message) {
      const id = `fake-${nextId++}`;
      const at = o.now();
      append({ type: 'start', id, at, start: { vm: req.vm, source: req.source, destination: req.destination, options: req.options, argv: [], commandLine: '', intervalMs: req.intervalMs ?? 1000, ...(req.preflight ? { preflight: req.preflight } : {}) } });
      append({ type: 'end', id, at, end: { state: 'refused', message } });
      return ok({ id });
    },
    async control(id, c): Promise<Result<void, FerryError>> {
      const rec = records.get(id);
      const l = live.get(id);
      if (!rec || !l) return err({ code: 'input.invalid', message: 'That migration is not running.' });
      if (rec.state === 'post-copy-interrupted' && c.kind !== 'resume-postcopy') return err({ code: 'input.invalid', message: 'Only a resume can help a migration interrupted in post-copy.' });
      if (rec.state === 'running' && c.kind === 'resume-postcopy') return err({ code: 'input.invalid', message: 'That migration is not interrupted in post-copy.' });
      const vm = rec.start?.vm ?? id;
      if (c.kind === 'resume-postcopy') {
        event(id, { kind: 'post-copy-resume', message: `Resuming post-copy: virsh migrate --postcopy-resume on ${rec.start?.source.name ?? 'the source'}.`, detail: 'virsh migrate --postcopy-resume' });
        l.pending = 'complete';
        arm();
        return ok(undefined);
      }
      event(id, { kind: 'control', message: describeControl(c), control: c });
      if (c.kind === 'abort') {
        end(id, { state: 'aborted', message: `Migration aborted; ${vm} stays on ${rec.start?.source.name ?? 'the source'}.` });
      } else if (c.kind === 'postcopy') {
        event(id, { kind: 'post-copy', message: 'Switched to post-copy: the guest runs on the destination while its pages follow.' });
        l.pending = /split/.test(vm) ? 'split' : 'complete';
      } else if (c.kind === 'set-max-downtime' || (c.kind === 'set-speed' && c.mibPerSecond >= 32)) {
        l.pending = 'complete';
      }
      arm();
      return ok(undefined);
    },
    async trial(req) {
      const capMiBps = req.capMiBps ?? TRIAL_DEFAULT_CAP_MIBPS;
      const passes = req.passes ?? TRIAL_DEFAULT_PASSES;
      const lab = LAB.notConverging;
      const last = lab.samples.findIndex((s) => (s.info?.iteration ?? 0) > passes);
      const count = last < 0 ? lab.samples.length : last + 1;
      const spanMs = (lab.samples[count - 1]?.at ?? lab.startedAt) - lab.startedAt;
      // It ran just now: the replayed samples end a moment ago.
      const startedAt = o.now() - spanMs - 500;
      const options: MigrationOptions = { live: true, p2p: true, bandwidthMiBps: capMiBps, maxDowntimeMs: TRIAL_MAX_DOWNTIME_MS };
      const { id } = begin({ ...req, options, purpose: 'trial' }, lab, startedAt);
      for (let k = 0; k < count; k++) step(id, startedAt + (lab.samples[k]?.at ?? lab.startedAt) - lab.startedAt);
      event(id, { kind: 'control', message: describeControl({ kind: 'abort' }), control: { kind: 'abort' } });
      end(id, { state: 'aborted', message: `Migration aborted; ${req.vm} stays on ${req.source.name}.`, wallMs: o.now() - startedAt });
      const rec = records.get(id);
      const m = rec ? measuredOf(rec) : { passesSeen: 0, samples: 0, bytesSent: 0, durationMs: 0 };
      const checks: TrialCheck[] = [
        { check: 'source-running', ok: true, title: `${req.vm} runs on ${req.source.name}`, evidence: `\`virsh domstate --reason ${req.vm}\` on ${req.source.name}: running (booted)` },
        { check: 'destination-clear', ok: true, title: `${req.destination.name} holds no domain named ${req.vm}`, evidence: `\`virsh list --all --name\` on ${req.destination.name}: (no domain)` },
        { check: 'source-no-job', ok: true, title: `no job left for ${req.vm} on ${req.source.name}`, evidence: `\`virsh domjobinfo ${req.vm}\` on ${req.source.name}: Job type: none` },
      ];
      const stoppedBy = last < 0 ? 'max-time' : 'passes';
      return {
        samples: rec?.samples ?? [],
        result: {
          outcome: 'aborted',
          vm: req.vm,
          source: req.source.name,
          destination: req.destination.name,
          capMiBps,
          passes,
          id,
          ...m,
          stoppedBy,
          verification: { ok: true, checks },
          message: `Trial of ${req.vm} ${req.source.name} -> ${req.destination.name} at ${capMiBps} MiB/s: aborted in pass ${m.passesSeen}, ${stoppedBy === 'passes' ? `once pass ${passes} had ended` : 'at its time limit'} (dev fake: a lab capture replayed); ${req.vm} runs on ${req.source.name}, nothing is left on ${req.destination.name}.`,
        },
      };
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
