/**
 * virsh reports failures as `error: ...` lines on stderr (exit 1). Every virsh parser first looks for them and maps
 * the libvirt texts Ferry acts on to stable codes; the full error text goes to `detail`.
 */
import { ferryError, type FerryError, type FerryErrorCode } from '../errors';
import { err, ok, type Result } from '../result';
import { splitLines } from './text';

interface Rule {
  readonly test: RegExp;
  readonly code: FerryErrorCode;
  readonly message: string;
}

// Order matters: the first rule whose pattern matches any error line wins.
const RULES: readonly Rule[] = [
  // virsh migrate after the connection of a post-copy run broke (captured on the lab: domjobabort --postcopy). Which
  // of the two errors virsh prints for the same break is a race; only this one says it happened in post-copy.
  {
    test: /failed in post-copy phase/,
    code: 'libvirt.postcopy-failed',
    message: 'The migration broke during post-copy: the VM runs on the destination while part of its memory is still on the source.',
  },
  // The connection closed with nothing from ssh in between (a connect failure names virt-ssh-helper or ssh here):
  // seen after a post-copy break and after aborting a pre-copy run stalled in a black hole.
  {
    test: /End of file while reading data:( :)? Input\/output error$/,
    code: 'libvirt.connection-closed',
    message:
      "libvirt's connection to the other host closed in the middle of the operation; if the migration was in post-copy, the VM may now be split between the two hosts.",
  },
  {
    test: /migration statistics are available only on the source host/,
    code: 'libvirt.stats-on-destination',
    message: 'This host is the destination of the migration; its statistics are only available on the source host.',
  },
  {
    test: /domain is not running/,
    code: 'libvirt.not-running',
    message: 'The domain is not running (a migration that is just finishing briefly reports this on the source).',
  },
  {
    test: /failed to get domain|Domain not found|no domain with matching/,
    code: 'libvirt.no-domain',
    message: 'No such domain on this host.',
  },
  {
    test: /not supported by the connection driver|are not supported by the daemon|argument unsupported|Operation not supported/,
    code: 'libvirt.unsupported',
    message: 'This libvirt driver or daemon does not support the operation.',
  },
  {
    test: /no job is active|job is not active/,
    code: 'libvirt.no-job',
    message: 'No job is active on the domain.',
  },
];

/** The `error: ...` lines of virsh output, without the `error: ` prefix; empty when there are none. */
export function virshErrorLines(text: string): string[] {
  return splitLines(text)
    .map((l) => /^error: ?(.*)$/.exec(l.trim())?.[1])
    .filter((l): l is string => l !== undefined);
}

/** A FerryError for virsh output that contains `error:` lines, or undefined when it contains none. */
export function virshError(text: string): FerryError | undefined {
  const lines = virshErrorLines(text);
  if (lines.length === 0) return undefined;
  const detail = lines.map((l) => `error: ${l}`).join('\n');
  for (const rule of RULES) {
    if (lines.some((l) => rule.test.test(l))) return ferryError(rule.code, rule.message, detail);
  }
  return ferryError('libvirt.error', `virsh failed: ${lines[lines.length - 1] ?? ''}`, detail);
}

/** Output of a virsh command that prints only an acknowledgement (`Domain 'vm1' is being shutdown`): its errors, or the text. */
export function parseVirshAck(text: string): Result<string, FerryError> {
  const e = virshError(text);
  return e ? err(e) : ok(splitLines(text).map((l) => l.trim()).filter((l) => l !== '').join('\n'));
}
