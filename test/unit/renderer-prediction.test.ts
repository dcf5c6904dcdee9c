// The migrate dialog's prediction in the store: the inputs are read for the VM and route on screen (through the dev
// fake, which is main's own handler over fake back ends), an answer for a route no longer on screen is dropped, and a
// change the prediction offers is applied to the options.
import { describe, expect, it } from 'vitest';
import { createFakeApi } from '../../renderer/src/dev/fakeApi';
import { createFerryStore } from '../../renderer/src/store';
import { until } from '../support/wait';
import { migrationsPredictInputs } from '../../shared/ipc/contract';
import type { FerryApi } from '../../renderer/src/store/ports';

/** The dev fake, with the prediction inputs for one destination held back until `release()`. */
function slowFor(api: FerryApi, destinationHostId: () => string) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  const state = { answered: false };
  const invoke: FerryApi['invoke'] = async (def, input) => {
    if (def.id !== migrationsPredictInputs.id || (input as { destinationHostId?: string }).destinationHostId !== destinationHostId()) return api.invoke(def, input);
    await released;
    const r = await api.invoke(def, input);
    state.answered = true;
    return r;
  };
  return { api: { ...api, invoke } as FerryApi, release: () => release(), state };
}

async function openDialog(wrap: (api: FerryApi) => FerryApi = (x) => x) {
  const api = wrap(createFakeApi({ latencyMs: 0, vmsPerHost: [2, 1, 1], tickMs: 0 }));
  const store = createFerryStore(api);
  store.getState().watchInventory();
  await until(() => Object.keys(store.getState().inventory.hosts).length === 3, 'the fake inventory');
  const [a, b, c] = Object.keys(store.getState().inventory.hosts);
  await until(() => (store.getState().inventory.hosts[a!]?.vms?.length ?? 0) > 0, 'the VMs of the first host');
  const vm = store.getState().inventory.hosts[a!]!.vms![0]!.name;
  return { store, a: a!, b: b!, c: c!, vm };
}

describe('the prediction in the migrate dialog', () => {
  it('reads the inputs once a destination is chosen, for that VM and route', async () => {
    const { store, a, b, vm } = await openDialog();
    store.getState().openMigrate(`${a}/${vm}`);
    expect(store.getState().migration.draft?.predictionInputs).toBeUndefined();
    store.getState().setMigrateDestination(b);
    await until(() => store.getState().migration.draft?.predictionInputs?.inputs !== undefined, 'the prediction inputs');
    const p = store.getState().migration.draft!.predictionInputs!;
    expect(p.inputs?.vm).toBe(vm);
    expect(JSON.parse(p.key)).toEqual([vm, a, b]);
  });

  it('reads them again for another destination, and never shows the first route’s answer for the second', async () => {
    let held = '';
    let slow: ReturnType<typeof slowFor> | undefined;
    const { store, a, b, c, vm } = await openDialog((api) => (slow = slowFor(api, () => held)).api);
    held = b;
    store.getState().openMigrate(`${a}/${vm}`, b);
    // Changed before the first answer arrived; the first answer then arrives after the second.
    store.getState().setMigrateDestination(c);
    await until(() => store.getState().migration.draft?.predictionInputs?.inputs !== undefined, 'the prediction inputs');
    slow?.release();
    await until(() => slow?.state.answered === true, 'the held answer');
    // Given a moment to land (the store's update follows the answer), it must not have replaced the second route's.
    await until(() => store.getState().migration.draft?.predictionInputs?.inputs !== undefined, 'the inputs still there');
    expect(JSON.parse(store.getState().migration.draft!.predictionInputs!.key)).toEqual([vm, a, c]);
  });

  it('applies a change the prediction offers to the options (the profile becomes custom)', async () => {
    const { store, a, b, vm } = await openDialog();
    store.getState().openMigrate(`${a}/${vm}`, b);
    const before = store.getState().migration.draft!.options;
    store.getState().applyPredictedChange({ bandwidthMiBps: 32, autoConverge: true });
    const d = store.getState().migration.draft!;
    expect(d.options).toEqual({ ...before, bandwidthMiBps: 32, autoConverge: true });
    expect(d.profileId).toBeNull();
    expect(d.commandLine).toContain("'--bandwidth' '32'");
  });
});
