/**
 * Migrations in the renderer: the migrate dialog's draft (which VM, where to, which profile, the options), computed
 * locally from the pure rules in shared/migration/options.ts and shared/commands/migrate.ts (problems with their
 * reasons, the exact command line), and the dropping rules of drag-to-migrate.
 */
import { commandLine } from '../../../shared/commands/migrate';
import { migrationsPredictInputs, migrationsTrial, profilesList, profilesRemove, profilesSave } from '../../../shared/ipc/contract';
import { trialCost, type TrialCost, type TrialResult } from '../../../shared/migration/trial-schema';
import './migrationProfiles';
import { call } from './ports';
import { BUILT_IN_PROFILES, offlineOptions, validateMigrationOptions, type MigrationOptions, type MigrationProfile } from '../../../shared/migration/options';
import type { HostView } from '../../../shared/inventory/types';
import { isActive } from '../../../shared/migration/state';
import { afterPrevious, contractMigrationPort } from './migrationContract';
import type { MigrationVerdict } from '../../../shared/migration/verdict';
import { migrationPortOf, type MigrationEvent, type MigrationRun } from './migrationPort';
import type { DraftTrial, MigrateDraft, MigrationSlice, SliceCreator } from './types';
import { refCounted } from './refCounted';

/**
 * The newer of two verdicts, by the job time of the sample each judges. A record event can carry a verdict computed
 * before the latest sample reached the record (its journal line still being written): it must not replace the
 * verdict that came with that sample, or the verdict lags the figures beside it.
 */
export function newerVerdict(current: MigrationVerdict | undefined, incoming: MigrationVerdict | undefined): MigrationVerdict | undefined {
  if (incoming === undefined) return current;
  if (current?.elapsedMs !== undefined && incoming.elapsedMs !== undefined && incoming.elapsedMs < current.elapsedMs) return current;
  return incoming;
}

/** Applies one event of the migrations stream; samples append (the chart downsamples, the store keeps them all). */
export function reduceRuns(runs: Readonly<Record<string, MigrationRun>>, e: MigrationEvent): Readonly<Record<string, MigrationRun>> {
  switch (e.type) {
    case 'snapshot':
      return Object.fromEntries(e.runs.map((r) => [r.id, r]));
    case 'run': {
      const old = runs[e.run.id];
      return { ...runs, [e.run.id]: { ...e.run, samples: e.samples ?? old?.samples ?? [], verdict: newerVerdict(old?.verdict, e.run.verdict) } };
    }
    case 'sample': {
      const old = runs[e.id];
      if (old === undefined) return runs;
      return { ...runs, [e.id]: { ...old, samples: [...old.samples, afterPrevious(old.samples.at(-1), e.sample)], ...(e.verdict !== undefined ? { verdict: e.verdict } : {}) } };
    }
  }
}

/** Why `host` cannot take a VM of `sourceHostId` now, or null when it can. */
export function dropRefusal(sourceHostId: string, host: HostView | undefined): string | null {
  if (host === undefined) return 'That host is no longer in the inventory.';
  if (host.record.id === sourceHostId) return `The VM already runs on ${host.record.name}.`;
  if (host.record.maintenance !== undefined) return `${host.record.name} is in maintenance: it takes no migrations until it leaves maintenance.`;
  const c = host.connection;
  if (c.state === 'libvirt-unreachable') return `libvirt on ${host.record.name} does not answer: ${c.reason}`;
  if (c.state !== 'connected') return `${host.record.name} is ${c.state.replace(/-/g, ' ')}${'reason' in c && c.reason ? `: ${c.reason}` : '.'}`;
  return null;
}

export function splitVmKey(key: string): { hostId: string; vmName: string } | null {
  const i = key.indexOf('/');
  return i <= 0 ? null : { hostId: key.slice(0, i), vmName: key.slice(i + 1) };
}

/** Problems and command line for a draft, recomputed on every edit (pure, cheap). */
export function reviewDraft(d: Pick<MigrateDraft, 'vmName' | 'destinationAddress' | 'destinationUser' | 'destinationPort' | 'options'>): Pick<MigrateDraft, 'problems' | 'commandLine'> {
  const problems = validateMigrationOptions(d.options);
  if (d.destinationAddress === undefined) return { problems, commandLine: undefined };
  const line = commandLine({
    domain: d.vmName,
    destinationHost: d.destinationAddress,
    ...(d.destinationUser !== undefined ? { destinationUser: d.destinationUser } : {}),
    ...(d.destinationPort !== undefined ? { destinationPort: d.destinationPort } : {}),
    options: d.options,
  });
  return { problems, commandLine: line.ok ? line.value : undefined, ...(line.ok ? {} : { problems: [...problems, { severity: 'error' as const, options: [], message: line.error.message }] }) };
}

/**
 * What a trial of the draft's VM would cost, at the cap the trial channel would choose for its memory (the inputs'
 * figure, else the inventory's); undefined while the memory is not known (nothing bounds the cost then).
 */
export function draftTrialCost(d: Pick<MigrateDraft, 'predictionInputs'>, inventoryMemoryBytes?: number): TrialCost | undefined {
  const memoryBytes = d.predictionInputs?.inputs?.memoryBytes?.value ?? inventoryMemoryBytes;
  return memoryBytes === undefined || memoryBytes <= 0 ? undefined : trialCost({ memoryBytes });
}

/** How a trial that gave no new inputs ended, for the dialog's banner (completed: where the VM is now). */
export function trialProblem(r: TrialResult): DraftTrial['problem'] {
  if (r.outcome === 'aborted') return undefined;
  if (r.outcome === 'completed') return { message: r.message, detail: `${r.vm} is ${r.where.state} on ${r.where.host}.` };
  return { message: r.message, ...(r.detail !== undefined ? { detail: r.detail } : {}) };
}

export const createMigrationSlice: SliceCreator<MigrationSlice> = (set, get, deps) => {
  const port = migrationPortOf(deps.api) ?? contractMigrationPort(deps.api);
  /** Ended runs whose samples were fetched (or are being fetched) for the migration view. */
  const loaded = new Set<string>();
  const watchRuns = refCounted(() => {
    void loadProfiles();
    return port.watch((e) => set((s) => ({ migration: { ...s.migration, runs: reduceRuns(s.migration.runs, e) } })));
  });
  const profiles = (): readonly MigrationProfile[] => get().migration.profiles;
  const dest = (id: string | null) => {
    const h = id === null ? undefined : get().inventory.hosts[id];
    return { destinationAddress: h?.record.address, destinationUser: h?.record.user, destinationPort: h?.record.port };
  };
  const patch = (f: (d: MigrateDraft) => Partial<MigrateDraft>) =>
    set((s) => {
      const d = s.migration.draft;
      if (d === null) return {};
      const next = { ...d, ...f(d) };
      return { migration: { ...s.migration, draft: { ...next, ...reviewDraft(next) } } };
    });

  // The prediction's inputs belong to one VM and route; an answer for another (the admin changed the destination
  // meanwhile) is dropped.
  const predictionKey = (d: Pick<MigrateDraft, 'vmName' | 'sourceHostId' | 'destinationHostId'>): string => JSON.stringify([d.vmName, d.sourceHostId, d.destinationHostId]);
  // `force`: read again for the same route (a trial has just added a run to the journal).
  const loadPredictionInputs = async (force = false) => {
    const d = get().migration.draft;
    if (d === null || d.destinationHostId === null) return;
    const key = predictionKey(d);
    if (d.predictionInputs?.key === key && !force) return;
    patch(() => ({ predictionInputs: { key } }));
    const r = await call(deps.api, migrationsPredictInputs, { vm: d.vmName, sourceHostId: d.sourceHostId, destinationHostId: d.destinationHostId });
    patch((cur) => (predictionKey(cur) !== key ? {} : { predictionInputs: r.ok ? { key, inputs: r.value } : { key, error: r.error } }));
  };

  // Trials running, by route: they outlive the dialog, so one reopened for the route shows its trial running.
  const trials = new Set<string>();
  const trialOf = (d: Pick<MigrateDraft, 'vmName' | 'sourceHostId' | 'destinationHostId'>): Pick<MigrateDraft, 'trial'> => {
    const key = predictionKey(d);
    return { trial: trials.has(key) ? { key, running: true } : undefined };
  };
  const inventoryMemory = (d: MigrateDraft): number | undefined => get().inventory.hosts[d.sourceHostId]?.vms?.find((v) => v.name === d.vmName)?.memoryBytes;

  const loadProfiles = async () => {
    const r = await call(deps.api, profilesList, {});
    // Unanswered, the built-in profiles stay on offer and the dialog says why the saved ones are missing.
    set((s) => ({
      migration: r.ok
        ? { ...s.migration, profiles: r.value.profiles.length > 0 ? r.value.profiles : BUILT_IN_PROFILES, profileProblems: r.value.problems }
        : { ...s.migration, profileProblems: [{ ...r.error, message: `Saved profiles could not be loaded: ${r.error.message}` }] },
    }));
  };

  return {
    migration: { draft: null, profiles: BUILT_IN_PROFILES, profileProblems: [], defaultProfileId: BUILT_IN_PROFILES[0]?.id ?? 'fast-lan', runs: {}, openRunId: null, controlling: {} },

    openMigrate(vmKey, destinationHostId = null) {
      const k = splitVmKey(vmKey);
      if (k === null || get().inventory.hosts[k.hostId] === undefined) return;
      const destinationId = destinationHostId !== null && dropRefusal(k.hostId, get().inventory.hosts[destinationHostId]) === null ? destinationHostId : null;
      const profile = profiles().find((p) => p.id === get().migration.defaultProfileId) ?? profiles()[0];
      const base = { sourceHostId: k.hostId, vmName: k.vmName, destinationHostId: destinationId, profileId: profile?.id ?? null, options: profile?.options ?? { live: true, p2p: true }, phase: 'editing' as const, ...dest(destinationId) };
      set((s) => ({ migration: { ...s.migration, draft: { ...base, ...reviewDraft(base), ...trialOf(base) } } }));
      void loadPredictionInputs();
    },
    closeMigrate() {
      set((s) => (s.migration.draft === null ? {} : { migration: { ...s.migration, draft: null } }));
    },
    setMigrateDestination(hostId) {
      patch((d) => ({ destinationHostId: hostId, ...dest(hostId), overrides: [], predictionInputs: undefined, ...trialOf({ ...d, destinationHostId: hostId }) }));
      void loadPredictionInputs();
    },
    chooseProfile(id) {
      const p = profiles().find((x) => x.id === id);
      if (p === undefined) return;
      patch(() => ({ profileId: p.id, options: p.options, overrides: [] }));
    },
    setMigrateOption(key, value) {
      patch((d) => {
        const options: Record<string, unknown> = { ...d.options };
        if (value === undefined || value === false) delete options[key];
        else options[key] = value;
        return { options: options as MigrationOptions, profileId: null, overrides: [] };
      });
    },
    confirmOverride(checkId, confirmed) {
      patch((d) => {
        const rest = (d.overrides ?? []).filter((x) => x !== checkId);
        return { overrides: confirmed ? [...rest, checkId] : rest };
      });
    },
    applyPredictedChange(change) {
      patch((d) => ({ options: { ...d.options, ...change }, profileId: null, overrides: [] }));
    },
    async runTrial() {
      const d = get().migration.draft;
      if (d === null || d.destinationHostId === null) return;
      const key = predictionKey(d);
      const cost = draftTrialCost(d, inventoryMemory(d));
      if (trials.has(key) || cost === undefined) return;
      trials.add(key);
      const forRoute = (f: (cur: MigrateDraft) => Partial<MigrateDraft>) => patch((cur) => (predictionKey(cur) === key ? f(cur) : {}));
      forRoute(() => ({ trial: { key, running: true } }));
      // The cap the admin was shown, not one main might pick from another memory figure.
      const r = await call(deps.api, migrationsTrial, { vm: d.vmName, sourceHostId: d.sourceHostId, destinationHostId: d.destinationHostId, capMiBps: cost.capMiBps });
      trials.delete(key);
      if (!r.ok) {
        forRoute(() => ({ trial: { key, running: false, problem: { message: `The trial did not run: ${r.error.message}`, ...(r.error.detail !== undefined ? { detail: r.error.detail } : {}) } } }));
        return;
      }
      const problem = trialProblem(r.value);
      forRoute(() => ({ trial: { key, running: false, ...(problem === undefined ? { done: r.value.message } : { problem }) } }));
      const now = get().migration.draft;
      if (problem === undefined && now !== null && predictionKey(now) === key) await loadPredictionInputs(true);
    },
    applyRemedy(remedy) {
      if (remedy !== 'offline') return;
      // The checks were for the old options: cleared, so the next start runs them for the new ones.
      patch((d) => ({ options: offlineOptions(d.options), profileId: null, overrides: [], preflight: undefined, error: undefined }));
    },

    async saveProfile(name, replace) {
      const d = get().migration.draft;
      if (d === null) return { ok: false, error: { code: 'input.invalid', message: 'There are no options to save: the migrate dialog is closed.' } };
      const r = await call(deps.api, profilesSave, { name, options: d.options, ...(replace ? { replace: true } : {}) });
      if (!r.ok) return r;
      await loadProfiles();
      // The draft now shows the saved profile as its source, unless the admin changed an option meanwhile.
      patch((now) => (now.options === d.options ? { profileId: r.value.id } : {}));
      return r;
    },
    async removeProfile(id) {
      const r = await call(deps.api, profilesRemove, { id });
      if (!r.ok) return r;
      await loadProfiles();
      patch((d) => (d.profileId === id ? { profileId: null } : {}));
      return r;
    },

    async startMigration() {
      const d = get().migration.draft;
      if (d === null || d.phase !== 'editing' || d.destinationHostId === null) return;
      patch(() => ({ phase: 'checking', error: undefined, preflight: undefined }));
      const overrides = d.overrides ?? [];
      const r = await port.start({ domain: d.vmName, sourceHostId: d.sourceHostId, destinationHostId: d.destinationHostId, options: d.options, ...(overrides.length > 0 ? { overrides } : {}) });
      if (!r.ok) {
        patch(() => ({ phase: 'editing', error: r.error }));
        return;
      }
      const failed = r.value.preflight.filter((c) => c.status === 'fail' && c.override === undefined);
      if (r.value.id === undefined || r.value.refused === true || failed.length > 0) {
        const recorded = r.value.refused === true && r.value.id !== undefined ? ' The refused attempt is in the migration history.' : '';
        // Confirmations stay only for checks that failed again and can be overridden.
        const still = overrides.filter((id) => failed.some((c) => c.check === id && c.overridable === true));
        patch(() => ({ phase: 'editing', preflight: r.value.preflight, overrides: still, error: { code: 'input.invalid', message: `Pre-flight failed: ${failed.map((c) => c.title ?? c.check).join(', ') || 'the migration did not start'}. Nothing was changed.${recorded}` } }));
        return;
      }
      const id = r.value.id;
      set((s) => ({ migration: { ...s.migration, draft: null, openRunId: id } }));
      get().notify({ tone: 'info', message: `Migrating ${d.vmName}.` });
    },

    watchMigrations() {
      return watchRuns();
    },

    openRun(id) {
      set((s) => ({ migration: { ...s.migration, openRunId: id } }));
      // An ended run from the history has no samples in the store (the stream sends only new ones): fetch them once,
      // or its chart and last-sample box stay empty.
      const run = id === null ? undefined : get().migration.runs[id];
      if (id === null || run === undefined || isActive(run.state) || run.samples.length > 0 || loaded.has(id) || port.load === undefined) return;
      loaded.add(id);
      void port.load(id).then((r) => {
        if (r.ok) set((s) => ({ migration: { ...s.migration, runs: reduceRuns(s.migration.runs, { type: 'run', run: r.value.run, samples: r.value.samples }) } }));
        else loaded.delete(id);
      });
    },

    async controlMigration(id, control) {
      if (get().migration.controlling[id] !== undefined) return;
      set((s) => ({ migration: { ...s.migration, controlling: { ...s.migration.controlling, [id]: control.action } } }));
      const r = await port.control(id, control);
      set((s) => {
        const { [id]: _done, ...rest } = s.migration.controlling;
        return { migration: { ...s.migration, controlling: rest } };
      });
      if (!r.ok) get().notifyError(r.error, 'The migration did not take the change');
    },
  };
};
