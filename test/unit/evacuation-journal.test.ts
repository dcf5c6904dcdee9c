// The evacuations' journal: lines replayed into each evacuation as it stood; a torn last line set aside and cut
// off, a corrupt line in the middle skipped and reported; appends after that start on a clean line.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVACUATION_JOURNAL_FILE, EvacuationJournal } from '../../electron/main/evacuation/journal';
import { planOf, planRow, tempDirs } from './evacuation-fakes';

const newDir = tempDirs('ferry-evac-journal-');
const opened: EvacuationJournal[] = [];
afterEach(async () => {
  for (const j of opened.splice(0)) await j.close();
});
const open = async (dir: string) => {
  const j = await EvacuationJournal.open({ dataDir: dir, wallClock: () => 42 });
  opened.push(j);
  return j;
};

describe('the evacuations journal', () => {
  it('replays start, rows, controls and end into the evacuation as it stood', async () => {
    const dir = newDir();
    const j = await open(dir);
    await j.append({ type: 'start', id: 'ev1', at: 10, plan: planOf([planRow('v1', 'b', 5), planRow('v2', 'c')]) });
    await j.append({ type: 'row-started', id: 'ev1', at: 11, vm: 'v1', migrationId: 'm1' });
    await j.append({ type: 'control', id: 'ev1', at: 12, action: 'pause' });
    await j.append({ type: 'row-ended', id: 'ev1', at: 13, vm: 'v1', runState: 'done', migrationId: 'm1', totalTimeMs: 2, downtimeMs: 1 });
    await j.close();
    const again = await open(dir);
    const rec = again.get('ev1');
    expect(rec?.controls).toEqual(['pause']);
    expect(rec?.view).toMatchObject({ state: 'paused', startedAt: 10 });
    expect(rec?.view.rows.map((r) => [r.vm, r.runState, r.migrationId, r.startedAt, r.endedAt])).toEqual([
      ['v1', 'done', 'm1', 11, 13],
      ['v2', 'queued', undefined, undefined, undefined],
    ]);
    await again.append({ type: 'end', id: 'ev1', at: 20, outcome: 'partial' });
    expect(again.get('ev1')?.view).toMatchObject({ state: 'ended', outcome: 'partial', endedAt: 20 });
  });

  it('sets a torn last line aside, skips a corrupt one, and appends on a clean line', async () => {
    const dir = newDir();
    const j = await open(dir);
    await j.append({ type: 'start', id: 'ev1', at: 10, plan: planOf([planRow('v1', 'b')]) });
    await j.close();
    const path = join(dir, EVACUATION_JOURNAL_FILE);
    appendFileSync(path, '{"v":1,"n":2,"type":"bogus"}\n{"v":1,"n":3,"type":"row-start');
    const again = await open(dir);
    expect(again.problems.map((p) => p.message)).toEqual([
      'Line 2 of the evacuations journal could not be read; it was skipped.',
      'The last line of the evacuations journal was cut off (Ferry stopped while writing it); it was skipped.',
    ]);
    expect(readdirSync(dir).some((f) => f.startsWith(`${EVACUATION_JOURNAL_FILE}.torn-42`))).toBe(true);
    await again.append({ type: 'row-started', id: 'ev1', at: 11, vm: 'v1', migrationId: 'm1' });
    expect(readFileSync(path, 'utf8').endsWith('"migrationId":"m1"}\n')).toBe(true);
    expect(again.get('ev1')?.view.rows[0]?.runState).toBe('running');
    expect(existsSync(path)).toBe(true);
  });
});
