// More migrations from one source than one SSH connection carries (10 channels, one of them the virsh session: the
// old ceiling was 9), through ONE MigrationEngine and ONE pool: 12 small guests (test/lab/bench-guests.sh) moved
// hvA -> hvB at once, each sampled. The pool opens a second connection to hvA; every run completes with samples
// that show its job. The guests are removed afterwards, whatever happened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab, requireLab } from '../lab/use-lab';
import { benchGuestName, benchGuests } from '../lab/bench-guests';
import { openLabEngine, waitUntil, type LabEngine } from './lab-engine';
import type { MigrationSamplePayload } from '../../electron/main/migration/record';

const N = 12;
/** Slow enough that the twelve overlap on this 2-core machine, quick enough for CI (about 30 s each). */
const BANDWIDTH_MIBPS = 3;

const hasJob = (s: MigrationSamplePayload): boolean => s.info?.type === 'unbounded' || s.info?.type === 'bounded';

describe.skipIf(!lab)('many migrations from one source through one engine', () => {
  let t: LabEngine | undefined;
  beforeAll(async () => {
    await benchGuests(['down']);
    const up = await benchGuests(['up', String(N), '128', 'hvA']);
    if (up.code !== 0) throw new Error(`bench-guests.sh up failed: ${up.out.trim()}`);
    t = await openLabEngine(requireLab(), { prefix: 'ferry-many-lab-' });
  });
  afterAll(async () => {
    await t?.close();
    const down = await benchGuests(['down']);
    if (down.code !== 0) throw new Error(`bench-guests.sh down failed: ${down.out.trim()}`);
  });

  it(`runs ${N} at once from hvA, more than one connection carries, each sampled`, async () => {
    if (!t) throw new Error('the engine did not open');
    const { engine, pool, hvA, hvB } = t;
    const source = { host: hvA.address, user: 'root' };
    const ids: string[] = [];
    for (let i = 1; i <= N; i++) {
      const s = await engine.start({ vm: benchGuestName(i), source: hvA, destination: hvB, options: { live: true, p2p: true, bandwidthMiBps: BANDWIDTH_MIBPS } });
      if (!s.ok) throw new Error(`${benchGuestName(i)}: ${s.error.message}`);
      ids.push(s.value.id);
    }
    // Every migrate command holds its channel: all of them and the virsh session at once need a second connection.
    let peak = { channels: 0, connections: 0 };
    await waitUntil(
      `${N} virsh migrate and the virsh session on hvA at once`,
      () => {
        const st = pool.status(source);
        peak = { channels: Math.max(peak.channels, st.channelsInUse), connections: Math.max(peak.connections, st.connections) };
        return st.channelsInUse >= N + 1;
      },
      30_000,
    );
    expect(peak.connections).toBeGreaterThanOrEqual(2);
    // While they all hold their channels, each one's job shows in its samples.
    await waitUntil('a sample showing the job of every run', () => ids.every((id) => (engine.record(id)?.samples ?? []).some(hasJob)), 60_000);
    const records = await Promise.all(ids.map((id) => engine.settled(id)));
    for (const r of records) {
      expect(r?.state, `${r?.start?.vm}: ${r?.end?.message}`).toBe('completed');
      expect((r?.samples ?? []).filter(hasJob).length, `${r?.start?.vm}'s samples with a job`).toBeGreaterThan(0);
      expect(r?.events.filter((e) => e.kind === 'warning') ?? []).toEqual([]);
    }
    expect(await t.where(benchGuestName(N))).toMatchObject({ hvA: undefined, hvB: 'running' });
  }, 150_000);
});
