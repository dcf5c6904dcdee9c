// Captures whole migration runs as Ferry's engine journals them (every domjobinfo sample, parsed, with its derived
// figures; the events; the end) into test/fixtures/migration-runs/<case>.json, beside a <case>.cmd saying how. The
// verdict's tests replay these sample sequences. Usage (lab up, from the repo root, one case or several):
//   flock /var/tmp/ferry-lab.lock npx tsx test/lab/capture-migration-runs.ts autoconverge-8 plain-8-abort blackhole-stall
import { mkdirSync, writeFileSync } from 'node:fs';
import type { MigrationOptions } from '../../shared/migration/options';
import { openLabEngine } from '../integration/lab-engine';
import { cancelWatchdog, labInfo, labRun, startWatchdog, vmReset } from './lab';

interface Case {
  readonly note: string;
  readonly options: MigrationOptions;
  /** Seconds before the lab's watchdog aborts the job whatever happens. */
  readonly watchdogS: number;
  /** Ferry aborts the run after this many seconds of job time (absent: let it finish). */
  readonly abortAfterS?: number;
  readonly before?: readonly string[];
  readonly after?: readonly string[];
}

const base: MigrationOptions = { live: true, p2p: true, persistent: true, undefineSource: true };
const CASES: Readonly<Record<string, Case>> = {
  'autoconverge-8': {
    note: 'vmd (dirty=20, ~4.8 MiB/s) hvA -> hvB capped at 8 MiB/s with --auto-converge (default initial 20 %, increment 10 %): the throttle climbs until the run converges',
    options: { ...base, bandwidthMiBps: 8, autoConverge: true },
    watchdogS: 300,
  },
  'plain-8-abort': {
    note: 'vmd hvA -> hvB capped at 8 MiB/s without auto-converge: never converges; Ferry aborts it after ~45 s of job time, so the record ends with the cancelled sample(s)',
    options: { ...base, bandwidthMiBps: 8 },
    watchdogS: 120,
    abortAfterS: 45,
  },
  'blackhole-stall': {
    note: 'vm1 hvA -> hvB with --migrateuri tcp://10.77.2.12 and a black hole on sw2-hvB (frames over 1514 bytes vanish): the data stalls at ~0.5 MiB; Ferry aborts after ~25 s',
    options: { ...base, migrateUri: 'tcp://10.77.2.12' },
    watchdogS: 90,
    abortAfterS: 25,
    before: ['blackhole', 'on', 'sw2-hvB'],
    after: ['blackhole', 'off', 'sw2-hvB'],
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function capture(name: string, c: Case): Promise<void> {
  const l = labInfo();
  if (!l) throw new Error('The lab is not up (no lab.json).');
  await vmReset();
  const { engine, hvA, hvB, close } = await openLabEngine(l, { prefix: 'ferry-capture-' });
  const vm = name === 'blackhole-stall' ? 'vm1' : 'vmd';
  let watchdog: number | undefined;
  try {
    if (c.before) await labRun(c.before);
    watchdog = await startWatchdog('hvA', vm, c.watchdogS);
    const s = await engine.start({ vm, source: hvA, destination: hvB, options: c.options, destinationUser: 'root' });
    if (!s.ok) throw new Error(s.error.message);
    const id = s.value.id;
    if (c.abortAfterS !== undefined) {
      const limitMs = c.abortAfterS * 1000;
      while (engine.isRunning(id)) {
        const t = engine.record(id)?.samples.at(-1)?.info?.timeElapsedMs ?? 0;
        if (t >= limitMs) {
          const r = await engine.control(id, { kind: 'abort' });
          console.log(`${name}: abort at ${t} ms of job time: ${r.ok ? 'sent' : r.error.message}`);
          break;
        }
        await sleep(200);
      }
    }
    const rec = await engine.settled(id);
    if (!rec) throw new Error('no record');
    mkdirSync('test/fixtures/migration-runs', { recursive: true });
    const out = `test/fixtures/migration-runs/${name}`;
    writeFileSync(`${out}.json`, `${JSON.stringify({ vm, options: c.options, startedAt: rec.startedAt, samples: rec.samples, events: rec.events, end: rec.end }, null, 1)}\n`);
    const libvirt = await (await import('./lab')).virsh('hvA', ['version']).catch(() => '?');
    writeFileSync(
      `${out}.cmd`,
      [
        `command: npx tsx test/lab/capture-migration-runs.ts ${name} (Ferry's MigrationEngine, samples at 1 Hz through one virsh session on hvA)`,
        `migration: ${vm} hvA (10.77.0.11) -> hvB (10.77.0.12), options ${JSON.stringify(c.options)}`,
        `lab: ${c.before ? `lab.sh ${c.before.join(' ')} before, ${c.after?.join(' ') ?? ''} after` : 'canonical (no shaping, no black hole)'}`,
        `date: ${new Date().toISOString()}`,
        `outcome: ${rec.state} (${rec.end?.message ?? ''}), ${rec.samples.length} samples`,
        `tool: ${libvirt.split('\n').filter((x) => x.trim() !== '').join('; ')}`,
        `note: ${c.note}`,
        '',
      ].join('\n'),
    );
    const throttles = rec.samples.map((x) => x.info?.autoConvergeThrottlePercent).filter((x) => x !== undefined);
    console.log(`${name}: ${rec.state} after ${rec.end?.wallMs ?? '?'} ms, ${rec.samples.length} samples, throttle ${throttles.join(',')}`);
  } finally {
    if (watchdog !== undefined) await cancelWatchdog(watchdog).catch(() => undefined);
    if (c.after) await labRun(c.after).catch(() => undefined);
    await close();
    await vmReset();
  }
}

for (const name of process.argv.slice(2)) {
  const c = CASES[name];
  if (!c) throw new Error(`unknown case ${name}: ${Object.keys(CASES).join(', ')}`);
  await capture(name, c);
}
