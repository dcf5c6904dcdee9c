// The migrate dialog's prediction in the store: the inputs are read for the VM and route on screen (through the dev
// fake, which is main's own handler over fake back ends), an answer for a route no longer on screen is dropped, and a
// change the prediction offers is applied to the options. Without history the dialog offers the trial pre-copy
// with its cost; the fake answers the trial by replaying a lab capture, journalled as a trial, so the inputs read
// again afterwards come from it.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createFakeApi } from '../../renderer/src/dev/fakeApi';
import { createFerryStore, type FerryStore } from '../../renderer/src/store';
import { draftTrialCost } from '../../renderer/src/store/migrationSlice';
import { StoreProvider } from '../../renderer/src/store/react';
import { DraftPrediction } from '../../renderer/src/features/migrate/DraftPrediction';
import { until } from '../support/wait';
import { migrationsPredictInputs, migrationsTrial } from '../../shared/ipc/contract';
import { predict } from '../../shared/migration/predict';
import type { TrialResult } from '../../shared/migration/trial-schema';
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

/** The dev fake with the trial channel counted, its answers held until `release()` or replaced by `answer`. */
function trialGate(api: FerryApi, answer?: (input: Record<string, unknown>) => TrialResult) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  const seen = { trials: [] as Record<string, unknown>[], inputReads: 0 };
  const invoke: FerryApi['invoke'] = async (def, input) => {
    if (def.id === migrationsPredictInputs.id) seen.inputReads++;
    if (def.id !== migrationsTrial.id) return api.invoke(def, input);
    seen.trials.push(input as Record<string, unknown>);
    await released;
    return answer ? ({ ok: true, value: answer(input as Record<string, unknown>) } as never) : api.invoke(def, input);
  };
  return { api: { ...api, invoke } as FerryApi, release: () => release(), seen };
}

/** The dialog's prediction as rendered now (a server render reads the store's initial state: it is given the current). */
const panel = (store: FerryStore) =>
  renderToStaticMarkup(createElement(StoreProvider, { store: { ...store, getInitialState: () => store.getState() }, children: createElement(DraftPrediction) }));

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

  it('offers the trial with its cost before it runs; one press runs one trial; the inputs are read again after it', async () => {
    let gate: ReturnType<typeof trialGate> | undefined;
    const { store, a, b, vm } = await openDialog((api) => (gate = trialGate(api)).api);
    store.getState().openMigrate(`${a}/${vm}`, b);
    await until(() => store.getState().migration.draft?.predictionInputs?.inputs !== undefined, 'the prediction inputs');
    const draft = store.getState().migration.draft!;
    expect(predict(draft.predictionInputs!.inputs!, draft.options).kind).toBe('cannot-predict');
    const cost = draftTrialCost(draft)!;
    expect(cost.sentence).toMatch(/^At most .* over the migration network/);
    const before = panel(store);
    expect(before).toContain('Cannot predict');
    expect(before).toContain('Run a trial pre-copy');
    // Nothing to recommend from yet: no "Recommended:" line repeating what is missing.
    expect(before).not.toContain('Recommended:');
    expect(before).toContain(cost.sentence.replace(/'/g, '&#x27;'));
    expect(gate!.seen.trials).toEqual([]);

    const first = store.getState().runTrial();
    void store.getState().runTrial();
    expect(store.getState().migration.draft?.trial?.running).toBe(true);
    expect(panel(store)).toContain('Running the trial pre-copy…');
    // Closed and opened again while it runs: the trial goes on, and the new dialog shows it running.
    store.getState().closeMigrate();
    store.getState().openMigrate(`${a}/${vm}`, b);
    expect(store.getState().migration.draft?.trial?.running).toBe(true);
    void store.getState().runTrial();
    await until(() => store.getState().migration.draft?.predictionInputs?.inputs !== undefined, 'the inputs of the reopened dialog');
    const reads = gate!.seen.inputReads;
    gate!.release();
    await first;
    expect(gate!.seen.trials).toEqual([{ vm, sourceHostId: a, destinationHostId: b, capMiBps: cost.capMiBps }]);
    await until(() => gate!.seen.inputReads > reads && store.getState().migration.draft?.predictionInputs?.inputs !== undefined, 'the inputs read again');
    const after = store.getState().migration.draft!;
    expect(after.trial?.running).toBe(false);
    expect(after.trial?.problem).toBeUndefined();
    expect(after.trial?.done).toMatch(/aborted/);
    expect(after.predictionInputs?.inputs?.workingSetBytes?.source).toBe('trial');
    expect(predict(after.predictionInputs!.inputs!, after.options).kind).toBe('predicted');
    expect(panel(store)).not.toContain('Cannot predict');
    expect(panel(store)).toContain('Recommended:');
  });

  it('a failed trial shows main’s message and reads nothing again; one that completed says where the VM is', async () => {
    const failed = (input: Record<string, unknown>): TrialResult => ({
      outcome: 'failed',
      code: 'not-ready',
      vm: String(input.vm),
      source: 'hvA',
      destination: 'hvB',
      capMiBps: 8,
      passes: 3,
      message: `${String(input.vm)} does not run on hvA: nothing was started.`,
      detail: 'error: Domain not found',
    });
    let gate: ReturnType<typeof trialGate> | undefined;
    const { store, a, b, vm } = await openDialog((api) => (gate = trialGate(api, failed)).api);
    gate!.release();
    store.getState().openMigrate(`${a}/${vm}`, b);
    await until(() => store.getState().migration.draft?.predictionInputs?.inputs !== undefined, 'the prediction inputs');
    const reads = gate!.seen.inputReads;
    await store.getState().runTrial();
    expect(store.getState().migration.draft?.trial).toMatchObject({ running: false, problem: { message: `${vm} does not run on hvA: nothing was started.`, detail: 'error: Domain not found' } });
    expect(gate!.seen.inputReads).toBe(reads);
    const html = panel(store);
    expect(html).toMatch(/role="alert".*does not run on hvA: nothing was started\./s);
    expect(html).toContain('Run a trial pre-copy');

    const moved = trialGate(createFakeApi({ latencyMs: 0 }), (input) => ({
      outcome: 'completed',
      vm: String(input.vm),
      source: 'hvA',
      destination: 'hvB',
      capMiBps: 8,
      passes: 3,
      id: 'm-1',
      passesSeen: 2,
      samples: 4,
      bytesSent: 1,
      durationMs: 1,
      where: { host: 'hvB', state: 'running' },
      message: 'The trial migrated it.',
    }));
    moved.release();
    const { store: s2, a: a2, b: b2, vm: vm2 } = await openDialog(() => moved.api);
    s2.getState().openMigrate(`${a2}/${vm2}`, b2);
    await until(() => s2.getState().migration.draft?.predictionInputs?.inputs !== undefined, 'the prediction inputs');
    await s2.getState().runTrial();
    expect(s2.getState().migration.draft?.trial?.problem).toEqual({ message: 'The trial migrated it.', detail: `${vm2} is running on hvB.` });
  });
});
