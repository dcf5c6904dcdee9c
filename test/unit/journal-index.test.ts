// The history's index beside the journal: start-up reads the records' heads from it and only the journal's uncovered
// tail; a record's samples are read from its spans when it is opened; a missing, stale or unreadable index is rebuilt
// by a streaming scan; damage in the tail is handled as without an index.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INDEX_SUFFIX, Journal, JOURNAL_FILE, nodeJournalFs, openHistoryReader, parseJournal, type JournalEntry, type JournalFs } from '../../electron/main/migration/journal';
import { buildRecords } from '../../electron/main/migration/record';
import { recordView } from '../../electron/main/migration/handlers';
import { WATCH_SNAPSHOT_ENDED } from '../../shared/migration/record-schema';

const hvA = { id: 'a', name: 'hvA', address: '10.77.0.11' };
const hvB = { id: 'b', name: 'hvB', address: '10.77.0.12' };
const start = (id: string, vm: string, at: number): JournalEntry => ({ type: 'start', id, at, start: { vm, source: hvA, destination: hvB, options: {}, argv: [], commandLine: 'virsh migrate', intervalMs: 1000 } });
const info = (postcopyRequests = 0, type = 'unbounded') => ({ format: 'human', type, operation: 'outgoing-migration', timeElapsedMs: 1000, dataRemainingBytes: 1000, postcopyRequests });
const sample = (id: string, seq: number, at: number, i = info()): JournalEntry => ({ type: 'sample', id, at, sample: { seq, latencyMs: 1, info: i, figures: { elapsedMs: seq * 1000 } } });
const end = (id: string, at: number, state = 'completed'): JournalEntry => ({ type: 'end', id, at, end: { state, message: state } });

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});
const journalPath = () => join(dir, JOURNAL_FILE);
const indexPath = () => `${journalPath()}${INDEX_SUFFIX}`;

/** The real file system, counting the bytes read through positional reads: the journal's, and the index's apart. */
function counting(): JournalFs & { bytesRead: number; indexBytesRead: number } {
  const fs = {
    ...nodeJournalFs,
    bytesRead: 0,
    indexBytesRead: 0,
    async openRead(path: string) {
      const h = await nodeJournalFs.openRead(path);
      if (!h) return h;
      return {
        ...h,
        read: async (position: number, length: number) => {
          const b = await h.read(position, length);
          if (path.endsWith(INDEX_SUFFIX)) fs.indexBytesRead += b.length;
          else fs.bytesRead += b.length;
          return b;
        },
      };
    },
  };
  return fs;
}

/** Two migrations run side by side (interleaved lines), then one alone; the second side-by-side one never ends. */
async function history(): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'ferry-index-'));
  const j = await Journal.open({ dataDir: dir });
  await j.append(start('m1', 'vm1', 1000));
  await j.append(start('m2', 'vmd', 1001));
  for (let i = 0; i < 20; i++) {
    await j.append(sample('m1', i, 2000 + i * 1000));
    await j.append(sample('m2', i, 2000 + i * 1000 + 500));
  }
  await j.append(end('m1', 30000));
  await j.append(start('m3', 'vm1', 40000));
  for (let i = 0; i < 5; i++) await j.append(sample('m3', i, 41000 + i * 1000));
  await j.append(end('m3', 50000, 'failed'));
  await j.close();
}

describe('the history index', () => {
  it('lists every record from the index without samples, and reads a record whole only when it is opened', async () => {
    await history();
    expect(existsSync(indexPath())).toBe(true);
    const fs = counting();
    const j = await Journal.open({ dataDir: dir, fs });
    const heads = (await j.heads());
    expect(heads.map((h) => [h.id, h.state, h.samples.length, h.digest.count])).toEqual([
      ['m1', 'completed', 0, 20],
      ['m2', 'running', 0, 20],
      ['m3', 'failed', 0, 5],
    ]);
    // At open: the index's last line checked, and the open record (m2) read for the engine; nothing of m3's.
    expect(j.initial.lines.map((l) => l.id)).toEqual(Array.from({ length: 21 }, () => 'm2'));
    const full = buildRecords(parseJournal(readFileSync(journalPath(), 'utf8')).lines);
    const before = fs.bytesRead;
    const m3 = await j.readRecord('m3');
    expect(m3).toEqual(full.find((r) => r.id === 'm3'));
    expect(m3?.samples.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4]);
    // m3's lines follow m1's end: its span starts at its own start line.
    expect(fs.bytesRead - before).toBeLessThan(statSync(journalPath()).size / 3);
    expect(await j.readRecord('m1')).toEqual(full.find((r) => r.id === 'm1'));
    expect(await j.readRecord('nope')).toBeUndefined();
    await j.close();
  });

  it('opens a journal with a valid index without reading the records that ended', async () => {
    await history();
    const size = statSync(journalPath()).size;
    // Make the open record end too: nothing is left to read for the engine.
    const k = await Journal.open({ dataDir: dir });
    await k.append(end('m2', 60000, 'aborted'));
    await k.close();
    const fs = counting();
    const j = await Journal.open({ dataDir: dir, fs });
    expect((await j.heads()).map((h) => h.state)).toEqual(['completed', 'aborted', 'failed']);
    expect(j.initial.lines).toEqual([]);
    // Only the last covered line is read back (the check that the index matches the file).
    expect(fs.bytesRead).toBeLessThan(300);
    expect(fs.bytesRead).toBeGreaterThan(0);
    expect(size).toBeGreaterThan(10_000);
    await j.close();
  });

  it('rebuilds a missing or unreadable index with the same heads', async () => {
    await history();
    const withIndex = await Journal.open({ dataDir: dir });
    const heads = (await withIndex.heads());
    await withIndex.close();
    const edited = () => writeFileSync(indexPath(), readFileSync(indexPath(), 'utf8').replace('"state":"failed"', '"state":"aborted"'));
    for (const damage of [() => rmSync(indexPath()), () => writeFileSync(indexPath(), '{"v":2,"size":'), () => writeFileSync(indexPath(), JSON.stringify({ v: 2, size: 5 })), edited]) {
      damage();
      const fs = counting();
      const j = await Journal.open({ dataDir: dir, fs });
      expect((await j.heads())).toEqual(heads);
      expect(j.initial.problems).toEqual([]);
      // Rebuilt by reading the whole journal once (and the open record's span again).
      expect(fs.bytesRead).toBeGreaterThanOrEqual(statSync(journalPath()).size);
      await j.close();
      expect(JSON.parse(readFileSync(indexPath(), 'utf8').split('\n')[0] ?? '')).toMatchObject({ v: 2, size: statSync(journalPath()).size, records: { count: 3 } });
    }
  });

  it('notices a journal that does not match its index (replaced, or cut shorter) and reads it again', async () => {
    await history();
    const text = readFileSync(journalPath(), 'utf8');
    const rows = text.split('\n');
    // Same length, other content at the index's last line: m3's end says 'aborted' instead of 'failed' (padded).
    const last = rows.at(-2) ?? '';
    writeFileSync(journalPath(), text.replace(last, last.replace('"state":"failed","message":"failed"', '"state":"aborted","message":"abort"')));
    expect(statSync(journalPath()).size).toBe(text.length);
    let j = await Journal.open({ dataDir: dir });
    expect((await j.heads()).find((h) => h.id === 'm3')?.state).toBe('aborted');
    await j.close();
    // Shorter than the index says: the last record's end is gone.
    writeFileSync(journalPath(), `${rows.slice(0, -2).join('\n')}\n`);
    j = await Journal.open({ dataDir: dir });
    expect((await j.heads()).find((h) => h.id === 'm3')?.state).toBe('running');
    expect(j.initial.problems).toEqual([]);
    await j.close();
  });

  it('reads the lines appended after the index was written (a crash before the next write)', async () => {
    await history();
    const staleIndex = readFileSync(indexPath(), 'utf8');
    const j = await Journal.open({ dataDir: dir });
    await j.append(sample('m2', 20, 70000));
    await j.append(end('m2', 71000));
    await j.append(start('m4', 'vm1', 72000));
    await j.close();
    writeFileSync(indexPath(), staleIndex);
    const fs = counting();
    const k = await Journal.open({ dataDir: dir, fs });
    expect((await k.heads()).map((h) => [h.id, h.state, h.digest.count])).toEqual([
      ['m1', 'completed', 20],
      ['m2', 'completed', 21],
      ['m3', 'failed', 5],
      ['m4', 'running', 0],
    ]);
    expect((await k.readRecord('m2'))?.samples.map((s) => s.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    // New lines keep the numbering the index carried on.
    const nextN = parseJournal(readFileSync(journalPath(), 'utf8')).nextN;
    expect((await k.append(sample('m4', 0, 73000))).n).toBe(nextN);
    await k.close();
  });

  it('moves a torn last line aside after the indexed part, and the next open is quiet', async () => {
    await history();
    const good = readFileSync(journalPath(), 'utf8');
    appendFileSync(journalPath(), '{"v":1,"n":60,"type":"sam');
    const j = await Journal.open({ dataDir: dir, wallClock: () => 7 });
    expect(j.initial.damaged).toMatchObject([{ reason: 'cut-off', n: 60 }]);
    expect(j.initial.problems[0]?.error.message).toMatch(/A damaged line of the migration history was moved to .*damaged-7/);
    expect(readFileSync(journalPath(), 'utf8').startsWith(good)).toBe(true);
    expect((await j.heads()).map((h) => h.state)).toEqual(['completed', 'running', 'failed']);
    const next = await j.append(sample('m2', 20, 80000));
    expect(next.n).toBe(62);
    await j.close();
    const again = await Journal.open({ dataDir: dir });
    expect(again.initial.problems).toEqual([]);
    expect((await again.readRecord('m2'))?.samples.at(-1)?.seq).toBe(20);
    await again.close();
  });

  it('reports a line whose payload fails its schema like a torn one, and leaves it out of the record', async () => {
    await history();
    const n = parseJournal(readFileSync(journalPath(), 'utf8')).nextN;
    appendFileSync(journalPath(), `${JSON.stringify({ v: 1, n, type: 'sample', id: 'm2', at: 90000, sample: { seq: 'twenty', latencyMs: 1 } })}\n`);
    appendFileSync(journalPath(), `${JSON.stringify({ v: 1, n: n + 1, type: 'sample', id: 'm2', at: 91000, sample: { seq: 21, latencyMs: 1 } })}\n`);
    const j = await Journal.open({ dataDir: dir, wallClock: () => 9 });
    expect(j.initial.damaged).toMatchObject([{ reason: 'bad-payload', n }]);
    expect(j.initial.damaged[0]?.why).toMatch(/its sample seq/);
    expect(j.initial.problems[0]?.error.message).toMatch(/with invalid content/);
    const m2 = await j.readRecord('m2');
    expect(m2?.samples.map((s) => s.seq).slice(-2)).toEqual([19, 21]);
    expect(j.initial.lines.filter((l) => l.type === 'sample').map((l) => l.n).at(-1)).toBe(n + 1);
    await j.close();
  });

  it('a post-copy run listed from its head shows the same view as when it is read whole', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-index-'));
    const j = await Journal.open({ dataDir: dir });
    await j.append(start('pc', 'vmd', 1000));
    for (let i = 0; i < 50; i++) await j.append(sample('pc', i, 2000 + i * 1000));
    // The switch event is written after two samples taken after its time; then samples fetching pages.
    await j.append(sample('pc', 50, 52000, info(3)));
    await j.append({ type: 'event', id: 'pc', at: 51500, event: { kind: 'post-copy', message: 'switched' } });
    await j.append(sample('pc', 51, 53000, info(9)));
    await j.append({ type: 'event', id: 'pc', at: 54000, event: { kind: 'post-copy-ended', message: 'done' } });
    await j.append(sample('pc', 52, 55000, info(0, 'completed')));
    await j.append(end('pc', 56000));
    await j.close();
    const k = await Journal.open({ dataDir: dir });
    const head = (await k.heads())[0];
    const full = await k.readRecord('pc');
    if (!head || !full) throw new Error('no record');
    expect(recordView(head)).toEqual(recordView(full));
    expect(recordView(head).postcopy).toEqual({ startedAt: 51500, endedAt: 54000, sampled: true });
    await k.close();
  });

  it('does not vouch for a fragment a failed append left behind: the next open finds it and moves it aside', async () => {
    await history();
    let armed = false;
    const fs: JournalFs = {
      ...nodeJournalFs,
      async openAppend(path: string) {
        const h = await nodeJournalFs.openAppend(path);
        return {
          ...h,
          appendDurable: async (data: Buffer) => {
            if (!armed) return h.appendDurable(data);
            armed = false;
            await h.appendDurable(data.subarray(0, 20));
            throw new Error('EIO: i/o error, write');
          },
          truncate: () => Promise.reject(new Error('EIO: i/o error, ftruncate')),
        };
      },
    };
    const j = await Journal.open({ dataDir: dir, fs });
    armed = true;
    await expect(j.append(sample('m2', 20, 80000))).rejects.toThrow(/EIO/);
    await j.append(end('m2', 81000));
    await j.close();
    const k = await Journal.open({ dataDir: dir, wallClock: () => 11 });
    expect(k.initial.damaged).toMatchObject([{ reason: 'cut-off' }]);
    expect((await k.heads()).find((h) => h.id === 'm2')?.state).toBe('completed');
    await k.close();
  });

  it('a second, read-only reader lists and opens records beside the open journal and writes nothing', async () => {
    await history();
    appendFileSync(journalPath(), '{"v":1,"n":60,"type":"sam');
    const before = readFileSync(journalPath(), 'utf8');
    const index = readFileSync(indexPath(), 'utf8');
    const r = await openHistoryReader(dir);
    if (!r) throw new Error('no history');
    expect((await r.heads()).map((h) => [h.id, h.state])).toEqual([
      ['m1', 'completed'],
      ['m2', 'running'],
      ['m3', 'failed'],
    ]);
    expect((await r.readRecord('m3'))?.samples).toHaveLength(5);
    await r.close();
    expect(readFileSync(journalPath(), 'utf8')).toBe(before);
    expect(readFileSync(indexPath(), 'utf8')).toBe(index);
    expect(await openHistoryReader(join(dir, 'nowhere'))).toBeUndefined();
  });
  /** `count` short runs that ended, one still running in the middle of them, each a second apart. */
  async function longHistory(count: number, openAt: number): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'ferry-index-'));
    const j = await Journal.open({ dataDir: dir });
    for (let i = 0; i < count; i++) {
      const id = `r${String(i).padStart(3, '0')}`;
      await j.append(start(id, `vm${i}`, 1000 * i));
      await j.append(sample(id, 0, 1000 * i + 100));
      if (i !== openAt) await j.append(end(id, 1000 * i + 200, i % 7 === 0 ? 'failed' : 'completed'));
    }
    await j.close();
  }
  const idOf = (i: number) => `r${String(i).padStart(3, '0')}`;

  it('starts from the index first section (the open records and the newest ended ones) and reads the whole list only when asked', async () => {
    await longHistory(WATCH_SNAPSHOT_ENDED + 150, 10);
    const total = statSync(indexPath()).size;
    const fs = counting();
    const j = await Journal.open({ dataDir: dir, fs });
    const recent = j.recent().map((h) => h.id);
    // The open record (r010) and the 50 newest, oldest first; none of the older ended ones.
    expect(recent).toEqual([idOf(10), ...Array.from({ length: WATCH_SNAPSHOT_ENDED }, (_, i) => idOf(150 + i))]);
    expect(j.initial.lines.map((l) => l.id)).toEqual([idOf(10), idOf(10)]);
    const atStart = fs.indexBytesRead;
    expect(atStart).toBeGreaterThan(0);
    expect(atStart).toBeLessThan(total * 0.4);
    // The whole list, in the journal's order, when it is asked for.
    const all = (await j.heads()).map((h) => h.id);
    expect(all).toEqual(Array.from({ length: WATCH_SNAPSHOT_ENDED + 150 }, (_, i) => idOf(i)));
    expect(fs.indexBytesRead).toBeGreaterThan(atStart);
    // An older record is found (its spans are in the whole list) and read whole.
    expect((await j.readRecord(idOf(3)))?.samples).toHaveLength(1);
    await j.close();
  });

  it('opening an older record before the list reads the whole list first', async () => {
    await longHistory(WATCH_SNAPSHOT_ENDED + 10, -1);
    const j = await Journal.open({ dataDir: dir });
    expect(j.recent().map((h) => h.id)).not.toContain(idOf(0));
    expect((await j.readRecord(idOf(0)))?.end?.state).toBe('failed');
    expect(await j.readRecord('nope')).toBeUndefined();
    await j.close();
  });

  it('keeps what a session wrote when the rest of the list is read later, and writes the whole list back', async () => {
    await longHistory(WATCH_SNAPSHOT_ENDED + 20, 5);
    const j = await Journal.open({ dataDir: dir });
    // The open record ends and a new one starts before the list is read.
    await j.append(end(idOf(5), 900_000, 'aborted'));
    await j.append(start('new', 'vmx', 950_000));
    const heads = await j.heads();
    expect(heads.map((h) => h.id)).toEqual([...Array.from({ length: WATCH_SNAPSHOT_ENDED + 20 }, (_, i) => idOf(i)), 'new']);
    expect(heads.find((h) => h.id === idOf(5))?.state).toBe('aborted');
    expect(heads.at(-1)?.state).toBe('running');
    await j.close();
    // The index written at close holds every record: a fresh open lists the same without scanning the journal.
    const fs = counting();
    const k = await Journal.open({ dataDir: dir, fs });
    expect((await k.heads()).map((h) => [h.id, h.state])).toEqual(heads.map((h) => [h.id, h.state]));
    expect(fs.bytesRead).toBeLessThan(2000);
    await k.close();
  });

  it('scans the journal for the whole list when the index changed after start (and lists the same)', async () => {
    await longHistory(WATCH_SNAPSHOT_ENDED + 10, -1);
    const j0 = await Journal.open({ dataDir: dir });
    const expected = (await j0.heads()).map((h) => [h.id, h.state]);
    await j0.close();
    const fs = counting();
    const j = await Journal.open({ dataDir: dir, fs });
    // The second section damaged behind the open journal's back (a disk error, an editor).
    const text = readFileSync(indexPath(), 'utf8');
    writeFileSync(indexPath(), text.slice(0, -40) + 'x'.repeat(40));
    const before = fs.bytesRead;
    expect((await j.heads()).map((h) => [h.id, h.state])).toEqual(expected);
    expect(fs.bytesRead - before).toBeGreaterThanOrEqual(statSync(journalPath()).size - 1000);
    await j.close();
  });
});
