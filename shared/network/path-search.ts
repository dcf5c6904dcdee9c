/**
 * The path-MTU search, pure: which packet sizes to probe next (with Don't-Fragment set), given what the earlier
 * probes said. The caller runs each round's probes at once (one typed ping each) and feeds the results back.
 *
 * - Round 0 sends a small packet alone: is the destination answering at all, and what is the round trip (it sets how
 *   long the later probes wait)? Round 1 tries 1500 and the source interface's MTU. The common answers end there:
 *   the interface's MTU passes (clean), or a router announces its MTU.
 * - An announced MTU (frag-needed from a router, or the local kernel's "message too long, mtu=N" from its route
 *   cache) is taken as a hint: the next round probes N and N + 1, which brackets the answer exactly.
 * - Silence (the black-hole signature) gives no hint: each round probes lo + 1 (is the last size that passed the
 *   answer? It usually is: 1500), lo + 4 (a VLAN tag's slack: 1504) and evenly spaced sizes between, narrowing
 *   [lo, hi) by ~7x per round.
 * The search is bounded by rounds and probes; when the budget runs out the answer is the bracket, marked not exact.
 */
import type { PingResult } from '../parsers/ping';
import type { PmtuFailure, PmtuProbe, PmtuSearchReport, ProbeOutcome } from './path-report';

export const SMALL_PACKET = 84;
export const PROBES_PER_ROUND = 8;
export const MAX_ROUNDS = 7;
export const MAX_PROBES = 40;

export interface SearchState {
  /** The source interface's MTU toward the destination: nothing larger can leave with DF set. */
  readonly maxPacket: number;
  readonly round: number;
  readonly probes: readonly PmtuProbe[];
  /** The largest size that passed (undefined: none yet). */
  readonly lo?: number;
  /** The smallest size that failed (undefined: none yet). */
  readonly hi?: number;
  /** A size a router or the kernel announced, not yet probed. */
  readonly hint?: number;
}

export function startSearch(maxPacket: number): SearchState {
  return { maxPacket, round: 0, probes: [] };
}

/** What a ping said, reduced to what the search needs. */
export function probeFromPing(packetBytes: number, round: number, ping: PingResult, ttl?: number): PmtuProbe {
  const ttlFrom = ping.icmpMessages?.find((m) => /Time to live exceeded/i.test(m.message))?.from;
  let outcome: ProbeOutcome = ping.outcome;
  if (ping.outcome === 'lost' && ttlFrom !== undefined) outcome = 'ttl-exceeded';
  const probe: PmtuProbe = { packetBytes, round, outcome };
  return {
    ...probe,
    ...(ttl !== undefined ? { ttl } : {}),
    ...(ping.fragNeeded ? { from: ping.fragNeeded.router, mtu: ping.fragNeeded.mtu } : {}),
    ...(!ping.fragNeeded && ping.localErrorMtu !== undefined ? { mtu: ping.localErrorMtu } : {}),
    ...(outcome === 'ttl-exceeded' && ttlFrom !== undefined ? { from: ttlFrom } : {}),
    ...(ping.rtt ? { rttMs: ping.rtt.avgMs } : {}),
  };
}

const passed = (p: PmtuProbe) => p.outcome === 'passed';

/** The sizes to probe in the next round; empty when the search is over. */
export function nextSizes(s: SearchState): number[] {
  if (s.round === 0) return [SMALL_PACKET];
  if (done(s)) return [];
  if (s.round === 1) return [...new Set([Math.min(1500, s.maxPacket), s.maxPacket])].filter((n) => n > SMALL_PACKET);
  const lo = s.lo ?? SMALL_PACKET;
  const hi = s.hi ?? s.maxPacket + 1;
  const budget = Math.min(PROBES_PER_ROUND, MAX_PROBES - s.probes.length);
  const tried = new Set(s.probes.map((p) => p.packetBytes));
  const inside = (n: number) => n > lo && n < hi && !tried.has(n);
  const out: number[] = [];
  const add = (n: number) => {
    if (inside(n) && !out.includes(n) && out.length < budget) out.push(n);
  };
  if (s.hint !== undefined) {
    add(s.hint);
    add(s.hint + 1);
    if (out.length > 0) return out;
  }
  add(lo + 1);
  // A VLAN tag's 4 bytes: NICs and bridges often accept MTU + 4 (1504 behind a 1500 setting).
  add(lo + 4);
  const gaps = budget - out.length + 1;
  const step = (hi - (lo + 1)) / gaps;
  for (let i = 1; i < gaps; i++) add(Math.round(lo + 1 + step * i));
  return out;
}

/** Whether there is nothing left to learn (or no budget left). */
export function done(s: SearchState): boolean {
  if (s.round === 0) return false;
  const small = s.probes.find((p) => p.packetBytes === SMALL_PACKET && p.round === 0);
  if (small && !passed(small)) return true;
  if (s.lo === s.maxPacket || s.maxPacket <= SMALL_PACKET) return true;
  if (s.lo !== undefined && s.hi !== undefined && s.hi - s.lo <= 1) return true;
  return s.round >= MAX_ROUNDS || s.probes.length >= MAX_PROBES;
}

/** Folds a round's results into the state. */
export function applyRound(s: SearchState, results: readonly PmtuProbe[]): SearchState {
  let lo = s.lo;
  let hi = s.hi;
  let hint: number | undefined;
  for (const p of results) {
    if (passed(p)) lo = Math.max(lo ?? 0, p.packetBytes);
    else if (p.outcome !== 'error') {
      hi = Math.min(hi ?? Number.POSITIVE_INFINITY, p.packetBytes);
      if ((p.outcome === 'frag-needed' || p.outcome === 'too-big') && p.mtu !== undefined && p.mtu < p.packetBytes) {
        hint = hint === undefined ? p.mtu : Math.min(hint, p.mtu);
      }
    }
  }
  const next: SearchState = { maxPacket: s.maxPacket, round: s.round + 1, probes: [...s.probes, ...results] };
  return {
    ...next,
    ...(lo !== undefined ? { lo } : {}),
    ...(hi !== undefined && Number.isFinite(hi) ? { hi } : {}),
    ...(hint !== undefined ? { hint } : {}),
  };
}

/** The outcome of the smallest failing size: how packets above the answer fail. */
function failureOf(s: SearchState): PmtuFailure | undefined {
  if (s.hi === undefined) return undefined;
  const at = s.probes.filter((p) => p.packetBytes === s.hi && !passed(p) && p.outcome !== 'error');
  // A frag-needed anywhere above the answer is the best evidence of what happens there (the kernel then caches the
  // announced MTU and refuses larger probes itself: too-big).
  const above = s.probes.filter((p) => s.lo === undefined || p.packetBytes > s.lo);
  if (above.some((p) => p.outcome === 'frag-needed')) return 'frag-needed';
  const o = at[0]?.outcome;
  if (o === 'too-big' || o === 'lost' || o === 'unreachable') return o;
  if (o === 'frag-needed') return 'frag-needed';
  return o === 'ttl-exceeded' ? 'lost' : undefined;
}

export function searchReport(s: SearchState): PmtuSearchReport {
  const small = s.probes.find((p) => p.packetBytes === SMALL_PACKET && p.round === 0);
  const exact = s.lo !== undefined && (s.lo === s.maxPacket || (s.hi !== undefined && s.hi - s.lo === 1));
  const failure = failureOf(s);
  return {
    ...(s.lo !== undefined ? { largestPassing: s.lo } : {}),
    ...(s.hi !== undefined ? { smallestFailing: s.hi } : {}),
    exact,
    ...(failure !== undefined ? { failure } : {}),
    ...(small?.rttMs !== undefined ? { rttMs: small.rttMs } : {}),
    rounds: s.round,
    probes: [...s.probes],
  };
}

/**
 * How long a probe waits for its reply: long enough for the round trip the small probe measured (x10, at least
 * 200 ms), short enough that a silent size costs a fraction of a second, not tracepath's seconds.
 */
export function probeWaitMs(rttMs: number | undefined): number {
  if (rttMs === undefined) return 500;
  return Math.min(2000, Math.max(200, Math.ceil(rttMs * 10)));
}
