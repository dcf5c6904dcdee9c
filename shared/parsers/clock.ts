/**
 * The clock-sync probe (shared/commands/audit.ts, CLOCK_PROBE_SCRIPT): for each of `timedatectl show`,
 * `chronyc -n tracking` and `ntpq -pn`, either `@@ferry TOOL absent` (not installed) or `@@ferry TOOL rc=N`
 * followed by what the tool printed (stdout and stderr). Each tool's answer is read into what it says about
 * synchronisation; a tool that is installed but failed (timedatectl without systemd as init, chronyc with no chronyd
 * running) keeps its own first line as the reason.
 */
import { ok, type Result } from '../result';
import type { FerryError } from '../errors';
import { parseDecimal } from '../units';
import { compact, fail, splitLines } from './text';

export type ClockTool = 'timedatectl' | 'chronyc' | 'ntpq';
export const CLOCK_TOOLS: readonly ClockTool[] = ['timedatectl', 'chronyc', 'ntpq'];

export interface TimedatectlState {
  /** `NTP=yes`: a time sync service is enabled. */
  readonly ntpEnabled?: boolean;
  /** `NTPSynchronized=yes`: the kernel clock is marked synchronised. */
  readonly synchronized?: boolean;
  readonly timezone?: string;
}

export interface ChronyTracking {
  readonly referenceId?: string;
  readonly stratum?: number;
  /** `Leap status : Normal` (anything but `Not synchronised` means synchronised). */
  readonly leapStatus?: string;
  /** `System time : 0.000012 seconds slow of NTP time`: signed offset, positive = ahead (fast). */
  readonly offsetSeconds?: number;
}

export interface NtpqPeers {
  /** The peer ntpd selected (`*` tally code), if any. */
  readonly selected?: string;
  /** Its offset in ms, as ntpq prints it. */
  readonly selectedOffsetMs?: number;
  readonly peers: number;
}

export type ClockToolAnswer =
  | { readonly tool: ClockTool; readonly state: 'absent' }
  | { readonly tool: ClockTool; readonly state: 'failed'; readonly exitCode: number; readonly reason: string }
  | { readonly tool: 'timedatectl'; readonly state: 'ok'; readonly timedatectl: TimedatectlState }
  | { readonly tool: 'chronyc'; readonly state: 'ok'; readonly chrony: ChronyTracking }
  | { readonly tool: 'ntpq'; readonly state: 'ok'; readonly ntpq: NtpqPeers };

export interface ClockProbe {
  readonly answers: readonly ClockToolAnswer[];
}

const HEADER = /^@@ferry (timedatectl|chronyc|ntpq) (absent|rc=(\d+))$/;

function yes(v: string | undefined): boolean | undefined {
  return v === 'yes' ? true : v === 'no' ? false : undefined;
}

function timedatectl(body: readonly string[]): Result<TimedatectlState, FerryError> {
  const kv: Record<string, string> = {};
  for (const l of body) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(l);
    if (!m) return fail('parse.unrecognised', 'A `timedatectl show` line is not KEY=VALUE.', l);
    kv[m[1] ?? ''] = m[2] ?? '';
  }
  if (kv.NTPSynchronized === undefined && kv.NTP === undefined) {
    return fail('parse.missing-field', '`timedatectl show` printed neither NTP nor NTPSynchronized.', body.join('\n'));
  }
  return ok(compact<TimedatectlState>({ ntpEnabled: yes(kv.NTP), synchronized: yes(kv.NTPSynchronized), timezone: kv.Timezone }));
}

function chrony(body: readonly string[]): Result<ChronyTracking, FerryError> {
  const kv: Record<string, string> = {};
  for (const l of body) {
    const m = /^([^:]+?)\s*: (.*)$/.exec(l);
    if (!m) return fail('parse.unrecognised', 'A `chronyc tracking` line is not "Label : value".', l);
    kv[m[1] ?? ''] = (m[2] ?? '').trim();
  }
  if (kv['Leap status'] === undefined) return fail('parse.missing-field', '`chronyc tracking` printed no "Leap status".', body.join('\n'));
  let offsetSeconds: number | undefined;
  const sys = kv['System time'];
  if (sys !== undefined) {
    const m = /^([0-9.]+) seconds (slow|fast) of NTP time$/.exec(sys);
    const n = m ? parseDecimal(m[1] ?? '') : undefined;
    if (n === undefined) return fail('parse.bad-value', 'Unrecognised "System time" in chronyc tracking.', sys);
    offsetSeconds = m?.[2] === 'slow' ? -n : n;
  }
  const stratum = kv.Stratum === undefined ? undefined : parseDecimal(kv.Stratum);
  return ok(compact<ChronyTracking>({ referenceId: kv['Reference ID'], stratum, leapStatus: kv['Leap status'], offsetSeconds }));
}

function ntpq(body: readonly string[]): Result<NtpqPeers, FerryError> {
  // Header, a line of '=', then one line per peer: tally code in column 1, then remote refid st t when poll reach delay offset jitter.
  const sep = body.findIndex((l) => /^=+$/.test(l.trim()));
  if (sep < 0) return fail('parse.unrecognised', '`ntpq -p` printed no peer table.', body.join('\n'));
  const rows = body.slice(sep + 1).filter((l) => l.trim() !== '');
  let selected: string | undefined;
  let selectedOffsetMs: number | undefined;
  for (const row of rows) {
    const cols = row.slice(1).trim().split(/\s+/);
    if (cols.length < 10) return fail('parse.unrecognised', 'An `ntpq -p` peer line has too few columns.', row);
    if (row[0] === '*') {
      selected = cols[0];
      const off = cols[8] ?? '';
      const n = parseDecimal(off.replace(/^-/, ''));
      if (n === undefined) return fail('parse.bad-value', 'The selected peer\'s offset is not a number.', row);
      selectedOffsetMs = off.startsWith('-') ? -n : n;
    }
  }
  return ok(compact<NtpqPeers>({ selected, selectedOffsetMs, peers: rows.length }));
}

export function parseClockProbe(text: string): Result<ClockProbe, FerryError> {
  const sections: { tool: ClockTool; header: RegExpExecArray; body: string[] }[] = [];
  for (const line of splitLines(text)) {
    const h = HEADER.exec(line);
    if (h) {
      sections.push({ tool: h[1] as ClockTool, header: h, body: [] });
      continue;
    }
    const cur = sections[sections.length - 1];
    if (cur === undefined) return fail('parse.unrecognised', 'This is not the clock probe\'s output (no "@@ferry TOOL" line first).', line);
    if (line.trim() !== '') cur.body.push(line);
  }
  const answers: ClockToolAnswer[] = [];
  for (const tool of CLOCK_TOOLS) {
    const s = sections.find((x) => x.tool === tool);
    if (s === undefined) return fail('parse.missing-field', `The clock probe said nothing about ${tool}.`, text.slice(0, 300));
    if (s.header[2] === 'absent') {
      answers.push({ tool, state: 'absent' });
      continue;
    }
    const exitCode = Number(s.header[3]);
    if (exitCode !== 0) {
      answers.push({ tool, state: 'failed', exitCode, reason: s.body[0]?.trim() ?? `exit status ${exitCode}` });
      continue;
    }
    if (tool === 'timedatectl') {
      const r = timedatectl(s.body);
      if (!r.ok) return r;
      answers.push({ tool, state: 'ok', timedatectl: r.value });
    } else if (tool === 'chronyc') {
      const r = chrony(s.body);
      if (!r.ok) return r;
      answers.push({ tool, state: 'ok', chrony: r.value });
    } else {
      const r = ntpq(s.body);
      if (!r.ok) return r;
      answers.push({ tool, state: 'ok', ntpq: r.value });
    }
  }
  return ok({ answers });
}
