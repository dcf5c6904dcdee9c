/**
 * The prediction: will this migration converge, how long, how much downtime, how many passes, how much data, and
 * what is the smallest change that makes a failing run converge. Pure and fast: the dialog runs it for the options on
 * screen and for every profile on each field change.
 *
 * The model (simulatePrecopy in predict-sim.ts) follows what QEMU 7.2 does, pass by pass:
 * - The first pass sends the guest's non-zero memory (`firstPassBytes`); every later pass re-sends what the guest
 *   wrote while the previous one was on the wire: min(working set, write speed x (1 - throttle) x pass time).
 *   Both a working set and a write speed are needed: on the lab, vmd (20 MiB hot set) never converged at 8 or
 *   16 MiB/s and did at 32 MiB/s in 6.7 s; a dirty-rate-only model calls 16 convergent, a working-set-only model
 *   (20 MiB in 300 ms = 67 MiB/s) calls 32 non-convergent.
 * - QEMU's threshold is bandwidth x max downtime (migration.c). It syncs the dirty bitmap the first time what is left
 *   drops below it, so a pass ends with up to one send-chunk (100 ms of the cap) unsent; that leftover joins what
 *   was dirtied. If the result is below the threshold the guest stops; the final stage runs with the rate limit
 *   lifted, so the downtime is what is left at the link's speed plus the device state (DEVICE_STATE_MS, lab 36-45 ms).
 * - Leftover and freshly written pages overlap by chance (independent draws from the working set): a page already
 *   pending is not sent twice. This is why a guest writing exactly at the bandwidth still converges, slowly.
 * - Auto-converge as ram.c does it: at a bitmap sync at least 1 s after the last counted one, the period counts
 *   when it dirtied more than 50 % of what it sent; every second counting period throttles: first to the initial
 *   percentage (20), then + the increment (10), at most 99. The throttle scales the write speed. The lab's vmd at
 *   8 MiB/s was throttled at passes 4, 6, ... 20 exactly as this rule says; it converged only at 99 % (pass 30),
 *   while the model, writing at a steady speed, converges once the throttled speed is low enough (pass ~20): the
 *   guest's dd writes in bursts with 1 s pauses, which a steady write speed does not capture.
 * - Post-copy after pre-copy: the switch comes after pass 1; the pause is the device state, and the rest moves at
 *   the post-copy cap or, without one, the link (QEMU lifts the limit for post-copy).
 * - A run still going after 10 simulated minutes, or whose remaining data stops falling with nothing left to change
 *   it (no throttle to raise), never converges.
 * - Without --live libvirt pauses the guest before the copy: nothing is dirtied and the whole copy is downtime. An
 *   offline migration copies no memory.
 * - --timeout: at that time the guest is paused (the copy then finishes at the cap without new writes, all of it
 *   downtime) or switched to post-copy.
 * Not modelled: compression, parallel connections, disk copy, a manual post-copy switch.
 *
 * Ranges: the model runs at the point values and at the two corners of the inputs' ranges (pessimistic: big working
 * set, fast writes, big first pass, slow link, slow setup; optimistic: the opposite). Each figure's range spans the
 * runs that end; the call is `yes` when all end, `no` when none does, `uncertain` otherwise (naming the input that
 * decides, found by moving one input at a time).
 */
import { validateMigrationOptions, type MigrationOptions } from './options';
import type {
  Estimate,
  OptionChange,
  PredictedChange,
  PredictedOutcome,
  PredictedRange,
  Prediction,
  PredictionInputs,
} from './predict-schema';
import {
  AUTO_CONVERGE_INCREMENT_DEFAULT,
  AUTO_CONVERGE_INITIAL_DEFAULT,
  MiB,
  simulatePrecopy,
  type SimParams,
  type SimResult,
} from './predict-sim';

export { DEVICE_STATE_MS, MiB, simulatePrecopy, type SimParams, type SimResult } from './predict-sim';

/** libvirt's default max downtime, ms. */
export const DEFAULT_MAX_DOWNTIME_MS = 300;
/** Time before memory moves when no earlier run says, ms (lab: the first data ~1 s after the start). */
export const DEFAULT_SETUP_MS = 1000;
/** The longest max downtime offered as a remedy, ms: beyond this a pause is an outage, not a blip. */
export const MAX_DOWNTIME_OFFER_MS = 2000;
/** The highest cap searched when the link's speed is not known, MiB/s (10 GbE is ~1,190 MiB/s). */
const UNKNOWN_LINK_SEARCH_MiBps = 1200;

const NEEDED = ['workingSetBytes', 'writeBytesPerSecond', 'firstPassBytes'] as const;
type Corner = 'point' | 'pessimistic' | 'optimistic';
type InputKey = (typeof NEEDED)[number] | 'linkBytesPerSecond';

/** The three values the model runs each input at. */
interface Known {
  readonly workingSet: Estimate;
  readonly write: Estimate;
  readonly firstPass: Estimate;
  readonly link?: Estimate;
  readonly setup?: Estimate;
}

const known = (e: Estimate | undefined): e is Estimate => e !== undefined && e.source !== 'unknown';

/** Which inputs are missing for these options (a cap stands in for an unknown link). */
export function missingInputs(inputs: PredictionInputs, options: MigrationOptions): string[] {
  const missing: string[] = NEEDED.filter((k) => !known(inputs[k]));
  const link = inputs.linkBytesPerSecond;
  if (options.bandwidthMiBps === undefined && !(known(link) && link.value > 0)) missing.push('linkBytesPerSecond');
  return missing;
}

function pick(e: Estimate | undefined, corner: Corner, worseIsHigh: boolean): number | undefined {
  if (!known(e)) return undefined;
  if (corner === 'point') return e.value;
  const worst = corner === 'pessimistic';
  return worst === worseIsHigh ? e.high : e.low;
}

/** The simulation's parameters at one corner, with one input optionally moved to another corner. */
function paramsAt(k: Known, options: MigrationOptions, corner: Corner, override?: { key: InputKey; corner: Corner }): SimParams {
  const at = (key: InputKey) => (override?.key === key ? override.corner : corner);
  const link = pick(k.link, at('linkBytesPerSecond'), false);
  const cap = options.bandwidthMiBps !== undefined ? options.bandwidthMiBps * MiB : undefined;
  const bandwidth = cap !== undefined ? Math.min(cap, link ?? cap) : (link ?? 1);
  const ac = options.autoConverge === true
    ? { initialPercent: options.autoConvergeInitial ?? AUTO_CONVERGE_INITIAL_DEFAULT, incrementPercent: options.autoConvergeIncrement ?? AUTO_CONVERGE_INCREMENT_DEFAULT }
    : undefined;
  return {
    firstPassBytes: pick(k.firstPass, at('firstPassBytes'), true) ?? 0,
    workingSetBytes: pick(k.workingSet, at('workingSetBytes'), true) ?? 0,
    writeBytesPerSecond: pick(k.write, at('writeBytesPerSecond'), true) ?? 0,
    bandwidthBytesPerSecond: bandwidth,
    ...(link !== undefined ? { linkBytesPerSecond: link } : {}),
    capped: cap !== undefined && (link === undefined || cap < link),
    maxDowntimeMs: options.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS,
    setupMs: pick(k.setup, corner, true) ?? DEFAULT_SETUP_MS,
    ...(ac ? { autoConverge: ac } : {}),
    ...(options.postcopyAfterPrecopy === true ? { postcopyAfterPrecopy: true } : {}),
    ...(options.postcopyBandwidthMiBps !== undefined ? { postcopyBytesPerSecond: options.postcopyBandwidthMiBps * MiB } : {}),
    ...(options.live !== true ? { paused: true } : {}),
    ...(options.timeoutSec !== undefined && options.live === true ? { timeout: { seconds: options.timeoutSec, action: options.timeoutAction ?? 'suspend' } } : {}),
  };
}

interface Evaluation {
  readonly outcome: PredictedOutcome;
  readonly point: SimResult;
  readonly pessimistic: SimResult;
  readonly optimistic: SimResult;
  readonly params: SimParams;
}

function range(runs: readonly SimResult[], point: SimResult, f: (r: SimResult) => number): PredictedRange | undefined {
  const ended = runs.filter((r) => r.converged);
  if (ended.length === 0) return undefined;
  const values = ended.map(f);
  const low = Math.min(...values);
  const high = Math.max(...values);
  return { value: point.converged ? f(point) : high, low, high };
}

function evaluate(k: Known, options: MigrationOptions): Evaluation {
  const params = paramsAt(k, options, 'point');
  const point = simulatePrecopy(params);
  const pessimistic = simulatePrecopy(paramsAt(k, options, 'pessimistic'));
  const optimistic = simulatePrecopy(paramsAt(k, options, 'optimistic'));
  const runs = [point, pessimistic, optimistic];
  const ending = runs.filter((r) => r.converged).length;
  const converges = ending === runs.length ? 'yes' : ending === 0 ? 'no' : 'uncertain';
  const total = range(runs, point, (r) => r.totalMs);
  const downtime = range(runs, point, (r) => r.downtimeMs);
  const passes = range(runs, point, (r) => r.passes);
  const data = converges === 'no'
    ? { value: point.dataBytes, low: Math.min(...runs.map((r) => r.dataBytes)), high: Math.max(...runs.map((r) => r.dataBytes)) }
    : range(runs, point, (r) => r.dataBytes);
  const throttle = Math.max(...runs.map((r) => r.throttlePercent));
  const outcome: PredictedOutcome = {
    converges,
    ending: point.ending,
    ...(total ? { totalTimeMs: total } : {}),
    ...(downtime ? { downtimeMs: downtime } : {}),
    ...(passes ? { passes } : {}),
    ...(data ? { dataBytes: data } : {}),
    ...(throttle > 0 ? { throttlePercent: throttle } : {}),
  };
  return { outcome, point, pessimistic, optimistic, params };
}

function knownInputs(inputs: PredictionInputs): Known | undefined {
  const { workingSetBytes: workingSet, writeBytesPerSecond: write, firstPassBytes: firstPass } = inputs;
  if (!known(workingSet) || !known(write) || !known(firstPass)) return undefined;
  return {
    workingSet,
    write,
    firstPass,
    ...(known(inputs.linkBytesPerSecond) && inputs.linkBytesPerSecond.value > 0 ? { link: inputs.linkBytesPerSecond } : {}),
    ...(known(inputs.setupMs) ? { setup: inputs.setupMs } : {}),
  };
}

// ---- words ------------------------------------------------------------------------------------------------------

/** What only the VM's own runs (or a trial of it) tell. */
const GUEST_PARTS: readonly InputKey[] = ['workingSetBytes', 'writeBytesPerSecond', 'firstPassBytes'];

const INPUT_WORDS: Readonly<Record<InputKey, string>> = {
  workingSetBytes: 'the working set',
  writeBytesPerSecond: "the guest's write speed",
  firstPassBytes: 'the first-pass size',
  linkBytesPerSecond: 'the link speed',
};

function mib(bytes: number): string {
  const m = bytes / MiB;
  return m >= 10 ? `${Math.round(m)}` : m >= 1 ? m.toFixed(1).replace(/\.0$/, '') : m.toFixed(2).replace(/0$/, '');
}
const mibs = (bytesPerSecond: number) => `${mib(bytesPerSecond)} MiB/s`;

function secs(ms: number): string {
  const s = ms / 1000;
  if (s >= 120) return `${Math.round(s / 60)} min`;
  return s >= 10 ? `${Math.round(s)} s` : `${s.toFixed(1).replace(/\.0$/, '')} s`;
}
function secsRange(r: PredictedRange): string {
  const lo = secs(r.low);
  const hi = secs(r.high);
  if (lo === hi) return `about ${secs(r.value)}`;
  const unit = (x: string) => x.replace(/^[\d.]+ /, '');
  const num = (x: string) => x.replace(/ .*$/, '');
  return unit(lo) === unit(hi) ? `about ${secs(r.value)} (${num(lo)}-${hi})` : `about ${secs(r.value)} (${lo} to ${hi})`;
}
const msText = (ms: number) => `${Math.round(ms)} ms`;

function inputWords(key: InputKey, e: Estimate): string {
  const unit = key === 'writeBytesPerSecond' || key === 'linkBytesPerSecond' ? ' MiB/s' : ' MiB';
  return `${INPUT_WORDS[key]} (${mib(e.low)}-${mib(e.high)}${unit})`;
}

function physics(k: Known, ev: Evaluation): string {
  const p = ev.params;
  const thresholdBytes = (p.bandwidthBytesPerSecond * p.maxDowntimeMs) / 1000;
  const moves = `${mibs(p.bandwidthBytesPerSecond)} moves ${mib(thresholdBytes)} MiB within ${msText(p.maxDowntimeMs)}`;
  const later = ev.point.log.slice(1);
  const last = later.at(-1);
  if (!last) return `the first pass sends ${mib(p.firstPassBytes)} MiB; ${moves}`;
  // What a pass re-sends includes what was still unsent at the check, so it can exceed the working set itself.
  return `each pass re-sends ~${mib(last.startBytes)} MiB (the guest keeps a ${mib(p.workingSetBytes)} MiB working set, written at ${mibs(k.write.value)}); ${moves}`;
}

/** Which input alone decides between converging and not, and the value where it flips (for `uncertain`). */
function decidingInput(k: Known, options: MigrationOptions): { key: InputKey; words: string } | undefined {
  const keys: InputKey[] = ['writeBytesPerSecond', 'workingSetBytes', 'linkBytesPerSecond', 'firstPassBytes'];
  for (const key of keys) {
    if (key === 'linkBytesPerSecond' && !k.link) continue;
    const lo = simulatePrecopy(paramsAt(k, options, 'point', { key, corner: 'optimistic' })).converged;
    const hi = simulatePrecopy(paramsAt(k, options, 'point', { key, corner: 'pessimistic' })).converged;
    if (lo !== hi) {
      const e = key === 'writeBytesPerSecond' ? k.write : key === 'workingSetBytes' ? k.workingSet : key === 'firstPassBytes' ? k.firstPass : k.link;
      return e ? { key, words: inputWords(key, e) } : undefined;
    }
  }
  return undefined;
}

function sentence(k: Known, options: MigrationOptions, ev: Evaluation): string {
  const o = ev.outcome;
  const pt = ev.point;
  if (pt.ending === 'post-copy') {
    const switchMs = ev.params.setupMs + pt.log.reduce((sum, l) => sum + l.seconds, 0) * 1000;
    const total = o.totalTimeMs ? secsRange(o.totalTimeMs) : 'an unknown time';
    const when = pt.stop === 'timeout-postcopy' ? 'at the --timeout' : 'after the first pass';
    return `Switches to post-copy ${when} (about ${secs(switchMs)}), done in ${total}, pause about ${msText(pt.downtimeMs)}; if the network fails during post-copy the guest is lost.`;
  }
  if (ev.params.paused === true && o.totalTimeMs && o.downtimeMs) {
    return `Not live: the guest is paused for the whole copy, ${secsRange(o.downtimeMs)}, done in ${secsRange(o.totalTimeMs)} (${mib(ev.params.firstPassBytes)} MiB at ${mibs(ev.params.bandwidthBytesPerSecond)}).`;
  }
  if (pt.stop === 'timeout-suspend' && o.totalTimeMs && o.downtimeMs) {
    return `The --timeout pauses the guest after ${secs((ev.params.timeout?.seconds ?? 0) * 1000)} and the copy finishes with it paused: done in ${secsRange(o.totalTimeMs)}, downtime ${secsRange(o.downtimeMs)}: ${physics(k, ev)}.`;
  }
  let atPoint: string;
  if (!pt.converged) {
    const throttled = pt.throttlePercent > 0 ? ` even with the throttle at ${pt.throttlePercent} %` : '';
    atPoint = `${o.converges === 'no' ? 'Does not converge' : 'does not converge'}${throttled}`;
  } else {
    const total = o.totalTimeMs ? secsRange(o.totalTimeMs) : '';
    const down = o.downtimeMs ? `downtime about ${msText(o.downtimeMs.value)}` : '';
    const how = pt.ending === 'auto-converge' ? ` with auto-converge (throttle up to ${pt.throttlePercent} %)` : '';
    atPoint = `${o.converges === 'yes' ? 'Converges' : 'converges'}${how} in ${total}, ${down}`;
  }
  if (o.converges === 'uncertain') {
    const d = decidingInput(k, options);
    const decides = d ? `it depends on ${d.words}` : 'it depends on where the inputs fall in their ranges';
    return `May not converge, ${decides}; at the likeliest values it ${atPoint}: ${physics(k, ev)}.`;
  }
  return `${atPoint}: ${physics(k, ev)}.`;
}

// ---- the answers ------------------------------------------------------------------------------------------------

export function predict(inputs: PredictionInputs, options: MigrationOptions): Prediction {
  if (options.offline === true) return offline();
  const missing = missingInputs(inputs, options);
  const k = knownInputs(inputs);
  if (missing.length > 0 || !k) return cannotPredict(inputs, missing);
  const ev = evaluate(k, options);
  const changes = changesFor(k, options, ev);
  let text = sentence(k, options, ev);
  const capNote = ev.outcome.converges !== 'yes' ? linkNote(k, options, changes) : undefined;
  if (capNote) text = `${text} ${capNote}`;
  return { kind: 'predicted', outcome: ev.outcome, sentence: text, changes };
}

/** An offline migration moves only the definition: nothing to predict but that. */
function offline(): Prediction {
  const zero = { value: 0, low: 0, high: 0 };
  return {
    kind: 'predicted',
    outcome: { converges: 'yes', ending: 'pre-copy', downtimeMs: zero, passes: zero, dataBytes: zero },
    sentence: 'Offline: only the definition moves; no memory is copied and the guest does not pause.',
    changes: [],
  };
}

function cannotPredict(inputs: PredictionInputs, missing: string[]): Prediction {
  const guestParts = missing.filter((m) => m !== 'linkBytesPerSecond');
  const parts: string[] = [];
  if (guestParts.length > 0) {
    // Runs of other VMs on the route (they tell the link) are basis runs too: with every guest part missing, none of
    // them was this VM's own.
    const noneOwn = inputs.basisRunIds.length === 0 || guestParts.length === GUEST_PARTS.length;
    parts.push(
      noneOwn
        ? `no history for ${inputs.vm}; run a trial pre-copy or migrate it once`
        : `the history of ${inputs.vm} does not tell ${guestParts.map((m) => INPUT_WORDS[m as InputKey]).join(', ')}; run a trial pre-copy`,
    );
  }
  if (missing.includes('linkBytesPerSecond')) parts.push('the link speed is not known; set a bandwidth cap or run the path check');
  return { kind: 'cannot-predict', missing, message: `Cannot predict: ${parts.join('; and ')}.` };
}

/** When no cap within the link converges, the sentence says so instead of offering one. */
function linkNote(k: Known, options: MigrationOptions, changes: readonly PredictedChange[]): string | undefined {
  if (changes.some((c) => c.change.bandwidthMiBps !== undefined)) return undefined;
  if (!k.link) return undefined;
  if (options.bandwidthMiBps === undefined || options.bandwidthMiBps * MiB < k.link.low) {
    return `No bandwidth the link can carry (up to ${mibs(k.link.low)}) makes it converge.`;
  }
  return undefined;
}

/**
 * The smallest changes that make a run converge, cheapest first. The order is by what each costs the admin and the
 * guest: a higher cap within the link only takes more of a link the run already uses; a longer max downtime is a
 * longer pause once, at the end; auto-converge slows the guest's vCPUs (up to 99 %) for many seconds; post-copy
 * risks the guest itself (if the network fails during post-copy neither side has all of its memory).
 */
export function smallestChanges(inputs: PredictionInputs, options: MigrationOptions): PredictedChange[] {
  const k = knownInputs(inputs);
  if (!k || missingInputs(inputs, options).length > 0) return [];
  return changesFor(k, options, evaluate(k, options));
}

/** Ended by converging (or post-copy), not by the --timeout pausing the guest for the rest of the copy. */
const endsWell = (r: SimResult): boolean => r.converged && r.stop !== 'timeout-suspend';
const runsOf = (ev: Evaluation) => [ev.point, ev.pessimistic, ev.optimistic];
/** Whether a remedy is wanted: some corner does not converge, or the --timeout pauses the guest somewhere. */
const needsChange = (ev: Evaluation): boolean => !runsOf(ev).every(endsWell);

const convergesEverywhere = (k: Known, options: MigrationOptions): boolean =>
  (['pessimistic', 'point', 'optimistic'] as const).every((c) => endsWell(simulatePrecopy(paramsAt(k, options, c))));

/** The smallest whole value in [lo, hi] for which ok() holds, assuming ok is monotone; undefined if hi fails. */
function smallestWhole(lo: number, hi: number, ok: (x: number) => boolean): number | undefined {
  if (lo > hi || !ok(hi)) return undefined;
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = Math.floor((a + b) / 2);
    if (ok(mid)) b = mid;
    else a = mid + 1;
  }
  // The rounding of send-chunks makes convergence only nearly monotone: step down while a smaller value still works.
  while (b > lo && ok(b - 1)) b--;
  return b;
}

function changesFor(k: Known, options: MigrationOptions, current: Evaluation): PredictedChange[] {
  if (!needsChange(current)) return [];
  const out: PredictedChange[] = [];
  const with_ = (change: OptionChange): MigrationOptions => ({ ...options, ...change });
  // A remedy libvirt would refuse with the rest of the options (post-copy with parallel connections) is no remedy;
  // errors the options already have are not the remedy's.
  const errorsOf = (o: MigrationOptions) => validateMigrationOptions(o).filter((e) => e.severity === 'error').map((e) => e.message);
  const before = new Set(errorsOf(options));
  const allowed = (change: OptionChange) => errorsOf(with_(change)).every((m) => before.has(m));

  // A higher cap, while the link (at its slowest) can carry it.
  const linkMiB = k.link ? Math.floor(k.link.low / MiB) : UNKNOWN_LINK_SEARCH_MiBps;
  if (options.bandwidthMiBps !== undefined && options.bandwidthMiBps < linkMiB) {
    const cap = smallestWhole(options.bandwidthMiBps + 1, linkMiB, (x) => convergesEverywhere(k, with_({ bandwidthMiBps: x })));
    if (cap !== undefined) {
      const ev = evaluate(k, with_({ bandwidthMiBps: cap }));
      const maxDown = options.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS;
      const unknownLink = k.link ? '' : ` (if the link carries ${cap} MiB/s: its speed is not known)`;
      out.push({
        change: { bandwidthMiBps: cap },
        label: `At ${cap} MiB/s: ${timeWords(ev)}, downtime about ${msText(ev.point.downtimeMs)} (under ${msText(maxDown)})${unknownLink}.`,
        outcome: ev.outcome,
      });
    }
  }

  // A longer max downtime, up to a pause that is still a blip.
  const currentDown = options.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS;
  if (currentDown < MAX_DOWNTIME_OFFER_MS) {
    const ms = smallestWhole(Math.ceil((currentDown + 1) / 10), MAX_DOWNTIME_OFFER_MS / 10, (x) => convergesEverywhere(k, with_({ maxDowntimeMs: x * 10 })));
    if (ms !== undefined) {
      const ev = evaluate(k, with_({ maxDowntimeMs: ms * 10 }));
      out.push({
        change: { maxDowntimeMs: ms * 10 },
        label: `Max downtime ${ms * 10} ms: ${timeWords(ev)}; the guest pauses about ${msText(ev.point.downtimeMs)} at the end (at most ${ms * 10} ms).`,
        outcome: ev.outcome,
      });
    }
  }

  if (options.autoConverge !== true && allowed({ autoConverge: true })) {
    const ev = evaluate(k, with_({ autoConverge: true }));
    if (runsOf(ev).some(endsWell)) {
      const when = ev.point.throttleReachedMs !== undefined ? ` after about ${secs(ev.point.throttleReachedMs)}` : '';
      out.push({
        change: { autoConverge: true },
        label: `Auto-converge: slows the guest's vCPUs up to ${ev.point.throttlePercent} % (reached${when}), ${timeWords(ev)}, downtime about ${msText(ev.point.downtimeMs)}.`,
        outcome: ev.outcome,
      });
    }
  }

  if (options.postcopyAfterPrecopy !== true && allowed({ postcopy: true, postcopyAfterPrecopy: true })) {
    const ev = evaluate(k, with_({ postcopy: true, postcopyAfterPrecopy: true }));
    if (runsOf(ev).some(endsWell)) {
      out.push({
        change: { postcopy: true, postcopyAfterPrecopy: true },
        label: `Post-copy after the first pass: ${timeWords(ev)}, pause about ${msText(ev.point.downtimeMs)}; if the network fails during post-copy the guest is lost.`,
        outcome: ev.outcome,
      });
    }
  }
  return out;
}

function timeWords(ev: Evaluation): string {
  const t = ev.outcome.totalTimeMs;
  if (!t) return 'does not end';
  const words = secsRange(t);
  return ev.outcome.converges === 'yes' ? words : `${words} where it ends (it may not)`;
}
