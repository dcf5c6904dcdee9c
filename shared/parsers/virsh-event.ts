/**
 * `virsh event --domain DOMAIN [--event NAME] [--loop] --timestamp`: the domain events libvirt delivered while virsh
 * listened. Captured on the lab (libvirt 9.0):
 *
 *   2026-12-07 13:59:14.399+0000: event 'lifecycle' for domain 'vmd': Suspended Post-copy
 *   2026-12-07 13:59:16.501+0000: event 'job-completed' for domain 'vmd':
 *   	operation: 5
 *   	time_elapsed: 15075
 *   	...
 *
 * With --timeout and no event in time it prints `event loop timed out` (and exits 1); when it stops listening by
 * itself (the first event without --loop, or the timeout) it ends with `events received: N`.
 *
 * An event's detail follows its header on the same line; the job-completed event's statistics follow on lines that
 * start with a tab, as the same typed parameters `domjobinfo --rawstats` prints. Without `--timestamp` the prefix is
 * absent (`at` stays undefined). Anything else is a typed parse error, never skipped.
 */
import { err, ok, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseJobParams, type DomainJobInfo } from './virsh-domjobinfo';
import { fail, splitLines } from './text';
import { virshError } from './virsh-error';

export interface VirshEvent {
  /** When libvirt delivered it (virsh's --timestamp, ms since the epoch); absent without --timestamp. */
  readonly at?: number;
  /** libvirt's event name: lifecycle, job-completed, migration-iteration, ... */
  readonly event: string;
  readonly domain: string;
  /** The rest of the header line (`Suspended Post-copy`, `iteration: '2'`); absent when empty. */
  readonly detail?: string;
  /** Tab-indented lines after the header, verbatim (the job-completed event's statistics). */
  readonly params?: readonly string[];
}

export interface VirshEvents {
  readonly events: readonly VirshEvent[];
  /** virsh's own count (`events received: N`), printed when it stops listening; absent while it still listened. */
  readonly received?: number;
  /** `event loop timed out`: virsh's --timeout ran out. */
  readonly timedOut?: true;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})([+-])(\d{2})(\d{2}): /;
const HEADER = /^event '([^']+)' for domain '(.*?)'(?::(.*))?$/;

function readTimestamp(line: string): { at?: number; rest: string } {
  const m = TIMESTAMP.exec(line);
  if (!m) return { rest: line };
  const n = m.slice(1).map((x) => Number(x));
  const [y, mo, d, h, mi, s, ms] = n as [number, number, number, number, number, number, number];
  const sign = m[8] === '-' ? -1 : 1;
  const offsetMin = sign * (Number(m[9]) * 60 + Number(m[10]));
  return { at: Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMin * 60_000, rest: line.slice(m[0].length) };
}

export function parseVirshEvents(text: string): Result<VirshEvents, FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  const events: { at?: number; event: string; domain: string; detail?: string; params?: string[] }[] = [];
  let received: number | undefined;
  let timedOut = false;
  for (const line of splitLines(text)) {
    if (line.trim() === '') continue;
    if (line.startsWith('\t')) {
      const last = events.at(-1);
      if (!last) return fail('parse.unrecognised', 'virsh event printed a parameter line before any event.', line);
      (last.params ??= []).push(line.trim());
      continue;
    }
    if (line.trim() === 'event loop timed out') {
      timedOut = true;
      continue;
    }
    const count = /^events received: (\d+)$/.exec(line.trim());
    if (count) {
      received = Number(count[1]);
      continue;
    }
    const { at, rest } = readTimestamp(line);
    const m = HEADER.exec(rest.trimEnd());
    if (!m) return fail('parse.unrecognised', 'This is not a line virsh event prints ("event \'NAME\' for domain \'DOMAIN\'...").', line);
    const detail = (m[3] ?? '').trim();
    events.push({ ...(at !== undefined ? { at } : {}), event: m[1] ?? '', domain: m[2] ?? '', ...(detail !== '' ? { detail } : {}) });
  }
  if (received !== undefined && received !== events.length) {
    return err(ferryError('parse.unrecognised', `virsh event says it received ${received} events but printed ${events.length}.`, text.slice(0, 500)));
  }
  return ok({ events, ...(received !== undefined ? { received } : {}), ...(timedOut ? { timedOut: true as const } : {}) });
}

/** The statistics a job-completed event carries, read like `domjobinfo --completed --rawstats`. */
export function jobCompletedInfo(e: VirshEvent): Result<DomainJobInfo, FerryError> {
  if (e.event !== 'job-completed') return err(ferryError('input.invalid', `A '${e.event}' event carries no job statistics.`));
  if (!e.params || e.params.length === 0) return fail('parse.unrecognised', 'The job-completed event carried no statistics.', e.domain);
  return parseJobParams(e.params, 'completed');
}

/** The lifecycle event libvirt sends when a domain's state changes (`Suspended Post-copy`, `Stopped Migrated`). */
export function isLifecycle(e: VirshEvent, detail: string): boolean {
  return e.event === 'lifecycle' && e.detail === detail;
}
