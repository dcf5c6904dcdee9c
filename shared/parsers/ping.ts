/**
 * `ping -n -M do -s SIZE -c N -W T DEST` (iputils 20221126), used as a path-MTU probe: does a SIZE-byte payload
 * with Don't-Fragment set get through, and if not, who says so?
 *
 * Input is stdout followed by stderr (`ping: local error: message too long, mtu=1500` goes to stderr,
 * `From 10.77.0.1 icmp_seq=1 Frag needed and DF set (mtu = 1500)` to stdout). ping exits 1 when nothing came
 * back and 2 on errors; the parser reads the text, not the exit status.
 *
 * outcome:
 * - `passed`      at least one reply came back (see `stats` for loss);
 * - `frag-needed` a router answered "Frag needed and DF set" with its next-hop MTU (`fragNeeded`);
 * - `too-big`     the local host refused to send: its own route or interface MTU is smaller (`localErrorMtu`);
 * - `unreachable` "Destination Host/Net Unreachable" or `connect: Network is unreachable`;
 * - `lost`        silence: no reply and no error. With DF set and a big SIZE this is the signature of an MTU black hole.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseDecimal } from '../units';
import { compact, contentLines, fail } from './text';

export type PingOutcome = 'passed' | 'frag-needed' | 'too-big' | 'unreachable' | 'lost';

export interface PingStats {
  readonly transmitted: number;
  readonly received: number;
  /** `+N errors`: ICMP errors and local send errors. Absent when ping printed none. */
  readonly errors?: number;
  readonly duplicates?: number;
  readonly lossPercent: number;
  /** `time Nms`: wall time of the run; absent when ping did not print it. */
  readonly timeMs?: number;
}

export interface PingRtt {
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
  readonly mdevMs: number;
}

export interface PingResult {
  readonly outcome: PingOutcome;
  /** As given on the command line (`PING <destination> (<address>) ...`). */
  readonly destination?: string;
  readonly address?: string;
  /** ICMP payload (the -s SIZE) and the whole IP packet it makes (SIZE + 28 for IPv4). */
  readonly payloadBytes?: number;
  readonly packetBytes?: number;
  /** Absent when ping gave up before sending (e.g. `connect: Network is unreachable`). */
  readonly stats?: PingStats;
  /** Only when at least one reply came back. */
  readonly rtt?: PingRtt;
  /** ICMP size of the first reply (`8980 bytes from ...`). */
  readonly replyBytes?: number;
  /** From `ping: local error: message too long, mtu=N` (stderr). */
  readonly localErrorMtu?: number;
  /** From `From ROUTER icmp_seq=N Frag needed and DF set (mtu = N)`: the first such answer. */
  readonly fragNeeded?: { readonly router: string; readonly mtu: number };
  /** Other `From X icmp_seq=N <message>` lines (unreachable, TTL exceeded, ...), in order. */
  readonly icmpMessages?: readonly { readonly from: string; readonly seq: number; readonly message: string }[];
  /** Other `ping: ...` lines (warnings), verbatim. */
  readonly messages?: readonly string[];
}

const HEADER = /^PING (\S+) \(([^)]+)\)(?: from \S+ \S+:)? (\d+)\((\d+)\) bytes of data\.$/;
const REPLY = /^(\d+) bytes from (\S+?)(?: \(([^)]+)\))?: icmp_seq=(\d+) ttl=(\d+)(?: time=(\S+) ms)?(?: \(DUP!\))?$/;
const FROM = /^From (\S+?)(?: \([^)]*\))? icmp_seq=(\d+) (.+)$/;
const FRAG = /^Frag needed and DF set \(mtu = (\d+)\)$/;
const LOCAL_ERROR = /^ping: local error: message too long, mtu=(\d+)$/;
const SUMMARY_HEAD = /^--- (\S+) ping statistics ---$/;
const STATS =
  /^(\d+) packets transmitted, (\d+) received(?:, \+(\d+) duplicates)?(?:, \+(\d+) corrupted)?(?:, \+(\d+) errors)?, (\d+(?:\.\d+)?)% packet loss(?:, time (\d+)ms)?(?:, pipe \d+)?(?:, ipg\/ewma \S+ ms)?$/;
const RTT = /^rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms(?:, pipe \d+)?(?:, ipg\/ewma \S+ ms)?$/;
const UNREACHABLE_MSG = /Unreachable|unreachable/;

export function parsePing(text: string): Result<PingResult, FerryError> {
  const lines = contentLines(text);
  if (lines.length === 0) return fail('parse.unrecognised', 'ping printed nothing.', '');
  const head: { destination?: string; address?: string; payloadBytes?: number; packetBytes?: number } = {};
  let replyBytes: number | undefined;
  let rtt: PingRtt | undefined;
  let fragNeeded: PingResult['fragNeeded'];
  const icmp: { from: string; seq: number; message: string }[] = [];
  const messages: string[] = [];
  let stats: PingStats | undefined;
  let unreachable = false;
  let localErrorMtu: number | undefined;

  for (const raw of lines) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = HEADER.exec(line))) {
      head.destination = m[1] ?? '';
      head.address = m[2] ?? '';
      head.payloadBytes = Number(m[3]);
      head.packetBytes = Number(m[4]);
    } else if ((m = REPLY.exec(line))) {
      replyBytes ??= Number(m[1]);
    } else if ((m = FROM.exec(line))) {
      const from = m[1] ?? '';
      const seq = Number(m[2]);
      const message = m[3] ?? '';
      const frag = FRAG.exec(message);
      if (frag) {
        fragNeeded ??= { router: from, mtu: Number(frag[1]) };
      } else {
        icmp.push({ from, seq, message });
        if (UNREACHABLE_MSG.test(message)) unreachable = true;
      }
    } else if ((m = LOCAL_ERROR.exec(line))) {
      localErrorMtu ??= Number(m[1]);
    } else if (SUMMARY_HEAD.test(line) || /^pipe \d+$/.test(line)) {
      // the statistics follow; `pipe N` (probes in flight at once) has its own line when there is no rtt line
    } else if ((m = STATS.exec(line))) {
      const lossPercent = parseDecimal(m[6] ?? '');
      if (lossPercent === undefined) return fail('parse.bad-value', 'Packet loss is not a number.', raw);
      stats = compact<PingStats>({
        transmitted: Number(m[1]),
        received: Number(m[2]),
        duplicates: m[3] === undefined ? undefined : Number(m[3]),
        errors: m[5] === undefined ? undefined : Number(m[5]),
        lossPercent,
        timeMs: m[7] === undefined ? undefined : Number(m[7]),
      });
    } else if ((m = RTT.exec(line))) {
      const [minMs, avgMs, maxMs, mdevMs] = [m[1], m[2], m[3], m[4]].map((x) => parseDecimal(x ?? ''));
      if (minMs === undefined || avgMs === undefined || maxMs === undefined || mdevMs === undefined) {
        return fail('parse.bad-value', 'The rtt line holds something that is not a number.', raw);
      }
      rtt = { minMs, avgMs, maxMs, mdevMs };
    } else if (/^ping: (?:connect: )?Network is unreachable$/.test(line)) {
      unreachable = true;
      messages.push(line);
    } else if (/^ping: .*: (Name or service not known|Temporary failure in name resolution|No address associated with hostname)$/.test(line)) {
      return err(ferryError('net.unknown-host', 'The destination name does not resolve on this host.', line));
    } else if (/^ping: /.test(line)) {
      messages.push(line);
    } else {
      return fail('parse.unrecognised', 'Unexpected line in ping output.', raw);
    }
  }

  if (stats === undefined && !unreachable) {
    if (head.destination === undefined && messages.length > 0) {
      return err(ferryError('command.failed', `ping failed: ${messages[0] ?? ''}`, messages.join('\n')));
    }
    return err(ferryError('parse.missing-field', 'ping printed no statistics line (truncated output?).', lines[lines.length - 1] ?? ''));
  }

  let outcome: PingOutcome;
  if (stats !== undefined && stats.received > 0) outcome = 'passed';
  else if (fragNeeded !== undefined) outcome = 'frag-needed';
  else if (localErrorMtu !== undefined) outcome = 'too-big';
  else if (unreachable) outcome = 'unreachable';
  else outcome = 'lost';

  return ok(
    compact<PingResult>({
      outcome,
      ...head,
      stats,
      rtt,
      replyBytes,
      localErrorMtu,
      fragNeeded,
      icmpMessages: icmp.length > 0 ? icmp : undefined,
      messages: messages.length > 0 ? messages : undefined,
    }),
  );
}
