// An offline migration (--offline --persistent) moves the definition only: no job to sample, no virsh session; it
// ends when virsh exits, judged by the destination having the definition; the record says no memory moved.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok, type Result } from '../../shared/result';
import type { FerryError } from '../../shared/errors';
import type { RunOutput } from '../../electron/main/remote/run-command';
import { Journal } from '../../electron/main/migration/journal';
import { MigrationEngine, type EngineHostAccess } from '../../electron/main/migration/engine';
import type { MigrationHostRef } from '../../electron/main/migration/record';

const hvA: MigrationHostRef = { id: 'a', name: 'hvA', address: '10.77.0.11' };
const hvB: MigrationHostRef = { id: 'b', name: 'hvB', address: '10.77.0.12' };
const LIST = (rows: string[]) => ` Id   Name   State\n----------------------\n${rows.join('\n')}\n\n`;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('offline migration in the engine', () => {
  it('runs virsh migrate --offline without sampling and ends completed when the destination has the definition', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-offline-'));
    const journal = await Journal.open({ dataDir: dir });
    const calls: string[] = [];
    const hosts: EngineHostAccess = {
      exec: (h) => ({
        async run(argv): Promise<Result<RunOutput, FerryError>> {
          const words = argv.filter((w) => !w.startsWith('LC_ALL') && w !== 'env');
          calls.push(`${h.name} ${words.join(' ')}`);
          if (words.includes('migrate')) return ok({ stdout: '', stderr: '', exitCode: 0 });
          if (words.includes('list') && h.name === 'hvB') return ok({ stdout: LIST([' -    pf-off   shut off']), stderr: '', exitCode: 0 });
          return ok({ stdout: '', stderr: 'error: unexpected\n', exitCode: 1 });
        },
      }),
      openVirsh: () => {
        throw new Error('an offline migration has no job to sample');
      },
    };
    const engine = new MigrationEngine({ journal, hosts, newId: () => 'm1' });
    const r = await engine.start({ vm: 'pf-off', source: hvA, destination: hvB, options: { offline: true, persistent: true, p2p: true, undefineSource: true } });
    expect(r.ok).toBe(true);
    const rec = await engine.settled('m1');
    expect(rec?.state).toBe('completed');
    expect(rec?.end?.message).toBe('Offline migration completed: the definition of pf-off is on hvB (shut off). No memory was moved, so there are no job statistics.');
    expect(rec?.end?.final?.readOn).toBe('none');
    expect(rec?.samples).toEqual([]);
    const migrate = calls.find((c) => c.includes(' migrate '));
    expect(migrate).toContain('--offline');
    expect(migrate).not.toContain('--live');
    expect(calls.filter((c) => c.includes('domjobinfo'))).toEqual([]);
    await engine.dispose();
    await journal.close();
  });
});
