import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, parseJournal, JOURNAL_FILE, nodeJournalFs } from '../../electron/main/migration/journal';
import { buildRecords } from '../../electron/main/migration/record';

const line = (n: number, type: string, id = 'm1', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, n, type, id, at: 1000 + n, ...extra });

const hvA = { id: 'a', name: 'hvA', address: '10.77.0.11' };
const hvB = { id: 'b', name: 'hvB', address: '10.77.0.12' };
const startOf = (vm: string) => ({ start: { vm, source: hvA, destination: hvB, options: {}, argv: [], commandLine: 'virsh migrate', intervalMs: 1000 } });

describe('journal parser', () => {
  it('reads whole lines and treats an unterminated last piece as a cut-off line with its own number', () => {
    const text = `${line(1, 'start', 'm1', startOf('vm1'))}\n${line(2, 'sample', 'm1', { sample: { seq: 0, latencyMs: 1 } })}\n{"v":1,"n":3,"ty`;
    const p = parseJournal(text);
    expect(p.lines.map((l) => l.n)).toEqual([1, 2]);
    expect(p.damaged).toMatchObject([{ line: 3, reason: 'cut-off', n: 3, text: '{"v":1,"n":3,"ty' }]);
    expect(p.problems).toEqual([]);
    expect(p.nextN).toBe(4);
  });

  it('counts a last line that parses but lacks its newline as cut off: its append never returned', () => {
    const p = parseJournal(`${line(1, 'start', 'm1', startOf('vm1'))}\n${line(2, 'end', 'm1', { end: { state: 'completed', message: 'ok' } })}`);
    expect(p.lines.map((l) => l.n)).toEqual([1]);
    expect(p.damaged).toMatchObject([{ line: 2, reason: 'cut-off', n: 2 }]);
  });

  it('finds a line torn in the middle, garbage, and a record whose payload fails its schema; the gaps they leave are not reported again', () => {
    const text = [
      line(1, 'start', 'm1', startOf('vm1')),
      '{"v":1,"n":2,"type":"sam',
      '###garbage###',
      line(4, 'end', 'm1', { end: { state: 'exploded', message: 'x' } }),
      line(5, 'event', 'm1', { event: { kind: 'phase', message: 'memory' } }),
      '',
    ].join('\n');
    const p = parseJournal(text);
    expect(p.lines.map((l) => l.n)).toEqual([1, 5]);
    expect(p.damaged.map((d) => [d.line, d.reason, d.n])).toEqual([
      [2, 'cut-off', 2],
      [3, 'not-json', 3],
      [4, 'bad-payload', 4],
    ]);
    expect(p.damaged[2]?.why).toMatch(/end state/);
    expect(p.problems).toEqual([]);
  });

  it('reads back pre-flight results it cannot read as skipped checks that say so, without moving the start line aside', () => {
    const pass = { check: 'cpu', status: 'pass', message: 'compatible' };
    const text = [
      // One check of an older shape (a status this version does not know) beside a good one; then a garbled list.
      line(1, 'start', 'm1', { start: { ...startOf('vm1').start, preflight: [pass, { check: 'mtu', status: 'ok' }] } }),
      line(2, 'start', 'm2', { start: { ...startOf('vm2').start, preflight: 'all good' } }),
      '',
    ].join('\n');
    const p = parseJournal(text);
    expect(p.damaged).toEqual([]);
    const [m1, m2] = buildRecords(p.lines);
    const unreadable = { check: 'unknown', status: 'skipped', message: 'This pre-flight result in the history could not be read.' };
    expect(m1?.start?.preflight).toEqual([pass, unreadable]);
    expect(m2?.start?.preflight).toEqual([unreadable]);
  });

  it('refuses records of another version or an unknown type without dropping the others', () => {
    const p = parseJournal(`${JSON.stringify({ v: 2, n: 1, type: 'start', id: 'a', at: 0 })}\n${line(2, 'bogus')}\n${line(3, 'start', 'm1', startOf('vm1'))}\n`);
    expect(p.lines.map((l) => l.n)).toEqual([3]);
    expect(p.damaged.map((x) => x.reason)).toEqual(['not-a-record', 'not-a-record']);
  });

  it('reports a jump in the numbers that no damaged line or repair accounts for', () => {
    const p = parseJournal(`${line(1, 'start', 'm1', startOf('vm1'))}\n${line(5, 'sample', 'm1', { sample: { seq: 0, latencyMs: 1 } })}\n`);
    expect(p.damaged).toEqual([]);
    expect(p.problems).toMatchObject([{ line: 2, kind: 'gap' }]);
    expect(p.problems[0]?.error.message).toMatch(/jumps from record 1 to 5/);
  });

  it('reads an empty or missing file as no records and no problems', () => {
    expect(parseJournal('')).toEqual({ lines: [], repairs: [], damaged: [], problems: [], missing: [], nextN: 1 });
  });
});

describe('journal file', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const path = () => join(dir ?? '', JOURNAL_FILE);
  /** The numbers of the migration lines the file holds now. */
  const numbersOnDisk = () => parseJournal(readFileSync(path(), 'utf8')).lines.map((l) => l.n);

  /** A real journal: three migrations' worth of lines written through the Journal itself. */
  async function written(): Promise<string> {
    dir = mkdtempSync(join(tmpdir(), 'ferry-journal-'));
    const j = await Journal.open({ dataDir: dir, wallClock: () => 42 });
    await j.append({ type: 'start', id: 'm1', at: 1, ...startOf('vm1') });
    await j.append({ type: 'sample', id: 'm1', at: 2, sample: { seq: 0, latencyMs: 1 } });
    await j.append({ type: 'end', id: 'm1', at: 3, end: { state: 'completed', message: 'done' } });
    await j.append({ type: 'start', id: 'm2', at: 4, ...startOf('vmd') });
    await j.append({ type: 'sample', id: 'm2', at: 5, sample: { seq: 0, latencyMs: 1 } });
    await j.append({ type: 'end', id: 'm2', at: 6, end: { state: 'completed', message: 'done' } });
    expect(j.syncStats().count).toBe(6);
    await j.close();
    return readFileSync(path(), 'utf8');
  }

  it('after the last line is cut in the middle and a garbage line appended: both moved aside once, numbers never reused, the second reopen reports nothing', async () => {
    const good = await written();
    const rows = good.split('\n');
    const last = rows[5] ?? '';
    const cut = last.slice(0, Math.floor(last.length / 2));
    writeFileSync(path(), `${rows.slice(0, 5).join('\n')}\n${cut}\ngarbage here`);

    const k = await Journal.open({ dataDir: dir ?? '', wallClock: () => 77 });
    expect(numbersOnDisk()).toEqual([1, 2, 3, 4, 5]);
    // m2 lost its end with the cut line: it is open again, and its lines are read for the engine to follow it.
    expect(k.initial.lines.map((l) => l.n)).toEqual([4, 5]);
    expect((await k.heads()).map((h) => [h.id, h.state])).toEqual([
      ['m1', 'completed'],
      ['m2', 'running'],
    ]);
    expect(k.initial.problems).toHaveLength(1);
    const banner = k.initial.problems[0]?.error.message ?? '';
    expect(banner).toContain('2 damaged lines');
    expect(banner).toContain(`moved to ${join(dir ?? '', `${JOURNAL_FILE}.damaged-77`)} (line 6 cut off in the middle of a write, line 7 not valid JSON)`);
    expect(readFileSync(join(dir ?? '', `${JOURNAL_FILE}.damaged-77`), 'utf8')).toBe(`${cut}\ngarbage here\n`);
    // The cut line held 6, the garbage is counted as 7, the repair line is 8: the next record is 9.
    const reconciled = await k.append({ type: 'reconcile', id: 'm2', at: 8, reconcile: { state: 'completed', message: 'found on hvB' } });
    expect(reconciled.n).toBe(9);
    await k.close();

    for (const _ of [1, 2]) {
      const again = await Journal.open({ dataDir: dir ?? '', wallClock: () => 99 });
      expect(again.initial.problems).toEqual([]);
      expect(again.initial.damaged).toEqual([]);
      expect(numbersOnDisk()).toEqual([1, 2, 3, 4, 5, 9]);
      expect(again.initial.lines).toEqual([]);
      expect(again.initial.repairs).toMatchObject([{ n: 8, repair: { movedTo: `${JOURNAL_FILE}.damaged-77`, lines: [6, 7], numbers: [6, 7] } }]);
      await again.close();
    }
    expect(readdirSync(dir ?? '').filter((f) => f.includes('.damaged-'))).toEqual([`${JOURNAL_FILE}.damaged-77`]);
    expect(buildRecords(parseJournal(readFileSync(path(), 'utf8')).lines).map((r) => [r.id, r.state])).toEqual([
      ['m1', 'completed'],
      ['m2', 'completed'],
    ]);
  });

  it('moves a line torn in the middle of the file aside and keeps every line after it', async () => {
    const good = await written();
    const rows = good.split('\n');
    const torn = (rows[1] ?? '').slice(0, 20);
    writeFileSync(path(), [rows[0], torn, ...rows.slice(2)].join('\n'));
    const k = await Journal.open({ dataDir: dir ?? '', wallClock: () => 5 });
    expect(numbersOnDisk()).toEqual([1, 3, 4, 5, 6]);
    expect(k.initial.damaged).toMatchObject([{ line: 2, reason: 'cut-off', n: 2 }]);
    expect((await k.append({ type: 'event', id: 'm2', at: 9, event: { kind: 'warning', message: 'x' } })).n).toBe(8);
    await k.close();
    const again = await Journal.open({ dataDir: dir ?? '' });
    expect(again.initial.problems).toEqual([]);
    await again.close();
  });

  it('when the damage cannot be moved aside it is reported, and the next record starts on a line of its own', async () => {
    await written();
    writeFileSync(path(), `${readFileSync(path(), 'utf8')}{"v":1,"n":7,"type":"sam`);
    const failing = { ...nodeJournalFs, writeAside: () => Promise.reject(new Error('disk full')) };
    const k = await Journal.open({ dataDir: dir ?? '', fs: failing });
    expect(k.initial.problems[0]?.error.message).toMatch(/could not be moved aside \(line 7 cut off in the middle of a write; Error: disk full\)/);
    expect((await k.append({ type: 'event', id: 'm2', at: 9, event: { kind: 'warning', message: 'x' } })).n).toBe(8);
    await k.close();
    const text = readFileSync(path(), 'utf8');
    expect(text).toContain('{"v":1,"n":7,"type":"sam\n{"v":1,"n":8,');
    const again = await Journal.open({ dataDir: dir ?? '', wallClock: () => 3 });
    expect(again.initial.damaged).toMatchObject([{ line: 7, n: 7 }]);
    expect(numbersOnDisk().at(-1)).toBe(8);
    await again.close();
  });

  it('says once that records are missing: the gap is noted in the journal and the next open is quiet', async () => {
    const good = await written();
    const rows = good.split('\n');
    writeFileSync(path(), `${[rows[0], rows[1], ...rows.slice(4)].join('\n')}`);
    const k = await Journal.open({ dataDir: dir ?? '', wallClock: () => 8 });
    expect(k.initial.problems).toMatchObject([{ kind: 'gap', line: 3 }]);
    expect(k.initial.missing).toEqual([3, 4]);
    expect((await k.append({ type: 'event', id: 'm2', at: 9, event: { kind: 'warning', message: 'x' } })).n).toBe(8);
    await k.close();
    const again = await Journal.open({ dataDir: dir ?? '' });
    expect(again.initial.problems).toEqual([]);
    expect(again.initial.repairs).toMatchObject([{ n: 7, repair: { lines: [], numbers: [3, 4] } }]);
    await again.close();
  });

  it('keeps appends in call order when they are issued concurrently', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-journal-'));
    const j = await Journal.open({ dataDir: dir });
    await Promise.all(Array.from({ length: 50 }, (_, i) => j.append({ type: 'sample', id: 'm', at: i, sample: { seq: i, latencyMs: 0 } })));
    await j.close();
    const p = parseJournal(readFileSync(path(), 'utf8'));
    expect(p.lines.map((l) => (l['sample'] as { seq: number }).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('migration records from journal lines', () => {
  it('groups lines by migration; an end decides the state and a later reconciliation does not overwrite it', () => {
    const lines = parseJournal(
      [
        line(1, 'start', 'a', startOf('vm1')),
        line(2, 'start', 'b', startOf('vmd')),
        line(3, 'sample', 'a', { sample: { seq: 0, latencyMs: 1 } }),
        line(4, 'event', 'a', { event: { kind: 'control', message: 'abort' } }),
        line(5, 'end', 'a', { end: { state: 'aborted', message: 'aborted' } }),
        line(6, 'reconcile', 'a', { reconcile: { state: 'unknown', message: 'x' } }),
        '',
      ].join('\n'),
    ).lines;
    const [a, b] = buildRecords(lines);
    expect(a).toMatchObject({ id: 'a', state: 'aborted', startedAt: 1001 });
    expect(a?.samples).toHaveLength(1);
    expect(a?.events[0]?.kind).toBe('control');
    expect(a?.end?.reconciled).toBe(false);
    expect(b).toMatchObject({ id: 'b', state: 'running' });
  });
});

describe('reconciled endings', () => {
  it("a reconciled 'unknown' is replaced by a later reconciliation; anything else stays the first end", () => {
    const lines = parseJournal(
      [
        line(1, 'start', 'a', startOf('vm1')),
        line(2, 'reconcile', 'a', { reconcile: { state: 'unknown', message: 'hvB could not be asked' } }),
        line(3, 'reconcile', 'a', { reconcile: { state: 'completed', message: 'found on hvB' } }),
        line(4, 'reconcile', 'a', { reconcile: { state: 'failed', message: 'later' } }),
        '',
      ].join('\n'),
    ).lines;
    expect(buildRecords(lines)[0]).toMatchObject({ state: 'completed', end: { message: 'found on hvB', reconciled: true } });
  });
});
