/**
 * `tail -n N -- FILE` of a log (the domain's QEMU log, /var/log/libvirt/qemu/<vm>.log). A file that is not there
 * (`tail: cannot open 'F' for reading: No such file or directory`) is an answer, `{ exists: false }`: libvirt has
 * not started that domain on this host since its logs were last cleared. Other `tail:` errors (permission) are the
 * typed error command.failed.
 */
import { ok, type Result } from '../result';
import type { FerryError } from '../errors';
import { fail, splitLines } from './text';

export type LogTail =
  | { readonly exists: false; readonly detail: string }
  | { readonly exists: true; readonly lines: readonly string[] };

export function parseLogTail(text: string): Result<LogTail, FerryError> {
  const lines = splitLines(text);
  const error = lines.find((l) => /^tail: cannot open '.*' for reading: /.test(l));
  if (error !== undefined && lines.length === 1) {
    if (/No such file or directory$/.test(error)) return ok({ exists: false, detail: error });
    return fail('command.failed', `Ferry could not read the log: ${error.replace(/^tail: /, '')}.`, error);
  }
  return ok({ exists: true, lines });
}
