// A failed append leaves the file as it was: a line whose write failed half-way (disk full, I/O error) is cut back,
// so the next record is whole and readable; when even that fails, the next record starts on a line of its own.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeJsonlFs, type JsonlFs } from '../../electron/main/storage/jsonl';
import { Journal, JOURNAL_FILE, parseJournal } from '../../electron/main/migration/journal';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The real file system, whose next append writes half its line and then fails; optionally the undo fails too. */
function failingOnce(truncateFails: boolean): JsonlFs & { armed: boolean } {
  const fs = {
    ...nodeJsonlFs,
    armed: false,
    async openAppend(path: string) {
      const h = await nodeJsonlFs.openAppend(path);
      return {
        ...h,
        appendDurable: async (data: Buffer) => {
          if (!fs.armed) return h.appendDurable(data);
          fs.armed = false;
          await h.appendDurable(data.subarray(0, Math.floor(data.length / 2)));
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
        truncate: async (length: number) => {
          if (truncateFails) throw new Error('EIO: i/o error, ftruncate');
          return h.truncate(length);
        },
      };
    },
  };
  return fs;
}

const start = (vm: string) => ({ type: 'start' as const, id: `m-${vm}`, at: 1, start: { vm, source: { id: 'a', name: 'hvA', address: '10.77.0.11' }, destination: { id: 'b', name: 'hvB', address: '10.77.0.12' }, options: {}, argv: [], commandLine: '', intervalMs: 1000 } });

describe('appending to the migration journal when a write fails', () => {
  it('cuts the half-written line back: the next record is whole, numbered on, and nothing is damaged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-jsonl-'));
    dirs.push(dir);
    const fs = failingOnce(false);
    const j = await Journal.open({ dataDir: dir, fs });
    await j.append(start('vm1'));
    fs.armed = true;
    await expect(j.append(start('vm2'))).rejects.toThrow(/ENOSPC/);
    const third = await j.append(start('vm3'));
    await j.close();
    expect(third.n).toBe(2);
    const parsed = parseJournal(readFileSync(join(dir, JOURNAL_FILE), 'utf8'));
    expect(parsed.damaged).toEqual([]);
    expect(parsed.lines.map((l) => [l.n, l.id])).toEqual([
      [1, 'm-vm1'],
      [2, 'm-vm3'],
    ]);
  });

  it('when the cut fails too, the fragment alone is damaged and the next record starts on a new line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-jsonl-'));
    dirs.push(dir);
    const fs = failingOnce(true);
    const j = await Journal.open({ dataDir: dir, fs });
    await j.append(start('vm1'));
    fs.armed = true;
    await expect(j.append(start('vm2'))).rejects.toThrow(/ENOSPC/);
    await j.append(start('vm3'));
    await j.close();
    const parsed = parseJournal(readFileSync(join(dir, JOURNAL_FILE), 'utf8'));
    expect(parsed.damaged.map((d) => d.line)).toEqual([2]);
    expect(parsed.lines.map((l) => l.id)).toEqual(['m-vm1', 'm-vm3']);
  });
});
