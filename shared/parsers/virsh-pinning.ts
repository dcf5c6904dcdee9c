/**
 * `virsh vcpupin --domain D` and `virsh emulatorpin --domain D` (libvirt 9.0): which host CPUs each vCPU thread and
 * the emulator threads (QEMU's main loop, and with it the live-migration thread) may run on.
 *
 *    VCPU   CPU Affinity            emulator: CPU Affinity
 *   ----------------------          ----------------------------------
 *    0      0-1                            *: 0-1
 *
 * CPU lists are libvirt's bitmap format (`0-3,8,10-11`), read into sorted CPU numbers.
 */
import { ok, err, type Result } from '../result';
import type { FerryError } from '../errors';
import { parseCount } from '../units';
import { contentLines, emptyOutput, fail } from './text';
import { virshError } from './virsh-error';

/** `0-3,8,10-11` -> [0,1,2,3,8,10,11]; undefined for anything else (an empty list included). */
export function parseCpuList(text: string): number[] | undefined {
  const out = new Set<number>();
  const t = text.trim();
  if (t === '') return undefined;
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const a = parseCount(m[1] ?? '');
    const b = m[2] === undefined ? a : parseCount(m[2]);
    if (a === undefined || b === undefined || b < a || b - a > 65536) return undefined;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/** [0,1,2,3,8] -> `0-3,8`. */
export function formatCpuList(cpus: readonly number[]): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && (s[j + 1] ?? 0) === (s[j] ?? 0) + 1) j++;
    parts.push(i === j ? String(s[i]) : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export interface VcpuPin {
  readonly vcpu: number;
  readonly cpus: readonly number[];
}

function table(text: string, tool: string): Result<string[], FerryError> {
  const e = virshError(text);
  if (e) return err(e);
  const lines = contentLines(text);
  if (lines.length === 0) return emptyOutput(tool);
  const sep = lines.findIndex((l) => /^-+$/.test(l.trim()));
  if (sep !== 1) return fail('parse.unrecognised', `This is not ${tool} output: no header and dashed line.`, lines[0] ?? '');
  return ok(lines.slice(2));
}

export function parseVcpupin(text: string): Result<VcpuPin[], FerryError> {
  const rows = table(text, 'virsh vcpupin');
  if (!rows.ok) return rows;
  const out: VcpuPin[] = [];
  for (const row of rows.value) {
    const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(row);
    const cpus = m ? parseCpuList(m[2] ?? '') : undefined;
    if (!m || cpus === undefined) return fail('parse.unrecognised', 'A virsh vcpupin line is not "VCPU CPU-LIST".', row);
    out.push({ vcpu: Number(m[1]), cpus });
  }
  if (out.length === 0) return fail('parse.missing-field', 'virsh vcpupin listed no vCPUs.', text.slice(0, 200));
  return ok(out);
}

export interface EmulatorPin {
  readonly cpus: readonly number[];
}

export function parseEmulatorpin(text: string): Result<EmulatorPin, FerryError> {
  const rows = table(text, 'virsh emulatorpin');
  if (!rows.ok) return rows;
  const [row, ...more] = rows.value;
  const m = row === undefined ? null : /^\s*\*:\s*(\S+)\s*$/.exec(row);
  const cpus = m ? parseCpuList(m[1] ?? '') : undefined;
  if (!m || cpus === undefined || more.length > 0) {
    return fail('parse.unrecognised', 'virsh emulatorpin did not print one "*: CPU-LIST" line.', rows.value.join('\n'));
  }
  return ok({ cpus });
}
