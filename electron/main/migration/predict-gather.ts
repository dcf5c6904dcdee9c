/**
 * Gathers a prediction's inputs for {vm, source, destination}: the domain's memory and virt type on the source
 * (`virsh dominfo`, `<domain type=...>` of `virsh dumpxml`), the VM's newest runs in the journal and the runs between
 * the same two hosts (estimated by shared/migration/predict-inputs.ts), and on KVM domains only a page-sampling
 * `domdirtyrate-calc`, read back with `domstats --dirtyrate` and judged against history. Reads only; a part that
 * cannot be known stays absent and a note says why. Also the `ferry.migrations.predictInputs` channel over it.
 */
import { err, ok, type Result } from '../../../shared/result';
import { ferryError, type FerryError } from '../../../shared/errors';
import { virshDominfo } from '../../../shared/commands';
import { dumpxmlMigratable } from '../../../shared/commands/preflight';
import { virshDirtyRateCalc, virshDomstatsDirtyRate } from '../../../shared/commands/dirtyrate';
import { ethtoolSettings, ipRouteGet } from '../../../shared/commands/network';
import { migrationsPredictInputs } from '../../../shared/ipc/contract';
import type { HostView } from '../../../shared/inventory/types';
import type { PredictionInputs } from '../../../shared/migration/predict-schema';
import { mayCalcDirtyRate } from '../../../shared/parsers/virsh-dirtyrate';
import {
  combineRuns,
  estimateFromRun,
  HISTORY_MAX_AGE_MS,
  HISTORY_MAX_RUNS,
  judgeDirtyRate,
  linkWithNic,
  type EstimatorRun,
  type RunEstimates,
} from '../../../shared/migration/predict-inputs';
import type { IpcHandlers } from '../ipc/handlers';
import { runCommand, type CommandRunner } from '../remote/run-command';
import { verdictContext } from './handlers';
import type { MigrationRecord } from './record';
import { resolveRoute } from './route';

/** How long page-sampling measures, s: QEMU samples pages over this period. */
const DIRTYRATE_SECONDS = 1;
/** Reads of `domstats --dirtyrate` while the measurement has not finished. */
const DIRTYRATE_READS = 3;

export interface PredictGatherInput {
  readonly vm: string;
  readonly sourceHostId: string;
  readonly destinationHostId: string;
  /** Where the source reaches the destination: the NIC on that route bounds the link. */
  readonly destinationAddress?: string;
}

/** The journal as the gatherer reads it: heads listed (samples left out), the few runs used read whole. */
export interface PredictHistory {
  heads(): Promise<readonly MigrationRecord[]>;
  readRecord(id: string): Promise<MigrationRecord | undefined>;
}

export interface PredictGatherDeps {
  readonly history: PredictHistory;
  /** Runs commands on the source host (where the domain is). */
  readonly source: CommandRunner;
  /** Wall clock, ms since the epoch. */
  readonly now: number;
  /** Waits while QEMU measures the dirty rate (tests pass one that does not wait). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

const ENDED_WITH_DATA = new Set(['completed', 'failed', 'aborted']);

/** A journalled run as the estimator reads it (the cap in force at its end: the options', then the controls'). */
export function estimatorRun(rec: MigrationRecord): EstimatorRun | undefined {
  const s = rec.start;
  if (!s) return undefined;
  const { bandwidthMiBps, maxDowntimeMs } = verdictContext(rec);
  return {
    id: rec.id,
    vm: s.vm,
    sourceHostId: s.source.id,
    destinationHostId: s.destination.id,
    startedAt: rec.startedAt ?? rec.samples[0]?.at ?? 0,
    ...(bandwidthMiBps !== undefined ? { bandwidthMiBps } : {}),
    ...(maxDowntimeMs !== undefined ? { maxDowntimeMs } : {}),
    samples: rec.samples,
    ...(rec.end?.state === 'completed' && rec.end.final?.info ? { final: rec.end.final.info } : {}),
  };
}

/** The newest runs of the VM and of the route among the heads, read whole and estimated (at most a few of each). */
async function historyEstimates(input: PredictGatherInput, deps: PredictGatherDeps, notes: string[]): Promise<RunEstimates[]> {
  let heads: readonly MigrationRecord[];
  try {
    heads = await deps.history.heads();
  } catch (e) {
    notes.push(`The migration history could not be read (${e instanceof Error ? e.message : String(e)}): nothing from earlier runs.`);
    return [];
  }
  const usable = heads
    .filter((h) => h.start && ENDED_WITH_DATA.has(h.state) && deps.now - (h.startedAt ?? 0) <= HISTORY_MAX_AGE_MS)
    .sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0));
  const ofVm = usable.filter((h) => h.start?.vm === input.vm).slice(0, HISTORY_MAX_RUNS);
  const ofRoute = usable
    .filter((h) => h.start?.vm !== input.vm && h.start?.source.id === input.sourceHostId && h.start.destination.id === input.destinationHostId)
    .slice(0, HISTORY_MAX_RUNS);
  const out: RunEstimates[] = [];
  for (const head of [...ofVm, ...ofRoute]) {
    const rec = await deps.history.readRecord(head.id);
    const run = rec ? estimatorRun(rec) : undefined;
    if (run) out.push(rec?.start?.purpose === 'trial' ? trialEstimates(run) : estimateFromRun(run, 'history'));
  }
  return out;
}

/**
 * A trial's estimates, named as a trial's on screen. Its limits are Ferry's, not the network's: the 1 ms max downtime
 * only keeps it from switching over (no estimate reads it), and its cap was picked low to keep it cheap, so a trial
 * that ran at its cap says nothing of the link the admin would migrate over (the model would read the cap as the
 * link's ceiling). One that ran below its cap measured the link itself, and counts.
 */
export function trialEstimates(run: EstimatorRun): RunEstimates {
  const e = estimateFromRun(run, 'trial');
  if (!e.capLimited) return e;
  const { throughputBytesPerSecond: _cap, ...rest } = e;
  return { ...rest, capLimited: false };
}

interface DomainFacts {
  readonly memoryBytes?: number;
  readonly type?: string;
}

async function domainFacts(vm: string, deps: PredictGatherDeps, notes: string[]): Promise<DomainFacts> {
  const opts = deps.signal ? { signal: deps.signal } : {};
  const info = await runCommand(deps.source, virshDominfo(vm), opts);
  const xmlCmd = dumpxmlMigratable(vm);
  const xml = xmlCmd.ok ? await runCommand(deps.source, xmlCmd.value, opts) : xmlCmd;
  const kib = info.ok ? (info.value.maxMemoryKiB ?? info.value.usedMemoryKiB) : xml.ok ? xml.value.definition.memoryKiB : undefined;
  if (!info.ok && !xml.ok) notes.push(`The domain's memory is not known: ${info.error.message}`);
  if (!xml.ok) notes.push(`The domain's virt type is not known (${xml.error.message}): no dirty-rate measurement.`);
  return { ...(kib !== undefined ? { memoryBytes: kib * 1024 } : {}), ...(xml.ok ? { type: xml.value.definition.virtType } : {}) };
}

/** `domdirtyrate-calc --mode page-sampling`, then `domstats --dirtyrate` once the period is over (KVM only: checked by the caller). */
async function measureDirtyRate(vm: string, deps: PredictGatherDeps) {
  const opts = deps.signal ? { signal: deps.signal } : {};
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const calc = virshDirtyRateCalc(vm, DIRTYRATE_SECONDS);
  if (!calc.ok) return calc;
  const started = await runCommand(deps.source, calc.value, opts);
  if (!started.ok) return started;
  const read = virshDomstatsDirtyRate(vm);
  if (!read.ok) return read;
  let last: Result<{ mibPerSecond: number; mode: string; periodS?: number }, FerryError> = err(ferryError('libvirt.error', 'No dirty-rate reading.'));
  for (let k = 0; k < DIRTYRATE_READS; k++) {
    await sleep(DIRTYRATE_SECONDS * 1000 + 200);
    last = await runCommand(deps.source, read.value, opts);
    // Only "not finished yet" is worth another read.
    if (last.ok || !/has not finished/.test(last.error.message)) return last;
  }
  return last;
}

/** The source's NIC on the route to the destination and its speed (`ip route get`, `ethtool`); undefined when unknown. */
async function routeNic(address: string, deps: PredictGatherDeps, notes: string[]): Promise<{ iface: string; megabitsPerSecond: number } | undefined> {
  const opts = deps.signal ? { signal: deps.signal } : {};
  const routeCmd = ipRouteGet(address);
  const route = routeCmd.ok ? await runCommand(deps.source, routeCmd.value, opts) : routeCmd;
  if (!route.ok) {
    notes.push(`The route to ${address} is not known (${route.error.message}): the link's speed comes from history only.`);
    return undefined;
  }
  const ethCmd = ethtoolSettings(route.value.dev);
  const eth = ethCmd.ok ? await runCommand(deps.source, ethCmd.value, opts) : ethCmd;
  if (!eth.ok || eth.value.speed?.known !== true) {
    notes.push(`${route.value.dev}'s speed is not known${eth.ok ? ' (ethtool reports none)' : ` (${eth.error.message})`}: the link's speed comes from history only.`);
    return undefined;
  }
  return { iface: route.value.dev, megabitsPerSecond: eth.value.speed.megabitsPerSecond };
}

export async function gatherPredictionInputs(input: PredictGatherInput, deps: PredictGatherDeps): Promise<PredictionInputs> {
  const notes: string[] = [];
  const domain = await domainFacts(input.vm, deps, notes);
  const runs = await historyEstimates(input, deps, notes);
  const combined = combineRuns(runs, { ...input, ...(domain.memoryBytes !== undefined ? { memoryBytes: domain.memoryBytes } : {}) }, deps.now);
  let inputs: PredictionInputs = { ...combined, notes: [...notes, ...combined.notes] };
  if (domain.memoryBytes !== undefined) {
    const m = domain.memoryBytes;
    inputs = { ...inputs, memoryBytes: { value: m, low: m, high: m, source: 'domain', basis: `virsh dominfo on the source: ${Math.round(m / 1048576)} MiB.` } };
  }
  const nic = input.destinationAddress === undefined ? undefined : await routeNic(input.destinationAddress, deps, notes);
  if (nic) {
    const route = runs.filter((r) => r.sourceHostId === input.sourceHostId && r.destinationHostId === input.destinationHostId);
    const lowerBoundOnly = route.length > 0 && route.every((r) => r.capLimited);
    inputs = { ...inputs, linkBytesPerSecond: linkWithNic(inputs.linkBytesPerSecond, lowerBoundOnly, nic) };
  }
  if (!runs.some((r) => r.vm === input.vm)) {
    inputs = { ...inputs, notes: [...inputs.notes, `No earlier run of ${input.vm} in the journal: its working set and write speed are not known (run a trial pre-copy or migrate it once).`] };
  }
  if (domain.type !== undefined && !mayCalcDirtyRate(domain.type)) {
    inputs = { ...inputs, notes: [...inputs.notes, `${input.vm} runs under ${domain.type === 'qemu' ? 'TCG' : domain.type} (<domain type='${domain.type}'>): domdirtyrate-calc is run on KVM domains only.`] };
  } else if (mayCalcDirtyRate(domain.type)) {
    const reading = await measureDirtyRate(input.vm, deps);
    if (!reading.ok) {
      inputs = { ...inputs, notes: [...inputs.notes, `The dirty-rate measurement gave nothing usable: ${reading.error.message}`] };
    } else {
      const judged = judgeDirtyRate(reading.value, inputs.writeBytesPerSecond);
      if (judged.use && !inputs.writeBytesPerSecond) inputs = { ...inputs, writeBytesPerSecond: judged.use };
      if (judged.note) inputs = { ...inputs, notes: [...inputs.notes, judged.note] };
    }
  }
  return inputs;
}

export interface PredictHandlerDeps {
  readonly history: PredictHistory;
  readonly hosts: () => readonly HostView[];
  /** A runner on a host (the source: where the domain is). */
  readonly runner: (host: HostView) => CommandRunner;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export function predictHandlers(d: PredictHandlerDeps): Pick<IpcHandlers, typeof migrationsPredictInputs.id> {
  return {
    [migrationsPredictInputs.id]: async (input) => {
      const route = resolveRoute(d.hosts(), input.sourceHostId, input.destinationHostId);
      if (!route.ok) return route;
      const { source, destination } = route.value;
      return ok(
        await gatherPredictionInputs({ ...input, destinationAddress: destination.record.address }, {
          history: d.history,
          source: d.runner(source),
          now: (d.now ?? Date.now)(),
          ...(d.sleep ? { sleep: d.sleep } : {}),
        }),
      );
    },
  };
}
