/**
 * `virsh domstats [--balloon] [--vcpu] ...`: statistics of every domain in ONE call (one libvirt RPC), which is how
 * the inventory reads memory and vCPUs of thousands of domains without one command per domain. virsh 9.0 prints
 *
 *   Domain: 'vm1'
 *     balloon.current=131072
 *     vcpu.current=1
 *   (blank line)
 *
 * Values are printed as is: numbers for the groups Ferry asks for, strings for some others (`block.0.name=vda`).
 * Every field is kept as text; the few the inventory uses are read into numbers. `balloon.*` sizes are KiB.
 */
import { ok, err, type Result } from '../result';
import { type FerryError } from '../errors';
import { parseCount } from '../units';
import { compact, emptyOutput, fail, splitLines } from './text';
import { virshError } from './virsh-error';

export interface DomainStats {
  readonly name: string;
  /** Every `key=value` line of the domain, as printed. */
  readonly fields: Readonly<Record<string, string>>;
  /** `balloon.current`: memory the guest has now, KiB (its configured current memory when it is shut off). */
  readonly balloonCurrentKiB?: number;
  /** `balloon.maximum`, KiB. */
  readonly balloonMaximumKiB?: number;
  /** `vcpu.current`: vCPUs online now (configured count when shut off). */
  readonly vcpuCurrent?: number;
  readonly vcpuMaximum?: number;
}

const HEADER = /^Domain: '(.*)'$/;
const FIELD = /^\s+([A-Za-z0-9_.-]+)=(.*)$/;

function count(fields: Readonly<Record<string, string>>, key: string): number | undefined | 'bad' {
  const v = fields[key];
  if (v === undefined) return undefined;
  return parseCount(v) ?? 'bad';
}

export function parseVirshDomstats(text: string): Result<DomainStats[], FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  const lines = splitLines(text);
  // No domains at all: virsh prints nothing (or a lone newline).
  if (lines.every((l) => l.trim() === '')) return text === '' ? emptyOutput('virsh domstats') : ok([]);
  const out: DomainStats[] = [];
  let current: { name: string; fields: Record<string, string> } | undefined;
  const finish = (): Result<void, FerryError> => {
    if (!current) return ok(undefined);
    const { name, fields } = current;
    const numbers = {
      balloonCurrentKiB: count(fields, 'balloon.current'),
      balloonMaximumKiB: count(fields, 'balloon.maximum'),
      vcpuCurrent: count(fields, 'vcpu.current'),
      vcpuMaximum: count(fields, 'vcpu.maximum'),
    };
    for (const [k, v] of Object.entries(numbers)) {
      if (v === 'bad') return fail('parse.bad-value', `domstats of ${name}: ${k} is not a whole number.`, JSON.stringify(fields));
    }
    out.push(
      compact<DomainStats>({
        name,
        fields,
        balloonCurrentKiB: numbers.balloonCurrentKiB as number | undefined,
        balloonMaximumKiB: numbers.balloonMaximumKiB as number | undefined,
        vcpuCurrent: numbers.vcpuCurrent as number | undefined,
        vcpuMaximum: numbers.vcpuMaximum as number | undefined,
      }),
    );
    current = undefined;
    return ok(undefined);
  };
  for (const line of lines) {
    if (line.trim() === '') continue;
    const header = HEADER.exec(line);
    if (header) {
      const done = finish();
      if (!done.ok) return done;
      current = { name: header[1] ?? '', fields: {} };
      continue;
    }
    const field = FIELD.exec(line);
    if (!field || !current) return fail('parse.unrecognised', 'Unexpected line in virsh domstats output.', line);
    current.fields[field[1] ?? ''] = field[2] ?? '';
  }
  const done = finish();
  if (!done.ok) return done;
  return ok(out);
}
