// A refused pre-flight is a record (state 'refused', with the checks), read back after a restart; an admin's
// override counts only for a check that failed in main's own run and is not certain, and is recorded in that check.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../electron/main/migration/journal';
import { MigrationEngine, type EngineHostAccess } from '../../electron/main/migration/engine';
import { migrationHandlers } from '../../electron/main/migration/handlers';
import { decidePreflight } from '../../electron/main/migration/preflight-overrides';
import { migrationsList, migrationsStart } from '../../shared/ipc/contract';
import { migrationRecordSchema } from '../../shared/migration/record-schema';
import type { PreflightResultView } from '../../shared/migration/preflight-result';
import type { HostView } from '../../shared/inventory/types';

const timedOut: PreflightResultView = { check: 'ports', title: 'Migration ports', status: 'fail', message: 'From hvA to 10.77.0.12: migration ports (49152-49215) 49152-49215 timeout.', overridable: true };
const notRunning: PreflightResultView = { check: 'state', title: 'VM state on the source', status: 'fail', message: 'vm1 is shut off on hvA.', remedy: 'offline' };
const pass: PreflightResultView = { check: 'cpu', title: 'CPU compatibility', status: 'pass', message: 'fine' };

describe('decidePreflight', () => {
  it('starts despite an overridable failure the admin confirmed, recording which check, the confirmation and when', () => {
    const d = decidePreflight([pass, timedOut], ['ports'], 1234);
    expect(d.start).toBe(true);
    expect(d.checks[1]?.override).toEqual({ at: 1234, confirmation: `I checked "Migration ports" myself and start anyway, knowing that pre-flight said: ${timedOut.message}` });
    expect(d.checks[0]?.override).toBeUndefined();
  });

  it('never overrides a certain failure, even when asked, and says so', () => {
    const d = decidePreflight([timedOut, notRunning], ['ports', 'state'], 1);
    expect(d.start).toBe(false);
    expect(d.refusal).toContain('VM state on the source (certain: it cannot be overridden): vm1 is shut off on hvA.');
    expect(d.checks[1]?.override).toBeUndefined();
  });

  it('refuses an overridable failure nobody confirmed, and ignores a confirmation for a check that passed', () => {
    expect(decidePreflight([timedOut], [], 1).start).toBe(false);
    const d = decidePreflight([pass], ['cpu'], 1);
    expect(d.start).toBe(true);
    expect(d.checks[0]?.override).toBeUndefined();
  });
});

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const host = (id: string, address: string): HostView => ({ record: { id, name: id, address, port: id === 'hvB' ? 2222 : 22, user: 'root' }, connection: { state: 'connected' } }) as unknown as HostView;
const noHosts: EngineHostAccess = {
  exec: () => {
    throw new Error('a refused start must not run anything on a host');
  },
  openVirsh: () => {
    throw new Error('a refused start must not open a virsh session');
  },
};

describe('a refused start is kept in the history', () => {
  it('writes a refused record with the checks, answers its id, and reads it back after a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-refused-'));
    const journal = await Journal.open({ dataDir: dir });
    const engine = new MigrationEngine({ journal, hosts: noHosts, newId: () => 'm-refused', wallClock: () => 5000 });
    const h = migrationHandlers({ engine, history: journal, hosts: () => [host('hvA', '10.77.0.11'), host('hvB', '10.77.0.12')], now: () => 5000, preflight: async () => [pass, notRunning, timedOut] });
    const input = migrationsStart.input.parse({ vm: '-x', sourceHostId: 'hvA', destinationHostId: 'hvB', options: { live: true, p2p: true }, overrides: [{ check: 'ports', confirmed: true }] });
    const r = await h[migrationsStart.id](input, { transport: 'web' } as never);
    expect(r).toMatchObject({ ok: true, value: { id: 'm-refused', refused: true } });
    await engine.dispose();
    await journal.close();

    const again = await Journal.open({ dataDir: dir });
    const after = new MigrationEngine({ journal: again, hosts: noHosts });
    const list = await migrationHandlers({ engine: after, history: again, hosts: () => [] })[migrationsList.id]({}, { transport: 'web' } as never);
    expect(list.ok).toBe(true);
    const rec = list.ok ? migrationRecordSchema.parse(list.value[0]) : undefined;
    expect(rec).toMatchObject({ id: 'm-refused', vm: '-x', state: 'refused', startedAt: 5000, endedAt: 5000 });
    expect(rec?.preflight.map((c) => [c.check, c.status, c.override?.at])).toEqual([
      ['cpu', 'pass', undefined],
      ['state', 'fail', undefined],
      ['ports', 'fail', 5000],
    ]);
    expect(rec?.result.error?.message).toMatch(/^Pre-flight refused the start\. VM state on the source: vm1 is shut off on hvA\./);
    expect(rec?.commandLine).toContain("'qemu+ssh://root@10.77.0.12:2222/system'");
    expect(await after.reconcile()).toEqual([]);
    await after.dispose();
    await again.close();
  });
});
