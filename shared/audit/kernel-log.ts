/**
 * NIC errors in the kernel log: the `dmesg -x` records that name a NIC or its driver as a word ("eth0" does not match
 * "veth0"). Records at level warn or worse, or whose text says error/fail/timeout/hang/reset/down, count as errors;
 * the rest (link up, renames) are shown as context only. On the lab every host shares the machine's kernel, so its
 * log is the machine's.
 */
import type { Result } from '../result';
import type { FerryError } from '../errors';
import type { KernelLogRecord } from '../parsers/dmesg';
import { errorFinding, finding, type Finding } from './types';
import { shLine } from '../shell/quote';

const SERIOUS_LEVELS = new Set(['emerg', 'alert', 'crit', 'err', 'warn']);
const ERROR_WORDS = /\b(error|errors|fail(ed|ure)?|timed? ?out|hang|reset|link is down|NETDEV WATCHDOG|overrun|dropped|tx timeout|firmware)\b/i;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A record names `word` when no letter, digit, '_', '-' or '.' precedes it and no letter, digit, '_', '-' or
 * '.<digit>' (a VLAN, `eth0.100`) follows it: "eth0:" and "eth0." name eth0, "veth0" and "eth0.100" do not.
 */
export function namesWord(text: string, word: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_.-])${escape(word)}(?![A-Za-z0-9_-]|\\.\\d)`).test(text);
}

export interface NicLogLine {
  readonly nic: string;
  readonly serious: boolean;
  readonly level: string;
  readonly seconds?: number;
  readonly text: string;
}

/** The records naming each NIC (or its driver), oldest first, at most `limit` per NIC (the most recent). */
export function nicKernelMessages(records: readonly KernelLogRecord[], nics: readonly { name: string; driver?: string | undefined }[], limit = 50): NicLogLine[] {
  const out: NicLogLine[] = [];
  for (const n of nics) {
    const words = [n.name, ...(n.driver === undefined ? [] : [n.driver])];
    const mine = records.filter((r) => words.some((w) => namesWord(r.text, w)));
    for (const r of mine.slice(-limit)) {
      const line: NicLogLine = { nic: n.name, serious: SERIOUS_LEVELS.has(r.level) || ERROR_WORDS.test(r.text), level: r.level, text: r.text };
      out.push(r.seconds === undefined ? line : { ...line, seconds: r.seconds });
    }
  }
  return out;
}

export function kernelLogFindings(log: Result<readonly KernelLogRecord[], FerryError>, nics: readonly { name: string; driver?: string | undefined }[]): Finding[] {
  if (!log.ok) return nics.map((n) => errorFinding('nic-kernel-log', n.name, `${n.name} in the kernel log`, log.error));
  return nics.map((n) => {
    const title = `${n.name} in the kernel log`;
    const lines = nicKernelMessages(log.value, [n]);
    const serious = lines.filter((l) => l.serious);
    const named = `${n.name}${n.driver === undefined ? '' : ` or its driver ${n.driver}`}`;
    if (lines.length === 0) return finding('nic-kernel-log', n.name, 'pass', title, `No kernel log message (of ${log.value.length}) names ${named}.`);
    const detail = lines.slice(-20).map((l) => `${l.seconds === undefined ? '' : `[${l.seconds.toFixed(3)}] `}${l.level}: ${l.text}`).join('\n');
    if (serious.length === 0) {
      return finding('nic-kernel-log', n.name, 'pass', title, `${lines.length} kernel message(s) name ${named}, none of them an error.`, { detail });
    }
    const last = serious[serious.length - 1];
    return finding('nic-kernel-log', n.name, 'warn', title, `${serious.length} kernel message(s) report trouble on ${named}; the latest: "${last?.text ?? ''}".`, {
      fix: `Read them in full (${shLine`dmesg -T | grep -w -- ${n.name}`}); link flaps, TX timeouts or firmware errors need the cable, the switch port or a driver/firmware update before a migration relies on ${n.name}.`,
      detail,
    });
  });
}
