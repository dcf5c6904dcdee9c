// The trial pre-copy against scripted hosts: it stops after N passes and aborts, verified on both hosts; a run that
// completes on its own is reported as such, with where the VM is; an abort the hosts do not show is an error value,
// as are a destination that refuses and an abort that does not take. Its cost before it runs, and the journal's
// `purpose`.
import { describe, expect, it } from 'vitest';
import { until } from '../support/wait';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunOutput } from '../../electron/main/remote/run-command';
import { JOURNAL_FILE, parseJournal, Journal } from '../../electron/main/migration/journal';
import { buildRecords } from '../../electron/main/migration/record';
import { recordView } from '../../electron/main/migration/handlers';
import { runHead } from '../../renderer/src/store/migrationContract';
import { trialHandler } from '../../electron/main/migration/trial-handler';
import { migrationsTrial } from '../../shared/ipc/contract';
import { hostView } from './ipc-harness';
import { runTrial, type TrialRequest } from '../../electron/main/migration/trial';
import { parseVirshNames } from '../../shared/parsers/virsh-domain';
import { trialCost, trialDefaultCap, trialMaxMs, trialResultSchema } from '../../shared/migration/trial-schema';
import { engineFixture, hvA, hvB, out, scriptedHosts, type Script } from './engine-fakes';

const MiB = 1024 * 1024;
const RUNNING = (iteration: number) =>
  `Job type:         Unbounded   \nOperation:        Outgoing migration\nTime elapsed:     ${iteration * 1000}         ms\nData processed:   ${iteration * 10}.000 MiB\nMemory processed: ${iteration * 10}.000 MiB\nMemory remaining: 124.574 MiB\nMemory total:     256.000 MiB\nMemory bandwidth: 8.000 MiB/s\nDirty rate:       2048         pages/s\nPage size:        4096         bytes\nIteration:        ${iteration}\nExpected downtime: 2800          ms\n`;
const NONE = 'Job type:         None        \n';
const COMPLETED = `Job type:         Completed   \nOperation:        Outgoing migration\nTime elapsed:     4712         ms\nData processed:   86.941 MiB\nData remaining:   0.000 B\nData total:       256.000 MiB\nMemory processed: 86.941 MiB\nMemory remaining: 0.000 B\nMemory total:     256.000 MiB\nTotal downtime:   21           ms\n`;
const LIST = (rows: string[]) => ` Id   Name   State\n----------------------\n${rows.join('\n')}\n\n`;
const ABORTED = "error: operation aborted: job 'migration out' canceled by client\n";

const engines = engineFixture('ferry-trial-');

/**
 * Hosts around one trial of vmd hvA -> hvB: each sample of the job is one step further (two samples a pass); the
 * migrate command ends when domjobabort is sent, or on its own at `completesAt` (a pass number). `after` is what
 * the hosts show once the job is over.
 */
function trialHosts(o: { completesAt?: number; destinationBefore?: string[]; destinationAfter?: string[]; abortIgnored?: boolean; refused?: string } = {}) {
  let phase: 'idle' | 'migrating' | 'aborted' | 'completed' = 'idle';
  let samples = 0;
  let finish: (r: RunOutput) => void = () => undefined;
  const script: Script = (host, argv, signal) => {
    const verb = argv[3];
    if (verb === 'migrate') {
      if (o.refused !== undefined) return out('', o.refused, 1);
      phase = 'migrating';
      return new Promise<RunOutput>((resolve) => {
        finish = resolve;
        // Ferry quitting cuts the command's channel.
        signal?.addEventListener('abort', () => resolve(out('', 'error: cancelled by Ferry\n', 1)));
      });
    }
    if (verb === 'migrate-setmaxdowntime') return out('\n');
    if (verb === 'domjobabort') {
      if (o.abortIgnored) return out('\n');
      phase = 'aborted';
      setTimeout(() => finish(out('', ABORTED, 1)), 10);
      return out('\n');
    }
    if (verb === 'domstate') {
      if (host === 'hvA') return out(phase === 'completed' ? 'shut off (migrated)\n' : 'running (booted)\n');
      return phase === 'completed' ? out('running (migrated)\n') : out('', "error: failed to get domain 'vmd'\n", 1);
    }
    if (verb === 'list' && argv.includes('--name')) return out(host === 'hvB' ? `${(phase === 'idle' ? (o.destinationBefore ?? []) : (o.destinationAfter ?? [])).join('\n')}\n` : 'vmd\nvm1\n\n');
    if (verb === 'list') return out(host === 'hvB' ? LIST(phase === 'completed' ? [' 3    vmd    running'] : []) : LIST([' 1    vmd    running']));
    if (verb === 'domjobinfo' && argv.includes('--completed')) return out(COMPLETED);
    if (verb === 'domjobinfo') {
      if (phase !== 'migrating') return out(NONE);
      samples++;
      const pass = Math.ceil(samples / 2);
      if (o.completesAt !== undefined && pass >= o.completesAt) {
        phase = 'completed';
        setTimeout(() => finish(out('Migration: [100 %]\n')), 10);
      }
      return out(RUNNING(pass));
    }
    return out('', `error: unexpected ${argv.join(' ')}\n`, 1);
  };
  return scriptedHosts(script);
}

async function trial(hosts: ReturnType<typeof trialHosts>, req: Partial<TrialRequest> = {}, tuning: { abortWaitMs?: number; verifyMs?: number } = {}) {
  const { engine, dir } = await engines.open(hosts, { newId: () => 't1' });
  const run = await runTrial({ engine, exec: (h) => hosts.exec(h), ...tuning }, { vm: 'vmd', source: hvA, destination: hvB, intervalMs: 50, ...req });
  trialResultSchema.parse(run.result);
  return { ...run, engine, dir };
}

describe('trial pre-copy', () => {
  it('stops once pass N has ended, aborts, and verifies on both hosts; journalled as a trial', async () => {
    const hosts = trialHosts();
    const { result, samples, engine, dir } = await trial(hosts, { passes: 2, capMiBps: 8 });
    expect(result).toMatchObject({ outcome: 'aborted', stoppedBy: 'passes', passesSeen: 3, capMiBps: 8, passes: 2, id: 't1' });
    if (result.outcome !== 'aborted') return;
    // Stopped in pass 3, not later.
    expect(samples.some((s) => s.info?.iteration === 3)).toBe(true);
    expect(samples.some((s) => (s.info?.iteration ?? 0) > 3)).toBe(false);
    expect(result.samples).toBe(samples.length);
    expect(result.bytesSent).toBe(30 * MiB);
    expect(result.verification.ok).toBe(true);
    expect(result.verification.checks.map((c) => [c.check, c.ok])).toEqual([
      ['source-running', true],
      ['destination-clear', true],
      ['source-no-job', true],
    ]);
    expect(result.verification.checks[0]?.evidence).toBe('`virsh domstate --reason vmd` on hvA: running (booted)');
    expect(result.message).toMatch(/aborted in pass 3, once pass 2 had ended \(30\.0 MiB sent in /);
    // Not persistent, no --undefinesource: nothing stays defined on the destination; max downtime 1 ms.
    const argv = engine.record('t1')?.start?.argv ?? [];
    expect(argv).toEqual(expect.arrayContaining(['--live', '--p2p', '--bandwidth', '8']));
    expect(argv).not.toContain('--persistent');
    expect(argv).not.toContain('--undefinesource');
    expect(hosts.calls).toContain('hvA exec virsh --connect qemu:///system migrate-setmaxdowntime --domain vmd --downtime 1');
    expect(hosts.calls).toContain('hvA virsh virsh --connect qemu:///system domjobabort --domain vmd');
    expect(hosts.calls).toContain('hvB exec virsh --connect qemu:///system list --all --name');
    // The journal on disk says it was a trial, and the record view carries it for the history.
    await (await Journal.open({ dataDir: dir })).close();
    const rec = buildRecords(parseJournal(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).lines).find((r) => r.id === 't1');
    expect(rec?.start?.purpose).toBe('trial');
    expect(rec?.state).toBe('aborted');
    if (rec) expect(runHead(recordView(rec)).purpose).toBe('trial');
    // Why it stopped and what the hosts said after, in the history.
    const notes = rec?.events.filter((e) => e.kind === 'trial') ?? [];
    expect(notes.map((e) => e.message)).toEqual([
      'Trial pre-copy: pass 2 has ended (pass 3 began); aborting it as planned.',
      'Trial checked on both hosts: vmd runs on hvA; hvB holds no domain named vmd; no job left for vmd on hvA.',
    ]);
    expect(notes[1]?.detail).toMatch(/^ok  `virsh domstate --reason vmd` on hvA: running \(booted\)\nok  `virsh list --all --name` on hvB: \(no domain\)\nok  /);
  });

  it('reports a run that completed on its own, and where the VM is now', async () => {
    const hosts = trialHosts({ completesAt: 2 });
    const { result, engine } = await trial(hosts, { passes: 3 });
    expect(result.outcome).toBe('completed');
    if (result.outcome !== 'completed') return;
    expect(result.where).toEqual({ host: 'hvB', state: 'running (migrated)' });
    expect(result.message).toMatch(/completed on its own/);
    expect(result.message).toMatch(/vmd is running \(migrated\) on hvB, not defined there \(transient\); hvA keeps its definition/);
    expect(result.bytesSent).toBeCloseTo(86.941 * MiB, -3);
    expect(hosts.calls.some((c) => c.includes('domjobabort'))).toBe(false);
    expect(engine.record('t1')?.events.at(-1)).toMatchObject({ kind: 'trial', message: expect.stringMatching(/completed on its own before Ferry stopped it: vmd is running \(migrated\) on hvB/) });
  });

  it('an abort the destination does not show undone is an error value, with the evidence', async () => {
    const hosts = trialHosts({ destinationAfter: ['vm1', 'vmd'] });
    const { result } = await trial(hosts, { passes: 1 }, { verifyMs: 200 });
    expect(result).toMatchObject({ outcome: 'failed', code: 'abort-unverified', id: 't1' });
    if (result.outcome !== 'failed') return;
    const dest = result.verification?.checks.find((c) => c.check === 'destination-clear');
    expect(dest).toMatchObject({ ok: false, evidence: '`virsh list --all --name` on hvB: vm1, vmd' });
    expect(result.message).toMatch(/not so: hvB holds no domain named vmd/);
  });

  it('an abort that does not take is an error value naming the migration', async () => {
    const hosts = trialHosts({ abortIgnored: true });
    const { result } = await trial(hosts, { passes: 1 }, { abortWaitMs: 300 });
    expect(result).toMatchObject({ outcome: 'failed', code: 'abort-failed', id: 't1' });
    expect(result.message).toMatch(/abort did not take: the job was still running 300 ms after the abort.*migration t1/);
  });

  it('a destination that refuses is an error value with libvirt\'s words; a busy destination refuses the trial before it starts', async () => {
    const refused = await trial(trialHosts({ refused: "error: operation failed: domain 'vmd' already exists with uuid 1234\n" }));
    expect(refused.result).toMatchObject({ outcome: 'failed', code: 'destination-refused' });
    expect(refused.result.message).toMatch(/could not start moving memory to hvB/);
    if (refused.result.outcome === 'failed') expect(refused.result.detail).toMatch(/already exists/);

    // The destination already holds a vmd (shut off, say): its leftovers could not be told from the trial's.
    const busy = trialHosts({ destinationBefore: ['vmd'] });
    const { result } = await trial(busy);
    expect(result).toMatchObject({ outcome: 'failed', code: 'not-ready' });
    expect(result.message).toMatch(/No trial was started: not so: hvB holds no domain named vmd/);
    expect(busy.calls.some((c) => c.includes(' migrate '))).toBe(false);
  });

  it('a trial found still running after a restart is aborted, not followed to its end', async () => {
    let aborted = false;
    const script: Script = (host, argv, signal) => {
      const verb = argv[3];
      if (verb === 'migrate') return new Promise<RunOutput>((resolve) => signal?.addEventListener('abort', () => resolve(out('', '', 1))));
      if (verb === 'domjobabort') return (aborted = true), out('\n');
      if (verb === 'domjobinfo' && argv.includes('--completed')) return out(NONE);
      if (verb === 'domjobinfo') return out(aborted ? NONE : RUNNING(1));
      if (verb === 'list') return out(host === 'hvA' ? LIST([' 1    vmd    running']) : LIST([]));
      return out('\n');
    };
    const first = await engines.open(scriptedHosts(script), { newId: () => 't1' });
    const s = await first.engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: { live: true, p2p: true, bandwidthMiBps: 8 }, intervalMs: 50, purpose: 'trial' });
    if (!s.ok) throw new Error(s.error.message);
    await until(() => (first.engine.record('t1')?.samples.length ?? 0) >= 2, 'two samples');
    await first.close(); // Ferry quits: the p2p job goes on in libvirtd

    const hosts = scriptedHosts(script);
    const second = await engines.open(hosts);
    await second.engine.reconcile();
    const rec = await second.engine.settled('t1');
    expect(hosts.calls).toContain('hvA virsh virsh --connect qemu:///system domjobabort --domain vmd');
    expect(rec?.state).toBe('aborted');
    expect(rec?.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['detached', 'reattached', 'trial', 'control']));
    expect(rec?.events.find((e) => e.kind === 'trial')?.message).toBe('Trial pre-copy found still running after a restart: aborting it (a trial never moves vmd).');
  });

  it('says what it costs before it runs: bounded by the cap and the time limit', () => {
    const c = trialCost({ memoryBytes: 256 * MiB, capMiBps: 8, passes: 3 });
    expect(c.firstPassMaxMs).toBe(32_000);
    expect(c.maxMs).toBe(79_000);
    expect(trialMaxMs(256 * MiB, 8)).toBe(79_000);
    expect(c.maxBytes).toBe(632 * MiB);
    expect(c.maxDurationMs).toBe(89_000);
    expect(c.sentence).toMatch(/^At most 632 MiB over the migration network and 1 min 29 s: .* stops after pass 3 or at 1 min 19 s/);
    // A tiny VM still gets the 30 s floor; a huge one the 10 min ceiling.
    expect(trialMaxMs(16 * MiB, 64)).toBe(30_000);
    expect(trialMaxMs(64 * 1024 * MiB, 8)).toBe(600_000);
    // Without a cap asked for: 8 MiB/s, more for a VM whose first pass would take over 30 s at 8, at most 64.
    expect(trialDefaultCap(undefined)).toBe(8);
    expect(trialDefaultCap(256 * MiB)).toBe(9);
    expect(trialDefaultCap(128 * MiB)).toBe(8);
    expect(trialDefaultCap(1024 * MiB)).toBe(35);
    expect(trialDefaultCap(64 * 1024 * MiB)).toBe(64);
    expect(trialCost({ memoryBytes: 1024 * MiB }).capMiBps).toBe(35);
  });

  it('the channel resolves the hosts, passes the destination\'s user and port, and picks the cap from the VM\'s memory', async () => {
    const asked: TrialRequest[] = [];
    const a = { ...hostView('a'), vms: [{ name: 'big', state: 'running' as const, memoryBytes: 4096 * MiB }] };
    const b = { ...hostView('b'), record: { ...hostView('b').record, user: 'ferry', port: 2222 } };
    const handlers = trialHandler({
      hosts: () => [a, b],
      run: async (req) => {
        asked.push(req);
        return { result: { outcome: 'failed', code: 'not-ready', message: 'not here', vm: req.vm, source: req.source.name, destination: req.destination.name, capMiBps: req.capMiBps ?? 0, passes: 3 }, samples: [] };
      },
    });
    const call = handlers[migrationsTrial.id];
    const ctx = { clientId: 't', transport: 'web' } as const;
    expect((await call({ vm: 'big', sourceHostId: 'a', destinationHostId: 'b' }, ctx)).ok).toBe(true);
    expect(asked[0]).toMatchObject({ vm: 'big', source: { id: 'a' }, destination: { id: 'b' }, destinationUser: 'ferry', destinationPort: 2222, capMiBps: 64 });
    await call({ vm: 'small', sourceHostId: 'a', destinationHostId: 'b', capMiBps: 4, passes: 2 }, ctx);
    expect(asked[1]).toMatchObject({ capMiBps: 4, passes: 2 });
    expect(await call({ vm: 'big', sourceHostId: 'a', destinationHostId: 'x' }, ctx)).toMatchObject({ ok: false, error: { code: 'inventory.not-found' } });
    expect(await call({ vm: 'big', sourceHostId: 'a', destinationHostId: 'a' }, ctx)).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
    expect(asked).toHaveLength(2);
  });

  it('reads `virsh list --all --name`: a name a line, spaces kept, none, or an error', () => {
    expect(parseVirshNames('vmd\nmy vm\n\n')).toEqual({ ok: true, value: ['vmd', 'my vm'] });
    expect(parseVirshNames('\n')).toEqual({ ok: true, value: [] });
    expect(parseVirshNames('error: failed to connect to the hypervisor\n').ok).toBe(false);
  });
});
