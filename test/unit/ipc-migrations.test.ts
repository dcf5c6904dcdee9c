// The migration part of the IPC contract: the schemas accept what the shared code produces (a real lab sample, its
// figures and verdict), refuse malformed controls, and the plan channel answers validation + the exact command line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationsControl, migrationsPlan, REQUEST_IDS, STREAM_IDS } from '../../shared/ipc/contract';
import { migrationRecordSchema, migrationSampleSchema, migrationWatchEventSchema } from '../../shared/migration/record-schema';
import { parseDomjobinfo } from '../../shared/parsers/virsh-domjobinfo';
import { deriveJobFigures } from '../../shared/migration/derive';
import { migrationVerdict } from '../../shared/migration/verdict';
import { BUILT_IN_PROFILES } from '../../shared/migration/options';
import { planHandler } from '../../electron/main/migration/plan';
import { hostView } from './ipc-harness';

const caller = { clientId: 'c1', transport: 'web' as const };

describe('migration channels', () => {
  it('are in the contract', () => {
    for (const id of ['plan', 'preflight', 'start', 'control', 'list', 'get']) expect(REQUEST_IDS.has(`ferry.migrations.${id}`)).toBe(true);
    for (const id of ['list', 'save', 'remove']) expect(REQUEST_IDS.has(`ferry.profiles.${id}`)).toBe(true);
    expect(STREAM_IDS.has('ferry.migrations.watch')).toBe(true);
  });

  it('carry a real lab sample with its figures and verdict unchanged', () => {
    const parsed = parseDomjobinfo(readFileSync(join(__dirname, '..', 'fixtures', 'virsh', 'domjobinfo-precopy-not-converging.txt'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error.message);
    const info = parsed.value;
    const figures = deriveJobFigures(info);
    const verdict = migrationVerdict([{ info, figures }], { bandwidthMiBps: 5 });
    const sample = { seq: 3, at: 1_764_000_000_000, latencyMs: 0.5, info, figures, verdict };
    const wire = JSON.parse(JSON.stringify(sample)) as unknown;
    expect(migrationSampleSchema.parse(wire)).toEqual(sample);
    expect(migrationWatchEventSchema.parse({ type: 'sample', id: 'm1', sample: wire })).toEqual({ type: 'sample', id: 'm1', sample });
  });

  it('carry a record with options, pre-flight results, events and libvirt\'s error', () => {
    const record = {
      id: 'm1',
      vm: 'vmd',
      source: { id: 'hvA', name: 'hvA' },
      destination: { id: 'hvB', name: 'hvB' },
      options: BUILT_IN_PROFILES[0]?.options ?? {},
      commandLine: "'env' 'LC_ALL=C' 'virsh' ...",
      preflight: [{ check: 'mtu', status: 'warn', message: 'hvC is behind a 1500-byte hop.', fix: 'Use --migrateuri on the 9000 network.' }],
      state: 'aborted',
      startedAt: 1,
      endedAt: 2,
      result: { error: { code: 'libvirt.error', message: 'The migration was aborted.', detail: "error: operation aborted: job 'migration out' canceled by client" } },
      events: [{ at: 1, kind: 'control', text: 'abort sent' }],
    };
    expect(migrationRecordSchema.parse(record)).toEqual(record);
    expect(migrationRecordSchema.safeParse({ ...record, state: 'done' }).success).toBe(false);
    expect(migrationRecordSchema.safeParse({ ...record, options: { live: true, bogus: 1 } }).success).toBe(false);
  });

  it('refuse a control without the value it needs, or with one it does not take', () => {
    const input = migrationsControl.input;
    expect(input.safeParse({ id: 'm1', action: 'setSpeed', value: 32 }).success).toBe(true);
    expect(input.safeParse({ id: 'm1', action: 'setSpeed' }).success).toBe(false);
    expect(input.safeParse({ id: 'm1', action: 'abort' }).success).toBe(true);
    expect(input.safeParse({ id: 'm1', action: 'abort', value: 1 }).success).toBe(false);
    expect(input.safeParse({ id: 'm1', action: 'reboot' }).success).toBe(false);
  });

  it('plan: the exact command for valid options, the problems (and no command) for invalid ones', async () => {
    const h = planHandler({ hosts: () => [hostView('h1'), { ...hostView('h2'), record: { ...hostView('h2').record, address: '10.77.0.12', user: 'root' } }] });
    const plan = h[migrationsPlan.id];
    const good = await plan({ vm: 'vm1', sourceHostId: 'h1', destinationHostId: 'h2', options: { live: true, p2p: true, maxDowntimeMs: 500 } }, caller);
    expect(good.ok && good.value).toEqual({
      commandLine:
        "'env' 'LC_ALL=C' 'virsh' '--connect' 'qemu:///system' 'migrate' '--verbose' '--live' '--p2p' '--domain' 'vm1' '--desturi' 'qemu+ssh://root@10.77.0.12/system'\n" +
        "'env' 'LC_ALL=C' 'virsh' '--connect' 'qemu:///system' 'migrate-setmaxdowntime' '--domain' 'vm1' '--downtime' '500'",
      problems: [],
    });
    const bad = await plan({ vm: 'vm1', sourceHostId: 'h1', destinationHostId: 'h2', options: { live: true, p2p: true, tunnelled: true, parallel: true } }, caller);
    expect(bad.ok && bad.value.commandLine).toBeUndefined();
    expect(bad.ok && bad.value.problems.map((p) => p.options)).toEqual([['tunnelled', 'parallel']]);
    const same = await plan({ vm: 'vm1', sourceHostId: 'h1', destinationHostId: 'h1', options: {} }, caller);
    expect(same.ok && same.value.problems.at(-1)?.message).toMatch(/same host/);
  });
});
