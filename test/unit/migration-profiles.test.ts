// The admin's saved migration profiles in main: profiles.json in the data directory, written atomically, validated
// on read; a bad file is kept aside and reported, never fatal, and never takes the good profiles with it.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROFILES_FILE, ProfileStore, parseProfilesText, profileHandlers } from '../../electron/main/migration/profiles';
import { nodeAtomicFileOps, type AtomicFileOps } from '../../electron/main/atomic-file';
import { profilesList, profilesRemove, profilesSave } from '../../shared/ipc/contract';
import { BUILT_IN_PROFILES, describeOptions, profileIdFor } from '../../shared/migration/options';

const NOW = Date.UTC(2026, 10, 25, 12, 30, 0);
const caller = { clientId: 'c1', transport: 'web' as const };
const wan10 = { live: true, p2p: true, tls: true, compressed: true, compMethods: ['xbzrle' as const], bandwidthMiBps: 120 };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-profiles-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (ops?: AtomicFileOps) => ProfileStore.open({ dataDir: dir, now: () => NOW, ...(ops ? { ops } : {}) });
const userNames = (s: ProfileStore) => s.list().filter((p) => !p.builtIn).map((p) => p.name);
const asideFiles = async () => (await readdir(dir)).filter((n) => n.startsWith(`${PROFILES_FILE}.corrupt-`));

describe('saved migration profiles (main)', () => {
  it('lists the built-in profiles first, then the saved ones by name, and keeps them across a restart', async () => {
    const s = await open();
    expect(s.list()).toEqual(BUILT_IN_PROFILES);
    const saved = await s.save({ name: 'WAN 10G (night)', options: wan10 });
    expect(saved.ok && saved.value).toEqual({ id: 'wan-10g-night', name: 'WAN 10G (night)', description: describeOptions(wan10), builtIn: false, options: wan10 });
    expect((await s.save({ name: 'backup window', options: { live: true, bandwidthMiBps: 20 }, description: 'Nightly, gentle on the link' })).ok).toBe(true);

    const again = await open();
    expect(again.problems).toEqual([]);
    expect(again.list().map((p) => p.id)).toEqual(['fast-lan', 'wan-tls', 'backup-window', 'wan-10g-night']);
    expect(again.list().find((p) => p.id === 'backup-window')).toMatchObject({ description: 'Nightly, gentle on the link', builtIn: false, options: { live: true, bandwidthMiBps: 20 } });
    // On disk: a versioned document, readable, built-in flag not stored, private to the user.
    const doc = JSON.parse(await readFile(join(dir, PROFILES_FILE), 'utf8')) as { version: number; profiles: Record<string, unknown>[] };
    expect(doc.version).toBe(1);
    expect(doc.profiles.map((p) => p.id)).toEqual(['backup-window', 'wan-10g-night']);
    expect(doc.profiles.every((p) => !('builtIn' in p))).toBe(true);
  });

  it('refuses to overwrite or remove a built-in profile, whatever the case of the name', async () => {
    const s = await open();
    for (const name of ['Fast LAN', 'fast lan', 'FAST-LAN', 'wan + tls']) {
      const r = await s.save({ name, options: { live: true }, replace: true });
      expect(r.ok ? 'saved' : r.error).toMatchObject({ code: 'input.invalid', message: expect.stringMatching(/is a built-in profile and cannot be overwritten/) });
    }
    const removed = await s.remove('fast-lan');
    expect(removed.ok ? 'removed' : removed.error.message).toMatch(/"Fast LAN" is a built-in profile and cannot be removed/);
    expect(s.list()).toEqual(BUILT_IN_PROFILES);
    expect(await readdir(dir)).not.toContain(PROFILES_FILE);
  });

  it('refuses options libvirt would refuse, with each reason, and saves nothing', async () => {
    const s = await open();
    const r = await s.save({ name: 'broken', options: { live: true, p2p: true, tunnelled: true, parallel: true, compMethods: ['mt'] } });
    if (r.ok) throw new Error('saved invalid options');
    expect(r.error.code).toBe('input.invalid');
    expect(r.error.message).toMatch(/^The profile "broken" was not saved: its options have 2 problems\./);
    expect(r.error.message).toContain('cannot use parallel connections');
    expect(r.error.message).toContain('Compression methods need --compressed');
    expect(r.error.detail?.split('\n')).toHaveLength(2);
    const outOfRange = await s.save({ name: 'typo', options: { bandwidthMiBps: 0 } });
    expect(outOfRange.ok ? 'saved' : outOfRange.error.message).toMatch(/--bandwidth/);
    const unknown = await s.save({ name: 'typo', options: { live: true, turbo: true } });
    expect(unknown.ok ? 'saved' : unknown.error.message).toMatch(/Unknown option: turbo/);
    // A warning (paused for the whole transfer) is not a refusal.
    expect((await s.save({ name: 'cold', options: { p2p: true } })).ok).toBe(true);
    expect(userNames(s)).toEqual(['cold']);
  });

  it('asks before replacing a saved profile of the same name, then replaces it', async () => {
    const s = await open();
    await s.save({ name: 'Night', options: { live: true, bandwidthMiBps: 20 } });
    const clash = await s.save({ name: 'night', options: { live: true, bandwidthMiBps: 40 } });
    expect(clash.ok ? 'saved' : clash.error).toMatchObject({ code: 'inventory.duplicate', message: 'A profile named "Night" exists already; confirm to replace it.' });
    expect(s.list().find((p) => p.id === 'night')?.options.bandwidthMiBps).toBe(20);
    const replaced = await s.save({ name: 'night', options: { live: true, bandwidthMiBps: 40 }, replace: true });
    expect(replaced.ok && replaced.value.name).toBe('night');
    expect(s.list().filter((p) => p.id === 'night').map((p) => p.options.bandwidthMiBps)).toEqual([40]);
    expect(userNames(await open())).toEqual(['night']);
  });

  it('removes a saved profile for good, and says so when it is not there', async () => {
    const s = await open();
    await s.save({ name: 'one', options: { live: true } });
    await s.save({ name: 'two', options: { live: true } });
    expect((await s.remove('one')).ok).toBe(true);
    expect(userNames(await open())).toEqual(['two']);
    const again = await s.remove('one');
    expect(again.ok ? 'removed' : again.error.code).toBe('inventory.not-found');
  });

  it('keeps a torn file aside, reports where it is, starts with the built-in profiles, and saves again', async () => {
    const s1 = await open();
    await s1.save({ name: 'keep me', options: { live: true } });
    const whole = await readFile(join(dir, PROFILES_FILE), 'utf8');
    await writeFile(join(dir, PROFILES_FILE), whole.slice(0, whole.length / 2)); // cut short mid-write

    const s = await open();
    expect(s.list()).toEqual(BUILT_IN_PROFILES);
    const aside = await asideFiles();
    expect(aside).toEqual(['profiles.json.corrupt-2026-11-25T12-30-00-000Z']);
    expect(await readFile(join(dir, aside[0]!), 'utf8')).toBe(whole.slice(0, whole.length / 2));
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0]).toMatchObject({ code: 'inventory.corrupt', message: expect.stringContaining(`kept as ${join(dir, aside[0]!)}`) });
    expect(s.problems[0]?.message).toMatch(/not valid JSON/);
    expect((await s.save({ name: 'fresh', options: { live: true } })).ok).toBe(true);
    expect(userNames(await open())).toEqual(['fresh']);
  });

  it('keeps the good profiles when some in the file no longer validate, with a copy of the whole file kept aside', async () => {
    const good = { id: 'good', name: 'Good', description: 'x', options: { live: true } };
    const doc = {
      version: 1,
      profiles: [good, { id: 'bad', name: 'Bad', description: 'x', options: { live: true, hyperspeed: true } }, { id: 'fast-lan', name: 'Mine', description: 'x', options: {} }, { ...good, name: 'Twin' }],
    };
    const text = JSON.stringify(doc);
    await writeFile(join(dir, PROFILES_FILE), text);
    const s = await open();
    expect(userNames(s)).toEqual(['Good']);
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0]?.message).toMatch(/^3 saved migration profiles could not be used/);
    expect(s.problems[0]?.message).toContain('profile "Bad"');
    expect(s.problems[0]?.message).toContain('the id of a built-in profile');
    expect(s.problems[0]?.message).toContain('a second profile with the id good');
    const aside = await asideFiles();
    expect(aside).toHaveLength(1);
    expect(await readFile(join(dir, aside[0]!), 'utf8')).toBe(text);
    // Still usable: the next save rewrites the file with the good profiles only.
    expect((await s.save({ name: 'Next', options: { live: true } })).ok).toBe(true);
    expect(userNames(await open())).toEqual(['Good', 'Next']);
  });

  it('sets aside a file from a newer Ferry or of another shape, saying why', () => {
    expect(parseProfilesText(JSON.stringify({ version: 2, profiles: [] }))).toEqual({ kind: 'unusable', why: expect.stringMatching(/newer Ferry \(profiles version 2/) });
    expect(parseProfilesText('[]')).toMatchObject({ kind: 'unusable', why: expect.stringMatching(/does not match the profiles schema/) });
    expect(parseProfilesText(JSON.stringify({ version: 1, profiles: [] }))).toEqual({ kind: 'whole', profiles: [] });
  });

  it('turns saving off rather than overwrite a file it cannot read', async () => {
    // A directory where the file should be: unreadable as a file even for root (EISDIR), and not to be replaced.
    await mkdir(join(dir, PROFILES_FILE));
    const s = await open();
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0]).toMatchObject({ code: 'inventory.io', message: expect.stringMatching(/cannot read its saved migration profiles .* saving is off/) });
    expect(s.list()).toEqual(BUILT_IN_PROFILES);
    const r = await s.save({ name: 'x', options: { live: true } });
    expect(r.ok ? 'saved' : r.error.code).toBe('inventory.io');
    expect((await stat(join(dir, PROFILES_FILE))).isDirectory()).toBe(true);
  });

  it('changes nothing, in memory or on disk, when the write fails', async () => {
    const s1 = await open();
    await s1.save({ name: 'before', options: { live: true } });
    const failing: AtomicFileOps = { ...nodeAtomicFileOps, rename: async () => Promise.reject(new Error('EIO: i/o error')) };
    const s = await open(failing);
    const r = await s.save({ name: 'after', options: { live: true } });
    expect(r.ok ? 'saved' : r.error).toMatchObject({ code: 'inventory.io', detail: 'EIO: i/o error' });
    expect(userNames(s)).toEqual(['before']);
    expect(userNames(await open())).toEqual(['before']);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('applies concurrent saves one after another, losing none', async () => {
    const s = await open();
    const names = Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const results = await Promise.all(names.map((name) => s.save({ name, options: { live: true } })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(userNames(await open())).toEqual(names);
  });

  it('serves list (with the load problems), save and remove over the contract', async () => {
    await writeFile(join(dir, PROFILES_FILE), '{"version":1,"profiles":[');
    const h = profileHandlers(await open());
    const listed = await h[profilesList.id]({}, caller);
    expect(profilesList.output.parse(listed.ok && listed.value)).toMatchObject({ profiles: BUILT_IN_PROFILES, problems: [{ code: 'inventory.corrupt' }] });
    const input = profilesSave.input.parse({ name: 'Via IPC', options: { live: true, p2p: true } });
    const saved = await h[profilesSave.id](input, caller);
    expect(saved.ok && profilesSave.output.parse(saved.value).id).toBe('via-ipc');
    expect((await h[profilesRemove.id]({ id: 'via-ipc' }, caller)).ok).toBe(true);
    expect(profilesSave.input.safeParse({ name: 'x\ny', options: {} }).success).toBe(false);
    expect(profilesSave.input.safeParse({ name: 'x', options: { warp: 9 } }).success).toBe(false);
  });
});

describe('profile ids', () => {
  it('come from the name: lower-case ASCII words joined by dashes; a name without any gets a stable hash', () => {
    expect(profileIdFor('  WAN 10G (night)  ')).toBe('wan-10g-night');
    expect(profileIdFor('Été — sauvegarde')).toBe('ete-sauvegarde');
    expect(profileIdFor('Ночь')).toMatch(/^profile-[0-9a-f]{8}$/);
    expect(profileIdFor('Ночь')).toBe(profileIdFor('Ночь'));
    expect(profileIdFor('Ночь')).not.toBe(profileIdFor('День'));
    expect(profileIdFor('x'.repeat(80))).toHaveLength(48);
  });
});
