// The migrate dialog's store after a refused pre-flight: a certain failure offers nothing, an overridable one a
// confirmation that the next start sends (main decides), a stopped VM a one-click --offline.
import { describe, expect, it } from 'vitest';
import { createFakeApi } from '../../renderer/src/dev/fakeApi';
import { createFerryStore } from '../../renderer/src/store';
import { allFailuresConfirmed } from '../../renderer/src/features/migrate/PreflightList';
import type { PreflightResultView } from '../../shared/migration/preflight-result';
import type { MigrationPort, StartSpec } from '../../renderer/src/store/migrationPort';

const tick = () => new Promise((r) => setTimeout(r, 0));
const ports: PreflightResultView = { check: 'ports', title: 'Migration ports', status: 'fail', message: '49152-49215 timeout', overridable: true };
const state: PreflightResultView = { check: 'state', title: 'VM state on the source', status: 'fail', message: 'shut off', remedy: 'offline' };

async function setup(answer: (spec: StartSpec) => Awaited<ReturnType<MigrationPort['start']>>) {
  const specs: StartSpec[] = [];
  const port: MigrationPort = {
    start: async (spec) => {
      specs.push(spec);
      return answer(spec);
    },
    control: async () => ({ ok: true, value: {} }),
    watch: () => () => undefined,
  };
  const api = Object.assign(createFakeApi({ latencyMs: 0, vmsPerHost: [2, 1], tickMs: 0 }), { migrations: port });
  const store = createFerryStore(api);
  store.getState().watchInventory();
  await tick();
  const [a, b] = Object.keys(store.getState().inventory.hosts);
  const vm = store.getState().inventory.hosts[a!]!.vms![0]!.name;
  store.getState().openMigrate(`${a}/${vm}`, b);
  return { store, specs };
}

describe('overriding a failed pre-flight check from the dialog', () => {
  it('sends the confirmed check with the next start, and says the refusal is in the history', async () => {
    const { store, specs } = await setup((spec) =>
      spec.overrides?.includes('ports')
        ? { ok: true, value: { id: 'm2', preflight: [{ ...ports, override: { at: 1, confirmation: 'I checked "Migration ports" myself' } }] } }
        : { ok: true, value: { id: 'm1', refused: true, preflight: [ports] } },
    );
    await store.getState().startMigration();
    const d = store.getState().migration.draft!;
    expect(d.error?.message).toMatch(/^Pre-flight failed: Migration ports\. Nothing was changed\. The refused attempt is in the migration history\.$/);
    expect(allFailuresConfirmed(d.preflight, d.overrides)).toBe(false);
    store.getState().confirmOverride('ports', true);
    expect(allFailuresConfirmed(store.getState().migration.draft!.preflight, store.getState().migration.draft!.overrides)).toBe(true);
    await store.getState().startMigration();
    expect(specs.map((s) => s.overrides)).toEqual([undefined, ['ports']]);
    expect(store.getState().migration.draft).toBeNull();
    expect(store.getState().migration.openRunId).toBe('m2');
  });

  it('never counts a certain failure as confirmed, and turns a stopped VM into an offline migration in one click', async () => {
    const { store } = await setup(() => ({ ok: true, value: { id: 'm1', refused: true, preflight: [state] } }));
    await store.getState().startMigration();
    store.getState().confirmOverride('state', true);
    expect(allFailuresConfirmed(store.getState().migration.draft!.preflight, store.getState().migration.draft!.overrides)).toBe(false);
    store.getState().applyRemedy('offline');
    const d = store.getState().migration.draft!;
    expect(d.options).toMatchObject({ offline: true, persistent: true });
    expect(d.options.live).toBeUndefined();
    expect(d.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(d.commandLine).toContain("'--offline'");
    expect(d.preflight).toBeUndefined();
  });
});
