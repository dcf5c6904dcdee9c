// Admission of a migration from a source with many running: SSH channels (refused beyond them, with the numbers) and
// the source libvirtd's worker threads (admitted with a warning from the last free one at libvirt's default pool).
import { describe, expect, it } from 'vitest';
import { admit, DEFAULT_SOURCE_CHANNELS, LIBVIRTD_DEFAULT_MAX_WORKERS, type StartMigration } from '../../electron/main/migration/admission';
import type { MigrationOptions } from '../../shared/migration/options';
import { hvA, hvB } from './engine-fakes';

const req = (vm: string, options: MigrationOptions = { live: true, p2p: true }): StartMigration => ({ vm, source: hvA, destination: hvB, options });
const runs = (n: number, over: { reattached?: boolean; postcopy?: boolean; source?: typeof hvA } = {}) =>
  Array.from({ length: n }, (_, i) => ({
    id: `m-${i}`,
    vm: `g${i}`,
    source: over.source ?? hvA,
    reattached: over.reattached ?? false,
    ...(over.postcopy === true ? { jobCompleted: Promise.resolve({ ok: true as const, value: [] as never }) } : {}),
  }));

describe('admitting a migration beside those running from its source', () => {
  it('admits far more than one connection carries (the pool opens more): 79 of the default 80 channels', () => {
    expect(DEFAULT_SOURCE_CHANNELS).toBe(80);
    expect(admit(req('vm1'), runs(20), [], DEFAULT_SOURCE_CHANNELS).ok).toBe(true);
    expect(admit(req('vm1'), runs(78), [], DEFAULT_SOURCE_CHANNELS).ok).toBe(true);
    const refused = admit(req('vm1'), runs(79), [], DEFAULT_SOURCE_CHANNELS);
    expect(refused.ok ? '' : refused.error.message).toBe(
      'hvA already has 79 migrations running from this Ferry, holding 79 of the 80 SSH channels Ferry opens to one host (one more is its virsh session). Start vm1 when one of them has ended.',
    );
  });

  it('counts two channels for a post-copy run and none for a re-attached one; other sources do not count', () => {
    expect(admit(req('vm1'), runs(4, { postcopy: true }), [], 10).ok).toBe(true);
    const refused = admit(req('vm1', { live: true, p2p: true, postcopy: true }), runs(4, { postcopy: true }), [], 10);
    expect(refused.ok ? '' : refused.error.message).toBe(
      'hvA already has 4 migrations running from this Ferry, holding 8 of the 10 SSH channels Ferry opens to one host (one more is its virsh session; a post-copy run holds two). Start vm1 when one of them has ended.',
    );
    expect(admit(req('vm1'), runs(30, { reattached: true }), [], 10).ok).toBe(true);
    expect(admit(req('vm1'), runs(30, { source: hvB }), [], 10).ok).toBe(true);
  });

  it('warns, naming the numbers, from the start that leaves the source libvirtd one worker at its default pool; re-attached jobs count', () => {
    expect(LIBVIRTD_DEFAULT_MAX_WORKERS).toBe(20);
    expect(admit(req('vm1'), runs(17), [], DEFAULT_SOURCE_CHANNELS)).toEqual({ ok: true, value: {} });
    const at19 = admit(req('vm1'), [...runs(10), ...runs(8, { reattached: true }).map((r) => ({ ...r, id: `r-${r.id}`, vm: `r${r.vm}` }))], [], DEFAULT_SOURCE_CHANNELS);
    expect(at19.ok && at19.value.warning).toBe(
      "hvA now runs 19 migrations from this Ferry. Each holds one of its libvirtd's worker threads for its whole run, and libvirtd has 20 unless max_workers in its libvirtd.conf says more: once none is free, every other request to it waits, samples and controls included, until a migration ends. Raise max_workers on hvA to run this many at once.",
    );
    const at21 = admit(req('vm1'), runs(20), [], DEFAULT_SOURCE_CHANNELS);
    expect(at21.ok && at21.value.warning).toMatch(/^hvA now runs 21 migrations/);
    expect(admit(req('vm1'), runs(20, { source: hvB }), [], DEFAULT_SOURCE_CHANNELS)).toEqual({ ok: true, value: {} });
  });

  it('still refuses a VM already migrating from that host', () => {
    const r = admit(req('g3'), runs(5), [], DEFAULT_SOURCE_CHANNELS);
    expect(r.ok ? '' : r.error.message).toBe('g3 is already migrating from hvA (migration m-3).');
  });
});
