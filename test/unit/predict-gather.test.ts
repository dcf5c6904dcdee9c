// The prediction-inputs channel over fakes: the hosts' answers are real captures (dominfo, dumpxml of the lab's
// TCG guest; a KVM one made from it by its type), the journal holds the real vmd runs of
// test/fixtures/migration-runs, and every command the source saw is recorded.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok } from '../../shared/result';
import { migrationsPredictInputs } from '../../shared/ipc/contract';
import { predictionInputsSchema } from '../../shared/migration/predict-schema';
import { predictHandlers, type PredictHistory } from '../../electron/main/migration/predict-gather';
import type { MigrationRecord, MigrationSamplePayload } from '../../electron/main/migration/record';
import type { CommandRunner } from '../../electron/main/remote/run-command';
import { hostView } from './ipc-harness';
import { out } from './engine-fakes';

const MiB = 1024 * 1024;
const virsh = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'virsh', name), 'utf8');
// vmd is vm1's definition with 256 MiB.
const DOMINFO = virsh('dominfo-running.txt').replace('vm1', 'vmd').replace(/131072/g, '262144');
const XML_TCG = virsh('dumpxml-migratable-vm1.txt').replace('<name>vm1</name>', '<name>vmd</name>').replace(/131072/g, '262144');
const XML_KVM = XML_TCG.replace("<domain type='qemu'>", "<domain type='kvm'>");
const dirtyrate = (mb: number) =>
  `Domain: 'vmd'\n  dirtyrate.calc_status=2\n  dirtyrate.calc_start_time=100\n  dirtyrate.calc_period=1\n  dirtyrate.calc_mode=page-sampling\n  dirtyrate.megabytes_per_second=${mb}\n\n`;

function labRecord(name: string, id: string, startedAt: number): MigrationRecord {
  const d = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'migration-runs', `${name}.json`), 'utf8')) as {
    vm: string;
    options: Record<string, unknown>;
    samples: (MigrationSamplePayload & { at: number })[];
  };
  return {
    id,
    startedAt,
    start: {
      vm: d.vm,
      source: { id: 'h1', name: 'hvA', address: '10.77.0.11' },
      destination: { id: 'h2', name: 'hvB', address: '10.77.0.12' },
      options: d.options,
      argv: ['virsh'],
      commandLine: 'virsh migrate',
      intervalMs: 1000,
    },
    samples: d.samples,
    events: [],
    state: name === 'autoconverge-8' ? 'completed' : 'aborted',
  };
}

function journal(records: readonly MigrationRecord[]): PredictHistory & { read: string[] } {
  const read: string[] = [];
  return {
    read,
    heads: async () => records.map((r) => ({ ...r, samples: [] })),
    readRecord: async (id) => (read.push(id), records.find((r) => r.id === id)),
  };
}

function source(xml: string, dirtyMb = 5): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: async (argv) => {
      const words = argv.filter((w) => w !== 'env' && !w.startsWith('LC_ALL'));
      if (words[0] === 'ip' || words[0] === 'ethtool') {
        calls.push(words.join(' '));
        const file = words[0] === 'ip' ? join('ip', 'route-get-direct.txt') : join('ethtool', 'settings-veth.txt');
        return ok(out(readFileSync(join(__dirname, '..', 'fixtures', file), 'utf8')));
      }
      calls.push(words.slice(3).join(' '));
      const verb = words[3];
      if (verb === 'dominfo') return ok(out(DOMINFO));
      if (verb === 'dumpxml') return ok(out(xml));
      if (verb === 'domdirtyrate-calc') return ok(out(''));
      if (verb === 'domstats') return ok(out(dirtyrate(dirtyMb)));
      return ok(out('', `error: unexpected ${verb}\n`, 1));
    },
  };
}

const NOW = 1796652200000;
const input = { vm: 'vmd', sourceHostId: 'h1', destinationHostId: 'h2' };

function channel(history: PredictHistory, runner: CommandRunner) {
  return predictHandlers({ history, hosts: () => [hostView('h1'), hostView('h2')], runner: () => runner, now: () => NOW, sleep: async () => undefined })[migrationsPredictInputs.id];
}
const ctx = { clientId: 't', transport: 'electron' as const };

describe('ferry.migrations.predictInputs', () => {
  it('refuses an unknown host', async () => {
    const r = await channel(journal([]), source(XML_TCG))({ ...input, destinationHostId: 'nope' }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'inventory.not-found' } });
  });

  it('without history: the memory from dominfo, no working set or write speed, and a note saying why', async () => {
    const runner = source(XML_TCG);
    const r = await channel(journal([]), runner)(input, ctx);
    if (!r.ok) throw new Error(r.error.message);
    expect(predictionInputsSchema.parse(r.value)).toEqual(r.value);
    expect(r.value.memoryBytes).toMatchObject({ value: 256 * MiB, source: 'domain' });
    expect(r.value.workingSetBytes).toBeUndefined();
    expect(r.value.writeBytesPerSecond).toBeUndefined();
    expect(r.value.basisRunIds).toEqual([]);
    expect(r.value.notes.join(' ')).toMatch(/No earlier run of vmd/);
  });

  it('with two journalled runs: the estimates come from them, newest first', async () => {
    const history = journal([labRecord('autoconverge-8', 'run-ac', NOW - 2 * 3600_000), labRecord('plain-8-abort', 'run-plain', NOW - 3600_000)]);
    const r = await channel(history, source(XML_TCG))(input, ctx);
    if (!r.ok) throw new Error(r.error.message);
    expect(predictionInputsSchema.parse(r.value)).toEqual(r.value);
    expect(r.value.basisRunIds).toEqual(['run-plain', 'run-ac']);
    // ~21 MiB re-sent per pass plus the ~2 MiB left pending at each sync.
    expect(r.value.workingSetBytes?.value).toBeGreaterThan(22 * MiB);
    expect(r.value.workingSetBytes?.value).toBeLessThan(24 * MiB);
    expect(r.value.workingSetBytes?.source).toBe('history');
    expect(r.value.writeBytesPerSecond?.low).toBeGreaterThan(7.5 * MiB);
    expect(r.value.linkBytesPerSecond?.low).toBeGreaterThan(7.9 * MiB);
    expect(r.value.firstPassBytes?.value).toBeGreaterThan(105 * MiB);
    expect(r.value.notes.join(' ')).not.toMatch(/No earlier run/);
    expect(history.read.sort()).toEqual(['run-ac', 'run-plain']);
  });

  it('a trial pre-copy in the journal is named as a trial; its own cap says nothing of the link', async () => {
    const trial = labRecord('plain-8-abort', 'run-trial', NOW - 600_000);
    const rec: MigrationRecord = { ...trial, start: { ...trial.start!, purpose: 'trial', options: { ...trial.start!.options, maxDowntimeMs: 1 } } };
    const r = await channel(journal([rec]), source(XML_TCG))(input, ctx);
    if (!r.ok) throw new Error(r.error.message);
    expect(predictionInputsSchema.parse(r.value)).toEqual(r.value);
    expect(r.value.basisRunIds).toEqual(['run-trial']);
    expect(r.value.workingSetBytes?.source).toBe('trial');
    expect(r.value.writeBytesPerSecond?.source).toBe('trial');
    expect(r.value.firstPassBytes?.source).toBe('trial');
    expect(r.value.notes.join(' ')).not.toMatch(/No earlier run/);
    // It ran at the 8 MiB/s cap Ferry chose for it: the link is the NIC's alone, as with no run at all.
    expect(r.value.linkBytesPerSecond).toMatchObject({ value: 1.125e9, low: 0.625e9, high: 1.25e9, source: 'link' });
    // The same run journalled as an ordinary migration is history, and its cap (the admin's) bounds the link below.
    const plain = await channel(journal([trial]), source(XML_TCG))(input, ctx);
    if (!plain.ok) throw new Error(plain.error.message);
    expect(plain.value.workingSetBytes?.source).toBe('history');
    expect(plain.value.linkBytesPerSecond?.low).toBeGreaterThan(7.9 * MiB);
    expect(plain.value.linkBytesPerSecond?.low).toBeLessThan(8.1 * MiB);
  });

  it('reads at most the newest five runs of the VM', async () => {
    const records = Array.from({ length: 8 }, (_, k) => labRecord('plain-8-abort', `r${k}`, NOW - (k + 1) * 3600_000));
    const history = journal(records);
    const r = await channel(history, source(XML_TCG))(input, ctx);
    if (!r.ok) throw new Error(r.error.message);
    expect(history.read).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(r.value.basisRunIds).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('bounds the link by the NIC on the route to the destination; runs that all hit their cap say only "at least"', async () => {
    const runner = source(XML_TCG);
    const r = await channel(journal([]), runner)(input, ctx);
    if (!r.ok) throw new Error(r.error.message);
    expect(runner.calls).toEqual(expect.arrayContaining([`ip -j route get to ${hostView('h2').record.address}`, 'ethtool eth0']));
    // 10000 Mb/s = 1.25e9 B/s; without history 50-100 % of it, likely 90 %.
    expect(r.value.linkBytesPerSecond).toMatchObject({ value: 1.125e9, low: 0.625e9, high: 1.25e9, source: 'link' });
    const capped = await channel(journal([labRecord('plain-8-abort', 'run-plain', NOW - 3600_000)]), source(XML_TCG))(input, ctx);
    if (!capped.ok) throw new Error(capped.error.message);
    // The run at 8 MiB/s hit its cap: the link is at least that, at most the NIC.
    const link = capped.value.linkBytesPerSecond;
    expect(link?.low).toBeGreaterThan(7.9 * MiB);
    expect(link?.low).toBeLessThan(8.1 * MiB);
    expect([link?.value, link?.high]).toEqual([1.125e9, 1.25e9]);
  });

  it('never runs domdirtyrate-calc on a TCG domain', async () => {
    const runner = source(XML_TCG);
    const r = await channel(journal([]), runner)(input, ctx);
    expect(runner.calls.map((c) => c.split(' ')[0])).toEqual(['dominfo', 'dumpxml', 'ip', 'ethtool']);
    expect(r.ok && r.value.notes.join(' ')).toMatch(/TCG.*KVM domains only/);
  });

  it('on a KVM domain: page-sampling only; used without history, not trusted against a history it contradicts', async () => {
    const alone = source(XML_KVM, 5);
    const r1 = await channel(journal([]), alone)(input, ctx);
    expect(alone.calls).toContain('domdirtyrate-calc --domain vmd --seconds 1 --mode page-sampling');
    expect(alone.calls).toContain('domstats --dirtyrate --domain vmd');
    if (!r1.ok) throw new Error(r1.error.message);
    expect(r1.value.writeBytesPerSecond).toMatchObject({ value: 5 * MiB, source: 'dirtyrate-calc' });

    const zero = source(XML_KVM, 0);
    const r2 = await channel(journal([labRecord('plain-8-abort', 'run-plain', NOW - 3600_000)]), zero)(input, ctx);
    if (!r2.ok) throw new Error(r2.error.message);
    expect(r2.value.writeBytesPerSecond?.source).toBe('history');
    expect(r2.value.notes.join(' ')).toMatch(/reported 0 MiB\/s.*not trusted/);
  });
});
