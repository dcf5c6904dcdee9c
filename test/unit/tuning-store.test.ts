import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTuningLog, TUNING_FILE, TuningStore, type TuningEntry } from '../../electron/main/network/tuning-store';
import type { TuningRunResult } from '../../shared/tuning/types';

const begin = (id: string, at: number, hostId = 'h-b'): TuningEntry => ({
  type: 'begin',
  id,
  at,
  hostId,
  hostName: 'hvB',
  planId: 'plan-1',
  changes: [
    {
      id: 'offload:mig0:gro',
      title: 'GRO on mig0',
      current: 'off',
      proposed: 'on',
      apply: { kind: 'offload', ifname: 'mig0', offload: 'gro', on: true },
      undo: { kind: 'offload', ifname: 'mig0', offload: 'gro', on: false },
    },
  ],
});

const result = (id: string, action: 'apply' | 'undo', complete: boolean, applied = complete): TuningRunResult => ({
  changeSetId: id,
  hostId: 'h-b',
  action,
  outcomes: [{ changeId: 'offload:mig0:gro', title: 'GRO on mig0', status: applied ? 'applied' : 'failed', verified: complete }],
  complete,
  manualPersistence: [],
});

describe('tuning history file', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const fresh = () => (dir = mkdtempSync(join(tmpdir(), 'ferry-tuning-')));

  it('keeps the previous values of a change set across a reopen (undo after a restart)', async () => {
    const d = fresh();
    const s1 = await TuningStore.open({ dataDir: d });
    await s1.append(begin('cs-1', 1000));
    await s1.close();
    const s2 = await TuningStore.open({ dataDir: d });
    const rec = s2.get('cs-1');
    expect(rec?.begin.changes[0]?.undo).toEqual({ kind: 'offload', ifname: 'mig0', offload: 'gro', on: false });
    // Begun but never ended: a crash in the middle of the apply.
    expect(s2.list('h-b').map((s) => s.status)).toEqual(['interrupted']);
    await s2.close();
  });

  it('skips a torn last line, keeps it aside, cuts it off, and appends the next record on a line of its own', async () => {
    const d = fresh();
    const s1 = await TuningStore.open({ dataDir: d });
    await s1.append(begin('cs-1', 1000));
    await s1.close();
    const path = join(d, TUNING_FILE);
    appendFileSync(path, '{"v":1,"n":2,"type":"step","id":"cs-1","at":10');
    const s2 = await TuningStore.open({ dataDir: d, wallClock: () => 42 });
    expect(s2.problems.map((p) => p.kind)).toEqual(['torn-tail']);
    expect(readdirSync(d)).toContain(`${TUNING_FILE}.torn-42`);
    await s2.append({ type: 'end', id: 'cs-1', at: 1100, action: 'apply', result: result('cs-1', 'apply', true) });
    await s2.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.filter((l) => l !== '').map((l) => (JSON.parse(l) as { n: number; type: string }).type)).toEqual(['begin', 'end']);
    const s3 = await TuningStore.open({ dataDir: d });
    expect(s3.problems).toEqual([]);
    expect(s3.list('h-b')[0]?.status).toBe('applied');
    await s3.close();
  });

  it('reports a corrupt middle line and still reads the rest', () => {
    const ok1 = JSON.stringify({ v: 1, n: 1, ...begin('cs-1', 1) });
    const ok3 = JSON.stringify({ v: 1, n: 3, ...begin('cs-2', 2) });
    const p = parseTuningLog(`${ok1}\nnot json\n${ok3}\n`);
    expect(p.lines.map((l) => l.id)).toEqual(['cs-1', 'cs-2']);
    expect(p.problems).toMatchObject([{ line: 2, kind: 'corrupt' }]);
  });

  it('tells applied, partial, failed, undone and undo-partial apart, newest first, per host', async () => {
    const d = fresh();
    const s = await TuningStore.open({ dataDir: d });
    await s.append(begin('cs-a', 1));
    await s.append({ type: 'end', id: 'cs-a', at: 2, action: 'apply', result: result('cs-a', 'apply', true) });
    await s.append(begin('cs-f', 3));
    await s.append({ type: 'end', id: 'cs-f', at: 4, action: 'apply', result: result('cs-f', 'apply', false, false) });
    await s.append(begin('cs-p', 5));
    await s.append({ type: 'end', id: 'cs-p', at: 6, action: 'apply', result: result('cs-p', 'apply', false, true) });
    await s.append(begin('cs-u', 7));
    await s.append({ type: 'end', id: 'cs-u', at: 8, action: 'apply', result: result('cs-u', 'apply', true) });
    await s.append({ type: 'end', id: 'cs-u', at: 9, action: 'undo', result: result('cs-u', 'undo', true) });
    await s.append(begin('cs-x', 10));
    await s.append({ type: 'end', id: 'cs-x', at: 11, action: 'undo', result: result('cs-x', 'undo', false) });
    await s.append(begin('cs-other', 12, 'h-a'));
    const list = s.list('h-b');
    expect(list.map((x) => [x.id, x.status])).toEqual([
      ['cs-x', 'undo-partial'],
      ['cs-u', 'undone'],
      ['cs-p', 'partial'],
      ['cs-f', 'failed'],
      ['cs-a', 'applied'],
    ]);
    expect(list[1]?.undoneAt).toBe(new Date(9).toISOString());
    await s.close();
  });

  it('numbers every line and refuses appends after close', async () => {
    const d = fresh();
    const s = await TuningStore.open({ dataDir: d });
    await Promise.all([s.append(begin('cs-1', 1)), s.append(begin('cs-2', 2)), s.append(begin('cs-3', 3))]);
    await s.close();
    await expect(s.append(begin('cs-4', 4))).rejects.toThrow(/closed/);
    const ns = readFileSync(join(d, TUNING_FILE), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
    expect(ns).toEqual([1, 2, 3]);
  });
});
