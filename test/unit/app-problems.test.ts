import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFerryMain } from '../../electron/main/app';
import { createIpcCore } from '../../electron/main/ipc/core';
import { appInfo } from '../../shared/ipc/contract';

describe('start-up with a torn inventory file', () => {
  it('keeps the bad file aside, starts empty and tells the renderer why', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ferry-torn-'));
    const torn = '{"version":1,"hosts":[{"id":"h1","name":"hvA","addr';
    writeFileSync(path.join(dataDir, 'inventory.json'), torn);
    const main = await createFerryMain({ dataDir, homeDir: dataDir, env: {} });
    try {
      const core = createIpcCore(main.handlers);
      const info = await core.invoke(appInfo.id, {}, { clientId: 't', transport: 'web' });
      expect(info.ok).toBe(true);
      const problems = info.ok ? (info.value as { problems: { code: string; message: string }[] }).problems : [];
      expect(problems.map((p) => p.code)).toEqual(['inventory.corrupt']);
      expect(problems[0]?.message).toMatch(/inventory\.json/);
      const kept = readdirSync(dataDir).filter((f) => f.startsWith('inventory.json.corrupt-'));
      expect(kept).toHaveLength(1);
      expect(readFileSync(path.join(dataDir, kept[0] ?? ''), 'utf8')).toBe(torn);
    } finally {
      await main.dispose();
    }
  });
});

describe('start-up with a damaged migration history', () => {
  it('names the damaged lines and where they went at the first start, and says nothing at the next two', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ferry-damaged-'));
    const host = (name: string) => ({ id: name, name, address: name });
    const start = { vm: 'vm1', source: host('hvA'), destination: host('hvB'), options: {}, argv: [], commandLine: 'virsh migrate', intervalMs: 1000 };
    const end = { state: 'completed', message: 'done' };
    const lines = [
      JSON.stringify({ v: 1, n: 1, type: 'start', id: 'm-1', at: 1, start }),
      JSON.stringify({ v: 1, n: 2, type: 'end', id: 'm-1', at: 2, end }),
      JSON.stringify({ v: 1, n: 3, type: 'start', id: 'm-2', at: 3, start }),
    ];
    writeFileSync(path.join(dataDir, 'migrations.jsonl'), `${lines.join('\n')}\n{"v":1,"n":4,"type":"end","id":"m-2","a\nnot a record`);
    const problemsAtStart = async () => {
      const main = await createFerryMain({ dataDir, homeDir: dataDir, env: {} });
      try {
        const info = await createIpcCore(main.handlers).invoke(appInfo.id, {}, { clientId: 't', transport: 'web' });
        return info.ok ? (info.value as { problems: { code: string; message: string }[] }).problems : undefined;
      } finally {
        await main.dispose();
      }
    };
    const first = await problemsAtStart();
    expect(first).toHaveLength(1);
    const moved = readdirSync(dataDir).filter((f) => f.startsWith('migrations.jsonl.damaged-'));
    expect(moved).toHaveLength(1);
    expect(first?.[0]?.message).toContain(path.join(dataDir, moved[0] ?? ''));
    expect(first?.[0]?.message).toMatch(/\(line 4 cut off in the middle of a write, line 5 not valid JSON\)/);
    expect(await problemsAtStart()).toEqual([]);
    expect(await problemsAtStart()).toEqual([]);
  });
});
