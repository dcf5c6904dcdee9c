/**
 * `virsh domstate --reason DOMAIN`: the domain's state and why it is in it, one line such as `running (booted)`,
 * `paused (post-copy failed)` or `shut off (migrated)`. After a post-copy migration breaks, both halves say
 * `post-copy failed` (the source paused, the destination running); that reason is how a split VM is recognised.
 */
import { ok, err, type Result } from '../result';
import type { FerryError } from '../errors';
import { contentLines, emptyOutput, fail } from './text';
import { virshError } from './virsh-error';
import { DOMAIN_STATE_WORDS, type DomainState } from './virsh-domain';

export interface DomainStateReason {
  readonly state: DomainState;
  /** libvirt's words for the reason (`booted`, `migrated`, `post-copy failed`, `unknown`, ...). */
  readonly reason: string;
  /** The line as virsh printed it, for the admin. */
  readonly text: string;
}

export function parseDomstateReason(text: string): Result<DomainStateReason, FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  const lines = contentLines(text);
  if (lines.length === 0) return emptyOutput('virsh domstate --reason');
  const line = (lines[0] ?? '').trim();
  if (lines.length > 1) return fail('parse.unrecognised', 'domstate --reason printed more than one line.', lines.join('\n'));
  const m = /^([a-z ]+?) \(([^()]+)\)$/.exec(line);
  // virsh's state words (as in `list`), then the reason in parentheses.
  const state = m ? DOMAIN_STATE_WORDS[m[1] ?? ''] : undefined;
  if (!m || state === undefined) return fail('parse.unrecognised', 'domstate --reason is not "<state> (<reason>)".', line);
  return ok({ state, reason: m[2] ?? '', text: line });
}

/** The reason both halves of a broken post-copy migration give (libvirt >= 8.5). */
export const POSTCOPY_FAILED_REASON = 'post-copy failed';
