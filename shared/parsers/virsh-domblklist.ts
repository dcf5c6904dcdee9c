/**
 * `virsh domblklist --domain D --details` (libvirt 9.0): the domain's block devices.
 *
 *    Type   Device   Target   Source
 *   -------------------------------------------------------------
 *    file   disk     sdb      /var/tmp/ferry-lab/audit-disk.img
 *
 * A diskless domain prints the header and the dashed line only: an empty list, not an error. `-` as the source (an
 * empty CD-ROM drive) is an absent source. The source is the rest of the line, so a path with spaces stays whole.
 */
import { ok, err, type Result } from '../result';
import type { FerryError } from '../errors';
import { compact, contentLines, emptyOutput, fail } from './text';
import { virshError } from './virsh-error';

export interface DomainBlockDevice {
  /** `file`, `block`, `network`, `volume`, `dir`, ... */
  readonly type: string;
  /** `disk`, `cdrom`, `floppy`, `lun`. */
  readonly device: string;
  readonly target: string;
  readonly source?: string;
}

export function parseDomblklist(text: string): Result<DomainBlockDevice[], FerryError> {
  const e = virshError(text);
  if (e) return err(e);
  const lines = contentLines(text);
  if (lines.length === 0) return emptyOutput('virsh domblklist');
  if (!/^\s*Type\s+Device\s+Target\s+Source\s*$/.test(lines[0] ?? '') || !/^-+$/.test((lines[1] ?? '').trim())) {
    return fail('parse.unrecognised', 'This is not `virsh domblklist --details` output (no "Type Device Target Source" header).', lines[0] ?? '');
  }
  const out: DomainBlockDevice[] = [];
  for (const row of lines.slice(2)) {
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(row);
    if (!m) return fail('parse.unrecognised', 'A virsh domblklist line is not "TYPE DEVICE TARGET SOURCE".', row);
    const source = m[4] ?? '';
    out.push(compact<DomainBlockDevice>({ type: m[1] ?? '', device: m[2] ?? '', target: m[3] ?? '', source: source === '-' ? undefined : source }));
  }
  return ok(out);
}
