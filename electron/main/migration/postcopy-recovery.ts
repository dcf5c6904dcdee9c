/**
 * A post-copy migration whose connection broke, and how it is finished. After the switch the guest runs on the
 * destination while part of its memory is still on the source; when the migration connection breaks then (lab,
 * libvirt 9.0, QEMU 7.2: `virsh domjobabort --postcopy` on the source, what a cut link does), `virsh migrate` exits
 * with "End of file while reading data", the source says `paused (post-copy failed)`, the destination
 * `running (post-copy failed)`, and the source still shows the outgoing job in `domjobinfo`. Neither half may be
 * aborted or destroyed: that would lose the VM. `virsh migrate --postcopy-resume` with the start's destination and
 * options finishes it.
 *
 * So a run allowed to switch that fails is not settled before both hosts' `domstate --reason` are read: a split is
 * journalled as a 'post-copy-interrupted' event (no end line: the record is `post-copy-interrupted`), and the only
 * control it takes is the resume. The engine follows a resume like a migration, under the same record.
 *
 * This module holds the reading of both halves and the pure decisions and sentences; the engine applies them.
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { virshDomjobinfo, virshDomstateReason } from '../../../shared/commands/virsh';
import type { DomainJobInfo } from '../../../shared/parsers/virsh-domjobinfo';
import { buildPostcopyResumeCommand, parseDestinationUri, quotedCommand, type MigrateOutcome, type MigrateSpec } from '../../../shared/commands/migrate';
import type { Command } from '../../../shared/commands';
import { isPostcopySplit } from '../../../shared/migration/postcopy';
import type { MigrationOptions } from '../../../shared/migration/options';
import type { DomainStateReason } from '../../../shared/parsers/virsh-domstate';
import { runCommand, type CommandRunner } from '../remote/run-command';
import type { MigrationControl, MigrationEventPayload, MigrationHostRef, MigrationRecord, MigrationStartPayload } from './record';

/** Which VM, where: enough to ask both hosts. */
export interface SplitPlace {
  readonly vm: string;
  /** The VM's name on the destination (--dname). */
  readonly destinationName: string;
  readonly source: MigrationHostRef;
  readonly destination: MigrationHostRef;
}

/** What `virsh domstate --reason` said on each host (or why it could not be read). */
export interface SplitReading {
  readonly source: Result<DomainStateReason, FerryError>;
  readonly destination: Result<DomainStateReason, FerryError>;
  /** The source's `domjobinfo`: a split source still shows the outgoing job, with the memory it still holds. */
  readonly sourceJob?: Result<DomainJobInfo, FerryError>;
}

export type SplitTexts = { readonly source: string; readonly destination: string };

/** Both halves at once. */
export async function readSplit(exec: (host: MigrationHostRef) => CommandRunner, p: SplitPlace): Promise<SplitReading> {
  const [source, destination, sourceJob] = await Promise.all([
    runCommand(exec(p.source), virshDomstateReason(p.vm)),
    runCommand(exec(p.destination), virshDomstateReason(p.destinationName)),
    runCommand(exec(p.source), virshDomjobinfo(p.vm)),
  ]);
  return { source, destination, sourceJob };
}

/** Pure: each host's words when the VM is split (either half says `post-copy failed`); otherwise undefined. */
export function splitOf(r: SplitReading): SplitTexts | undefined {
  const source = r.source.ok ? r.source.value : undefined;
  const destination = r.destination.ok ? r.destination.value : undefined;
  if (!isPostcopySplit({ source, destination })) return undefined;
  const text = (x: SplitReading['source']) => (x.ok ? x.value.text : `not readable: ${x.error.message}`);
  return { source: text(r.source), destination: text(r.destination) };
}

/** "runs on hvB" / "is paused on hvB": the state word of a `domstate --reason` text. */
function stateWords(text: string): string {
  return /^(.*?) \(/.exec(text)?.[1] ?? text;
}

/** Pure: what the source still holds, from its job (the event's detail), when it says. */
export function heldOnSource(p: SplitPlace, r: Pick<SplitReading, 'sourceJob'>): string | undefined {
  const job = r.sourceJob?.ok ? r.sourceJob.value : undefined;
  const left = job?.memoryRemainingBytes;
  if (left === undefined) return undefined;
  const total = job?.memoryTotalBytes;
  return `${p.source.name} still holds ${(left / 1048576).toFixed(1)} MiB of ${p.vm}'s memory${total ? ` (of ${(total / 1048576).toFixed(1)} MiB)` : ''}, as its migration job says.`;
}

/** One sentence: where each half is, and what to do. */
export function splitSentence(p: SplitPlace, split: SplitTexts): string {
  const dst = stateWords(split.destination);
  const on = dst === 'running' ? `runs on ${p.destination.name}` : `is ${dst} on ${p.destination.name}`;
  return `${p.destinationName} ${on} while part of its memory is still on ${p.source.name} (${stateWords(split.source)}).`;
}

/**
 * The 'post-copy-interrupted' event. `found`: noticed when `virsh migrate` failed ('broke'), or at a start of
 * Ferry ('restart': it was closed when the connection broke, or while the VM was split).
 */
export function interruptedEvent(
  p: SplitPlace,
  split: SplitTexts,
  found: 'broke' | 'restart',
  error?: FerryError,
  held?: string,
): MigrationEventPayload {
  const how =
    found === 'broke' ? 'The connection broke during post-copy' : 'Found after a restart: the migration broke during post-copy';
  return {
    kind: 'post-copy-interrupted',
    message: `${how}: ${splitSentence(p, split)} Resume post-copy to finish it.`,
    split,
    ...(error ? { error } : {}),
    ...(held ? { detail: held } : {}),
  };
}

/** A resume failed and the VM is still split: libvirt's words, and where the halves are. */
export function resumeFailedEvent(p: SplitPlace, split: SplitTexts, error: FerryError): MigrationEventPayload {
  const said = error.detail?.split('\n').find((l) => l.startsWith('error:')) ?? error.message;
  return {
    kind: 'post-copy-resume-failed',
    message: `Resuming post-copy failed (${said.replace(/^error: /, '')}): ${splitSentence(p, split)} Resume again once both hosts reach each other.`,
    split,
    error,
  };
}

/** Pure: why a control other than the resume is refused while the VM is split (nothing is sent to the hosts). */
export function splitControlRefusal(p: SplitPlace, control: MigrationControl): FerryError {
  const where = `${p.vm} is split between ${p.source.name} and ${p.destination.name} since post-copy broke`;
  if (control.kind === 'abort') {
    return ferryError(
      'input.invalid',
      `${where}: neither host holds all of its memory, so aborting would lose the VM. Resume post-copy to finish the migration.`,
    );
  }
  return ferryError('input.invalid', `${where}: there is no running migration to change. Resume post-copy to finish it.`);
}

/**
 * Pure: a record in which this VM is split across this host, which a new migration of it from there must not
 * touch (libvirt would start one from the paused half, or move the half that fetches pages from the other).
 */
export function splitRecordOf(records: readonly MigrationRecord[], vm: string, host: MigrationHostRef): MigrationRecord | undefined {
  return records.find(
    (r) =>
      r.state === 'post-copy-interrupted' &&
      r.start !== undefined &&
      (r.start.vm === vm || r.start.options['dname'] === vm) &&
      (r.start.source.address === host.address || r.start.destination.address === host.address),
  );
}

export interface ResumePlan {
  readonly command: Command<MigrateOutcome>;
  /** As the SSH layer sends it: the 'post-copy-resume' event's detail. */
  readonly commandLine: string;
}

/** Pure: the migrate spec of the start line, with the destination exactly as the start's argv reached it. */
export function resumeSpecOf(s: MigrationStartPayload): Result<MigrateSpec, FerryError> {
  const i = s.argv.indexOf('--desturi');
  const uri = i >= 0 ? s.argv[i + 1] : undefined;
  const dest = uri === undefined ? undefined : parseDestinationUri(uri);
  if (!dest) return err(ferryError('input.invalid', `The start of this migration has no destination URI Ferry can read (${uri ?? 'none'}), so it cannot be resumed from here.`));
  return ok({
    domain: s.vm,
    destinationHost: dest.host,
    options: s.options as MigrationOptions,
    ...(dest.user !== undefined ? { destinationUser: dest.user } : {}),
    ...(dest.port !== undefined ? { destinationPort: dest.port } : {}),
  });
}

/** Pure: the resume command of a record (same VM, destination, migrate URI and options, plus --postcopy-resume). */
export function resumePlan(rec: MigrationRecord): Result<ResumePlan, FerryError> {
  if (!rec.start) return err(ferryError('input.invalid', 'The start of this migration is missing from the history, so it cannot be resumed.'));
  const spec = resumeSpecOf(rec.start);
  if (!spec.ok) return spec;
  const command = buildPostcopyResumeCommand(spec.value);
  if (!command.ok) return command;
  return ok({ command: command.value, commandLine: quotedCommand(command.value) });
}

export function resumeEvent(p: SplitPlace, plan: ResumePlan): MigrationEventPayload {
  return {
    kind: 'post-copy-resume',
    message: `Resuming post-copy: ${p.source.name} sends the rest of ${p.vm}'s memory to ${p.destination.name}.`,
    control: { kind: 'resume-postcopy' },
    detail: plan.commandLine,
  };
}

/**
 * At a start of Ferry, for a record without an end of a run allowed to switch: a split VM is (or stays)
 * interrupted, never reattached, failed or unknown (the source still shows the outgoing job, which reattaching
 * would follow for ever); an interrupted VM whose hosts cannot both be asked stays interrupted (a host that does
 * not know the VM is an answer: --undefinesource after a resume by hand); otherwise the hosts decide as for any
 * other run (a VM resumed by hand and now whole on the destination is completed).
 */
export type PostcopyReconcile = 'note-interrupted' | 'stays-interrupted' | 'ask-hosts';

export function reconcilePostcopy(rec: Pick<MigrationRecord, 'state'>, reading: SplitReading): PostcopyReconcile {
  const interrupted = rec.state === 'post-copy-interrupted';
  if (splitOf(reading)) return interrupted ? 'stays-interrupted' : 'note-interrupted';
  const unanswered = [reading.source, reading.destination].some((r) => !r.ok && r.error.code !== 'libvirt.no-domain');
  return interrupted && unanswered ? 'stays-interrupted' : 'ask-hosts';
}
