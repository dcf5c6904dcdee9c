/**
 * Domain listing and details: `virsh list --all`, `virsh list --all --name`, `virsh dominfo DOMAIN`.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseCount, parseDecimal } from '../units';
import { compact, contentLines, emptyOutput, fail, splitLabel, type Draft } from './text';
import { virshError } from './virsh-error';

export type DomainState =
  | 'no-state'
  | 'running'
  | 'idle'
  | 'paused'
  | 'in-shutdown'
  | 'shut-off'
  | 'crashed'
  | 'pmsuspended';

/** virsh's words (virshDomainStateToString) -> state. */
export const DOMAIN_STATE_WORDS: Readonly<Record<string, DomainState>> = {
  'no state': 'no-state',
  running: 'running',
  idle: 'idle',
  paused: 'paused',
  'in shutdown': 'in-shutdown',
  'shut off': 'shut-off',
  crashed: 'crashed',
  pmsuspended: 'pmsuspended',
};
// Longest first, so that a name ending in a word cannot steal part of a two-word state.
const STATE_WORDS = Object.keys(DOMAIN_STATE_WORDS).sort((a, b) => b.length - a.length);

export interface DomainListEntry {
  /** Absent (`-` in the Id column) when the domain is not running. */
  readonly id?: number;
  readonly name: string;
  readonly state: DomainState;
}

function parseId(s: string): number | undefined | 'bad' {
  if (s === '-') return undefined;
  return parseCount(s) ?? 'bad';
}

/** `virsh list --all`. Names may contain spaces: the state is matched from the end of the line. */
export function parseVirshList(text: string): Result<DomainListEntry[], FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  const lines = contentLines(text);
  const header = lines[0];
  if (header === undefined) return emptyOutput('virsh list');
  if (!/^\s*Id\s+Name\s+State\s*$/.test(header)) {
    return fail('parse.unrecognised', 'This is not virsh list output: the header is not "Id Name State".', header);
  }
  const rule = lines[1];
  if (rule === undefined || !/^-+$/.test(rule.trim())) {
    return fail('parse.unrecognised', 'virsh list output lacks the dashed line under its header.', rule ?? header);
  }
  const entries: DomainListEntry[] = [];
  for (const line of lines.slice(2)) {
    const t = line.trim();
    const m = /^(\S+)\s+(.*)$/.exec(t);
    const id = m ? parseId(m[1] ?? '') : 'bad';
    const rest = m?.[2] ?? '';
    const stateWord = STATE_WORDS.find((w) => rest.endsWith(` ${w}`));
    const name = stateWord ? rest.slice(0, rest.length - stateWord.length).trim() : '';
    if (id === 'bad' || !stateWord || name === '') {
      return fail('parse.unrecognised', 'A virsh list row is not "<id|-> <name> <state>".', line);
    }
    entries.push(compact<DomainListEntry>({ id, name, state: DOMAIN_STATE_WORDS[stateWord] ?? 'no-state' }));
  }
  return ok(entries);
}

/**
 * `virsh list --all --name`: one name a line (spaces kept: a name is the whole line), a blank line at the end; no
 * domain at all prints the blank line only.
 */
export function parseVirshNames(text: string): Result<string[], FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  return ok(text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== ''));
}

/** yes / no, or `unknown` when libvirt could not tell. */
export type Tristate = boolean | 'unknown';

export interface DomainInfo {
  /** Absent when the domain is not running (`Id: -`). */
  readonly id?: number;
  readonly name: string;
  readonly uuid: string;
  readonly osType?: string;
  readonly state: DomainState;
  readonly cpus: number;
  /** Present only when the domain has used CPU time. */
  readonly cpuTimeSeconds?: number;
  /** `Max memory:`; absent when virsh prints `no limit`. */
  readonly maxMemoryKiB?: number;
  readonly usedMemoryKiB: number;
  readonly persistent: Tristate;
  readonly autostart?: boolean;
  readonly managedSave?: Tristate;
  readonly securityModel?: string;
  readonly securityDoi?: string;
  readonly securityLabel?: string;
  /** `Messages:` lines, e.g. `tainted: running with undesirable elevated privileges`. */
  readonly messages?: readonly string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function kib(value: string): number | undefined {
  const m = /^(\S+) KiB$/.exec(value);
  return m ? parseCount(m[1] ?? '') : undefined;
}

function tristate(value: string): Tristate | undefined {
  return value === 'yes' ? true : value === 'no' ? false : value === 'unknown' ? 'unknown' : undefined;
}

/** `virsh dominfo DOMAIN`. */
export function parseVirshDominfo(text: string): Result<DomainInfo, FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  const lines = contentLines(text);
  if (lines.length === 0) return emptyOutput('virsh dominfo');
  const f: Draft<DomainInfo> = {};
  const messages: string[] = [];
  let last = '';
  const bad = (what: string, line: string) => fail('parse.bad-value', `dominfo: ${what}.`, line);
  for (const line of lines) {
    // A message continued on the next line is printed under an empty label (`%-15s %s`, "").
    if (/^\s/.test(line) && last === 'Messages') {
      messages.push(line.trim());
      continue;
    }
    const kv = splitLabel(line);
    if (!kv) return fail('parse.unrecognised', 'A dominfo line is not of the form "Label: value".', line);
    const { label, value } = kv;
    last = label;
    switch (label) {
      case 'Id': {
        const id = parseId(value);
        if (id === 'bad') return bad('Id is neither a number nor "-"', line);
        if (id !== undefined) f.id = id;
        break;
      }
      case 'Name':
        f.name = value;
        break;
      case 'UUID':
        if (!UUID.test(value)) return bad('UUID is not a UUID', line);
        f.uuid = value.toLowerCase();
        break;
      case 'OS Type':
        f.osType = value;
        break;
      case 'State': {
        const s = DOMAIN_STATE_WORDS[value];
        if (!s) return bad(`unknown state "${value}"`, line);
        f.state = s;
        break;
      }
      case 'CPU(s)': {
        const n = parseCount(value);
        if (n === undefined) return bad('CPU(s) is not a whole number', line);
        f.cpus = n;
        break;
      }
      case 'CPU time': {
        const m = /^(\S+)s$/.exec(value);
        const n = m ? parseDecimal(m[1] ?? '') : undefined;
        if (n === undefined) return bad('CPU time is not "<seconds>s"', line);
        f.cpuTimeSeconds = n;
        break;
      }
      case 'Max memory': {
        if (value === 'no limit') break;
        const n = kib(value);
        if (n === undefined) return bad('Max memory is not "<n> KiB"', line);
        f.maxMemoryKiB = n;
        break;
      }
      case 'Used memory': {
        const n = kib(value);
        if (n === undefined) return bad('Used memory is not "<n> KiB"', line);
        f.usedMemoryKiB = n;
        break;
      }
      case 'Persistent':
      case 'Managed save': {
        const t = tristate(value);
        if (t === undefined) return bad(`${label} is not yes/no/unknown`, line);
        if (label === 'Persistent') f.persistent = t;
        else f.managedSave = t;
        break;
      }
      case 'Autostart':
        if (value !== 'enable' && value !== 'disable') return bad('Autostart is not enable/disable', line);
        f.autostart = value === 'enable';
        break;
      case 'Security model':
        f.securityModel = value;
        break;
      case 'Security DOI':
        f.securityDoi = value;
        break;
      case 'Security label':
        f.securityLabel = value;
        break;
      case 'Messages':
        messages.push(value);
        break;
      default:
        return fail('parse.unrecognised', `Unknown dominfo line "${label}".`, line);
    }
  }
  if (messages.length > 0) f.messages = messages;
  const missing = (key: keyof DomainInfo) =>
    err(ferryError('parse.missing-field', `dominfo did not print ${key}.`, lines.join('\n')));
  const { name, uuid, state, cpus, usedMemoryKiB, persistent } = f;
  if (name === undefined) return missing('name');
  if (uuid === undefined) return missing('uuid');
  if (state === undefined) return missing('state');
  if (cpus === undefined) return missing('cpus');
  if (usedMemoryKiB === undefined) return missing('usedMemoryKiB');
  if (persistent === undefined) return missing('persistent');
  return ok({ ...f, name, uuid, state, cpus, usedMemoryKiB, persistent });
}
