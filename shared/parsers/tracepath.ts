/**
 * `tracepath -n [-m MAXHOPS] DEST` (iputils 20221126). tracepath exits 0 even when the destination was never
 * reached, so the outcome comes from the text: a hop ending in `reached`, the `Too many hops` line,
 * or a hop ending in `!H`/`!N`/`!P`/`!A` (unreachable). The final `Resume:` line must be there; without it the output
 * is truncated and the parse fails.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseCount, parseDecimal } from '../units';
import { compact, contentLines, fail } from './text';

export type TracepathUnreachable = '!H' | '!N' | '!P' | '!A';

export interface TracepathProbe {
  readonly hop: number;
  /** `1?:` tracepath could not learn the TTL of the reply and guessed the hop number. */
  readonly guessedHop: boolean;
  /** The answering address; absent for `no reply` and `send failed` lines and for the `[LOCALHOST]` line. */
  readonly address?: string;
  /** With -b, the name the host resolved for `address` (absent when it printed `???`, or with -n). */
  readonly name?: string;
  /** `[LOCALHOST]`: the local host's own view (its first-hop MTU). */
  readonly localhost?: true;
  readonly noReply?: true;
  readonly sendFailed?: true;
  readonly rttMs?: number;
  /** `asymm N`: the reply came back over N hops, not `hop`. */
  readonly asymm?: number;
  /** `pmtu N`: the path MTU learnt at this probe. */
  readonly pmtu?: number;
  readonly reached?: true;
  readonly unreachable?: TracepathUnreachable;
}

export type TracepathOutcome = 'reached' | 'too-many-hops' | 'unreachable';

export interface TracepathResult {
  readonly outcome: TracepathOutcome;
  readonly probes: readonly TracepathProbe[];
  /** The `[LOCALHOST]` pmtu: the MTU of the first hop as this host sees it. */
  readonly localPmtu?: number;
  /** The first probe where the path MTU went down, with the MTU before and after. */
  readonly pmtuDrop?: { readonly hop: number; readonly address?: string; readonly fromMtu: number; readonly toMtu: number };
  /** `Resume: pmtu N ...`: the path MTU tracepath ended with. */
  readonly pmtu: number;
  /** `hops H`: hops to the destination; absent when not reached. */
  readonly hops?: number;
  /** `back B`: hops the replies took back. */
  readonly back?: number;
}

const HOP = /^\s*(\d+)(\?)?:\s+(.*)$/;
const RESUME = /^\s*Resume: pmtu (\d+)(?: hops (\d+))?(?: back (\d+))?\s*$/;
const TOO_MANY = /^\s*Too many hops: pmtu (\d+)\s*$/;

function parseProbe(hop: number, guessedHop: boolean, rest: string, line: string): Result<TracepathProbe, FerryError> {
  const t = rest.trim();
  if (t === 'no reply') return ok({ hop, guessedHop, noReply: true });
  if (t === 'send failed') return ok({ hop, guessedHop, sendFailed: true });
  const tokens = t.split(/\s+/);
  let i = 0;
  const first = tokens[i++] ?? '';
  const localhost = first === '[LOCALHOST]';
  let address = localhost ? undefined : first;
  let name: string | undefined;
  // Without -n a name is followed by "(address)" (-b); keep the address, and the name unless it is `???` (unresolved).
  if (tokens[i]?.startsWith('(') && tokens[i]?.endsWith(')')) {
    if (first !== '???' && !localhost) name = first;
    address = (tokens[i++] ?? '').slice(1, -1);
  }
  let rttMs: number | undefined;
  let asymm: number | undefined;
  let pmtu: number | undefined;
  let reached = false;
  let unreachable: TracepathUnreachable | undefined;
  while (i < tokens.length) {
    const tok = tokens[i++] ?? '';
    const rtt = /^(\d+\.\d+)ms$/.exec(tok);
    if (rtt) {
      rttMs = parseDecimal(rtt[1] ?? '');
    } else if (tok === 'asymm' || tok === 'pmtu') {
      const n = parseCount(tokens[i++] ?? '');
      if (n === undefined) return fail('parse.bad-value', `"${tok}" is not followed by a whole number.`, line);
      if (tok === 'asymm') asymm = n;
      else pmtu = n;
    } else if (tok === 'reached') {
      reached = true;
    } else if (tok === '!H' || tok === '!N' || tok === '!P' || tok === '!A') {
      unreachable = tok;
    } else {
      return fail('parse.unrecognised', `Unexpected "${tok}" in a tracepath hop line.`, line);
    }
  }
  return ok(
    compact<TracepathProbe>({
      hop,
      guessedHop,
      address,
      name,
      localhost: localhost ? true : undefined,
      rttMs,
      asymm,
      pmtu,
      reached: reached ? true : undefined,
      unreachable,
    }),
  );
}

export function parseTracepath(text: string): Result<TracepathResult, FerryError> {
  const lines = contentLines(text);
  if (lines.length === 0) return fail('parse.unrecognised', 'tracepath printed nothing.', '');
  const probes: TracepathProbe[] = [];
  let tooMany = false;
  let resume: { pmtu: number; hops?: number; back?: number } | undefined;
  for (const line of lines) {
    if (resume) return fail('parse.unrecognised', 'Output continues after the "Resume:" line.', line);
    if (/^tracepath: .*(Name or service not known|Temporary failure in name resolution)/.test(line.trim())) {
      return err(ferryError('net.unknown-host', 'The destination name does not resolve on this host.', line.trim()));
    }
    let m: RegExpExecArray | null;
    if ((m = RESUME.exec(line))) {
      resume = compact<{ pmtu: number; hops?: number; back?: number }>({
        pmtu: Number(m[1]),
        hops: m[2] === undefined ? undefined : Number(m[2]),
        back: m[3] === undefined ? undefined : Number(m[3]),
      });
    } else if (TOO_MANY.test(line)) {
      tooMany = true;
    } else if ((m = HOP.exec(line))) {
      const probe = parseProbe(Number(m[1]), m[2] === '?', m[3] ?? '', line);
      if (!probe.ok) return probe;
      probes.push(probe.value);
    } else {
      return fail('parse.unrecognised', 'Unexpected line in tracepath output.', line);
    }
  }
  if (!resume) {
    return err(ferryError('parse.missing-field', 'tracepath output has no "Resume:" line (truncated?).', lines[lines.length - 1] ?? ''));
  }

  const localPmtu = probes.find((p) => p.localhost && p.pmtu !== undefined)?.pmtu;
  let current = localPmtu;
  let pmtuDrop: TracepathResult['pmtuDrop'];
  for (const p of probes) {
    if (p.pmtu === undefined || p.localhost) continue;
    if (current !== undefined && p.pmtu < current && pmtuDrop === undefined) {
      pmtuDrop = compact<NonNullable<TracepathResult['pmtuDrop']>>({
        hop: p.hop,
        address: p.address,
        fromMtu: current,
        toMtu: p.pmtu,
      });
    }
    current = p.pmtu;
  }

  const outcome: TracepathOutcome = probes.some((p) => p.reached)
    ? 'reached'
    : probes.some((p) => p.unreachable !== undefined)
      ? 'unreachable'
      : tooMany
        ? 'too-many-hops'
        : 'unreachable';
  if (outcome === 'unreachable' && !probes.some((p) => p.unreachable !== undefined)) {
    return fail('parse.unrecognised', 'tracepath neither reached the host, nor ran out of hops, nor was refused.', lines.join('\n'));
  }
  return ok(
    compact<TracepathResult>({
      outcome,
      probes,
      localPmtu,
      pmtuDrop,
      pmtu: resume.pmtu,
      hops: resume.hops,
      back: resume.back,
    }),
  );
}
