import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, parseJournal, JOURNAL_FILE } from '../../electron/main/migration/journal';
import { buildRecords } from '../../electron/main/migration/record';

const line = (n: number, type: string, id = 'm1', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, n, type, id, at: 1000 + n, ...extra });

describe('journal parser', () => {
  it('reads whole lines and treats an unterminated last piece as a torn tail', () => {
    const text = `${line(1, 'start')}\n${line(2, 'sample')}\n{"v":1,"n":3,"ty`;
    const p = parseJournal(text);
    expect(p.lines.map((l) => l.n)).toEqual([1, 2]);
    expect(p.problems.map((x) => x.kind)).toEqual(['torn-tail']);
    expect(p.cleanLength).toBe(text.indexOf('{"v":1,"n":3'));
  });

  it('skips a last line that parses but lacks its newline: its append never returned', () => {
    const p = parseJournal(`${line(1, 'start')}\n${line(2, 'end')}`);
    expect(p.lines.map((l) => l.n)).toEqual([1]);
    expect(p.problems[0]?.kind).toBe('torn-tail');
  });

  it('reports a corrupt middle line with its number and keeps reading the rest', () => {
    const p = parseJournal(`${line(1, 'start')}\n###garbage###\n${line(3, 'sample')}\n${line(4, 'end')}\n`);
    expect(p.lines.map((l) => l.n)).toEqual([1, 3, 4]);
    expect(p.problems).toHaveLength(2); // the corrupt line, and the jump from 1 to 3 it leaves
    expect(p.problems[0]).toMatchObject({ line: 2, kind: 'corrupt' });
    expect(p.problems[1]).toMatchObject({ line: 3, kind: 'gap' });
  });

  it('refuses records of another version or an unknown type without dropping the others', () => {
    const p = parseJournal(`${JSON.stringify({ v: 2, n: 1, type: 'start', id: 'a', at: 0 })}\n${line(2, 'bogus')}\n${line(3, 'start')}\n`);
    expect(p.lines.map((l) => l.n)).toEqual([3]);
    expect(p.problems.map((x) => x.kind)).toEqual(['corrupt', 'corrupt']);
  });

  it('reads an empty or missing file as no records and no problems', () => {
    expect(parseJournal('')).toEqual({ lines: [], problems: [], cleanLength: 0 });
  });
});

describe('journal file', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('appends numbered lines, and after a torn tail sets it aside and continues on a clean line', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-journal-'));
    const j = await Journal.open({ dataDir: dir, wallClock: () => 42 });
    await j.append({ type: 'start', id: 'm1', at: 1, start: { vm: 'vm1' } });
    await j.append({ type: 'sample', id: 'm1', at: 2, sample: { seq: 0, latencyMs: 1 } });
    expect(j.syncStats().count).toBe(2);
    await j.close();
    const path = join(dir, JOURNAL_FILE);
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"v":1,"n":3,"type":"sam`);

    const k = await Journal.open({ dataDir: dir, wallClock: () => 42 });
    expect(k.initial.lines.map((l) => l.n)).toEqual([1, 2]);
    expect(k.initial.problems.map((p) => p.kind)).toEqual(['torn-tail']);
    expect(readdirSync(dir)).toContain(`${JOURNAL_FILE}.torn-42`);
    await k.append({ type: 'end', id: 'm1', at: 3, end: { state: 'completed', message: 'done' } });
    await k.close();

    const again = parseJournal(readFileSync(path, 'utf8'));
    expect(again.problems).toEqual([]);
    expect(again.lines.map((l) => [l.n, l.type])).toEqual([
      [1, 'start'],
      [2, 'sample'],
      [3, 'end'],
    ]);
  });

  it('keeps appends in call order when they are issued concurrently', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-journal-'));
    const j = await Journal.open({ dataDir: dir });
    await Promise.all(Array.from({ length: 50 }, (_, i) => j.append({ type: 'sample', id: 'm', at: i, sample: { seq: i } })));
    await j.close();
    const p = parseJournal(readFileSync(join(dir, JOURNAL_FILE), 'utf8'));
    expect(p.lines.map((l) => (l['sample'] as { seq: number }).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('migration records from journal lines', () => {
  it('groups lines by migration; an end decides the state and a later reconciliation does not overwrite it', () => {
    const lines = parseJournal(
      [
        line(1, 'start', 'a', { start: { vm: 'vm1' } }),
        line(2, 'start', 'b', { start: { vm: 'vmd' } }),
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
        line(1, 'start', 'a', { start: { vm: 'vm1' } }),
        line(2, 'reconcile', 'a', { reconcile: { state: 'unknown', message: 'hvB could not be asked' } }),
        line(3, 'reconcile', 'a', { reconcile: { state: 'completed', message: 'found on hvB' } }),
        line(4, 'reconcile', 'a', { reconcile: { state: 'failed', message: 'later' } }),
        '',
      ].join('\n'),
    ).lines;
    expect(buildRecords(lines)[0]).toMatchObject({ state: 'completed', end: { message: 'found on hvB', reconciled: true } });
  });
});
