/**
 * `virsh list --all --name [--persistent|--transient|--autostart|--no-autostart]`: one domain name per line, then an
 * empty line. Names may contain spaces; they are taken whole. No domains: just the empty line.
 */
import { ok, err, type Result } from '../result';
import type { FerryError } from '../errors';
import { emptyOutput, splitLines } from './text';
import { virshError } from './virsh-error';

export function parseVirshNames(text: string): Result<string[], FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  if (text === '') return emptyOutput('virsh list --name');
  return ok(splitLines(text).filter((l) => l.trim() !== ''));
}
