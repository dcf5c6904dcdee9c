/**
 * The plan to empty a host, made in main: the inventory's views, each VM's definition from the source
 * (`virsh dumpxml --migratable`), `virsh hypervisor-cpu-compare` on every destination that could take VMs (once per
 * distinct CPU definition, not per VM: a few SSH round trips however many guests share a CPU model), the prediction
 * of each VM to each such destination under every profile (the migrate dialog's model and recommendation), then the
 * pure placement and the queue simulation for the overall estimate. Reads only; nothing moves.
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { dumpxmlMigratable, hypervisorCpuCompare } from '../../../shared/commands/preflight';
import { planRows, type CpuFit } from '../../../shared/evacuation/placement';
import { simulateEvacuation } from '../../../shared/evacuation/schedule';
import { DEFAULT_EVACUATION_LIMITS, type EvacuationLimits, type EvacuationPlan, type PlanRow, type RowPrediction } from '../../../shared/evacuation/schema';
import type { HostView } from '../../../shared/inventory/types';
import { BUILT_IN_PROFILES, type MigrationProfile } from '../../../shared/migration/options';
import { predict } from '../../../shared/migration/predict';
import { recommendProfile } from '../../../shared/migration/predict-recommend';
import type { Prediction, PredictionInputs } from '../../../shared/migration/predict-schema';
import type { DumpedDomain } from '../../../shared/parsers/virsh-dumpxml';
import { countOf } from '../../../shared/count';
import { formatMilliseconds } from '../../../shared/units';
import { runCommand, type CommandRunner } from '../remote/run-command';
import { gatherPredictionInputs, type PredictHistory } from '../migration/predict-gather';

export interface PlannerDeps {
  readonly hosts: () => readonly HostView[];
  /** Runs commands on a host (the migrations' pool in the app). */
  readonly runner: (host: HostView) => CommandRunner;
  readonly history: PredictHistory;
  /** Built-in and the admin's profiles, as the migrate dialog lists them. */
  readonly profiles: () => readonly MigrationProfile[];
  /** Wall clock, ms since the epoch. */
  readonly now: () => number;
  /** Predictions in flight at once (each is a few virsh reads on the source). Default 4. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

/** The migrate dialog's default profile: a row without a recommendation gets what a plain migration would. */
const DEFAULT_PROFILE = BUILT_IN_PROFILES[0];

/** Runs `work` over `items`, at most `limit` at a time, results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}

/**
 * What makes two VMs' CPU checks the same question: the `<cpu>` element and what virsh is told besides it (virt
 * type, arch, machine). Anything else in the domain XML does not change libvirt's answer.
 */
export function cpuKey(dom: DumpedDomain): string {
  const cpu = /<cpu[\s>/][\s\S]*?(?:<\/cpu>|\/>)/.exec(dom.xml)?.[0] ?? '';
  const d = dom.definition;
  return JSON.stringify([d.virtType, d.arch ?? '', d.machine ?? '', cpu.replace(/\s+/g, ' ')]);
}

/** libvirt's reason without its preamble (the row already says "CPU incompatible"). */
const incompatibility = (message: string): string => /incompatible with host CPU:\s*(.+)$/.exec(message)?.[1] ?? message;

/** Can a host be offered VMs at all (the same rules placement applies; no point asking one that cannot). */
const mayReceive = (h: HostView, sourceId: string): boolean =>
  h.record.id !== sourceId && h.record.maintenance === undefined && h.connection.state === 'connected';

/**
 * The CPU verdicts by VM, then destination: each distinct CPU definition compared once on each destination.
 * A definition that cannot be read, or a comparison that fails, is 'unknown' (placement says so on the row).
 */
export async function cpuVerdicts(
  source: HostView,
  vms: readonly string[],
  destinations: readonly HostView[],
  d: PlannerDeps,
): Promise<Record<string, Record<string, CpuFit>>> {
  const opts = d.signal ? { signal: d.signal } : {};
  const dumped = await mapLimited(vms, d.concurrency ?? 4, async (vm) => {
    const cmd = dumpxmlMigratable(vm);
    return cmd.ok ? runCommand(d.runner(source), cmd.value, opts) : cmd;
  });
  const groups = new Map<string, { dom: DumpedDomain; vms: string[] }>();
  const verdicts: Record<string, Record<string, CpuFit>> = {};
  vms.forEach((vm, i) => {
    verdicts[vm] = {};
    const r = dumped[i];
    if (!r?.ok) return;
    const key = cpuKey(r.value);
    const g = groups.get(key);
    if (g) g.vms.push(vm);
    else groups.set(key, { dom: r.value, vms: [vm] });
  });
  const questions = [...groups.values()].flatMap((g) => destinations.map((h) => ({ g, h })));
  const answers = await mapLimited(questions, d.concurrency ?? 4, async ({ g, h }) => {
    const cmd = hypervisorCpuCompare(g.dom.definition, g.dom.xml);
    if (!cmd.ok) return cmd;
    return runCommand(d.runner(h), cmd.value, { ...opts, stdin: cmd.value.stdin });
  });
  questions.forEach(({ g, h }, i) => {
    const a = answers[i];
    const verdict: CpuFit = !a?.ok ? 'unknown' : a.value.verdict === 'incompatible' ? { incompatible: incompatibility(a.value.message) } : 'compatible';
    for (const vm of g.vms) (verdicts[vm] ??= {})[h.record.id] = verdict;
  });
  return verdicts;
}

/**
 * One row's prediction: the recommended profile's, as the migrate dialog would recommend it. When every profile
 * is predicted and none converges, the row will not converge with any allowed option; when none can be predicted,
 * the model's reason.
 */
export function rowPrediction(inputs: PredictionInputs, profiles: readonly MigrationProfile[]): RowPrediction {
  const candidates = profiles.map((p) => ({ id: p.id, name: p.name, prediction: predict(inputs, p.options) }));
  const rec = recommendProfile(candidates);
  const chosen = candidates.find((c) => c.id === rec.id);
  if (chosen !== undefined && chosen.prediction.kind === 'predicted') return fromPrediction(chosen.prediction, chosen.name);
  const predicted = candidates.find((c) => c.prediction.kind === 'predicted');
  if (predicted !== undefined) return { converges: 'no', text: rec.sentence };
  const first: Prediction | undefined = candidates[0]?.prediction;
  // The model's own sentence already starts "Cannot predict: ...".
  return { converges: 'uncertain', text: first?.kind === 'cannot-predict' ? first.message : rec.sentence };
}

function fromPrediction(p: Extract<Prediction, { kind: 'predicted' }>, profile: string): RowPrediction {
  const o = p.outcome;
  return {
    converges: o.converges,
    ...(o.totalTimeMs !== undefined ? { totalMs: o.totalTimeMs.value } : {}),
    ...(o.downtimeMs !== undefined ? { downtimeMs: o.downtimeMs.value } : {}),
    text: p.sentence,
    profile,
  };
}

async function predictions(
  source: HostView,
  vms: readonly string[],
  destinations: readonly HostView[],
  d: PlannerDeps,
): Promise<Record<string, Record<string, RowPrediction>>> {
  const profiles = d.profiles();
  const pairs = vms.flatMap((vm) => destinations.map((h) => ({ vm, h })));
  const now = d.now();
  const made = await mapLimited(pairs, d.concurrency ?? 4, async ({ vm, h }) => {
    try {
      const inputs = await gatherPredictionInputs(
        { vm, sourceHostId: source.record.id, destinationHostId: h.record.id, destinationAddress: h.record.address },
        { history: d.history, source: d.runner(source), now, ...(d.signal ? { signal: d.signal } : {}) },
      );
      return rowPrediction(inputs, profiles);
    } catch (e) {
      // The gatherer reads the journal too; a failure there leaves this one row unpredicted, not the plan unmade.
      return { converges: 'uncertain' as const, text: `Cannot predict: ${e instanceof Error ? e.message : String(e)}` };
    }
  });
  const out: Record<string, Record<string, RowPrediction>> = {};
  pairs.forEach(({ vm, h }, i) => {
    const p = made[i];
    if (p) (out[vm] ??= {})[h.record.id] = p;
  });
  return out;
}

/** The rows that would run, as the queue sees them. */
function slots(hostId: string, rows: readonly PlanRow[]) {
  return rows.flatMap((r) =>
    (r.action === 'live' || r.action === 'offline') && r.destinationId !== undefined
      ? [{ vm: r.vm, sourceId: hostId, destinationId: r.destinationId, ...(r.prediction?.totalMs !== undefined ? { predictedMs: r.prediction.totalMs } : {}) }]
      : [],
  );
}

/**
 * The overall estimate: the queue simulated under the limits. A row the model cannot time counts as the slowest
 * predicted one (a guess on the long side, said in the sentence); with no row timed there is no figure at all.
 */
export function estimate(hostId: string, rows: readonly PlanRow[], limits: EvacuationLimits): { estimateMs?: number; estimateText: string } {
  const queue = slots(hostId, rows);
  const under = `under ${limits.perSource} per source, ${limits.perDestination} per destination`;
  const known = queue.flatMap((s) => (s.predictedMs !== undefined ? [s.predictedMs] : []));
  const unknown = queue.length - known.length;
  const left = rows.length - queue.length;
  const leftText = left > 0 ? `; ${countOf(left, 'VM')} left on the host unless changed` : '';
  if (queue.length === 0) return { estimateText: `Nothing to move${leftText}.` };
  if (known.length === 0) return { estimateText: `No time can be predicted for the ${countOf(queue.length, 'VM')} to move${leftText}.` };
  const ms = simulateEvacuation(queue, limits, Math.max(...known));
  const unknownText = unknown > 0 ? `; ${countOf(unknown, 'VM')} cannot be predicted (counted as the slowest)` : '';
  return { estimateMs: ms, estimateText: `About ${formatMilliseconds(ms)} for ${countOf(queue.length, 'VM')} ${under}${unknownText}${leftText}.` };
}

/** The plan to empty `hostId`. Nothing moves. */
export async function planEvacuation(hostId: string, limits: EvacuationLimits | undefined, d: PlannerDeps): Promise<Result<EvacuationPlan, FerryError>> {
  const hosts = d.hosts();
  const source = hosts.find((h) => h.record.id === hostId);
  if (!source) return err(ferryError('inventory.not-found', `No such host in the inventory: ${hostId}.`));
  if (source.connection.state !== 'connected' || source.vms === undefined) {
    const why = 'reason' in source.connection ? `: ${source.connection.reason}` : '';
    return err(ferryError('ssh.unreachable', `${source.record.name} is not connected (${source.connection.state}${why}); Ferry cannot read its VMs to plan the evacuation.`));
  }
  const others = hosts.filter((h) => h.record.id !== hostId);
  const destinations = others.filter((h) => mayReceive(h, hostId));
  const vms = source.vms.map((v) => v.name);
  const running = source.vms.filter((v) => v.state !== 'shut-off').map((v) => v.name);
  const [cpu, predicted] = await Promise.all([cpuVerdicts(source, vms, destinations, d), predictions(source, running, destinations, d)]);
  const profiles = d.profiles();
  const rows = planRows({
    source,
    others,
    cpu,
    predictions: predicted,
    defaultOptions: (profiles.find((p) => p.id === DEFAULT_PROFILE?.id) ?? DEFAULT_PROFILE)?.options ?? { live: true, p2p: true },
    profiles,
  });
  const use = limits ?? DEFAULT_EVACUATION_LIMITS;
  return ok({ hostId, hostName: source.record.name, createdAt: d.now(), limits: use, rows, ...estimate(hostId, rows, use) });
}
