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
