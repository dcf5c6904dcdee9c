/**
 * The most recent failed migration from a host, read-only from the migration journal (migrations.jsonl in the data
 * directory) through the journal's own reader: nodeJournalFs.readFile, parseJournal (a torn last line of a write in
 * progress is skipped) and buildRecords. Nothing here opens the file for writing.
 */
import { join } from 'node:path';
import { ok, err, type Result } from '../../../shared/result';
import { ferryError, type FerryError } from '../../../shared/errors';
import { sampleDigest, type FailedMigrationView } from '../../../shared/audit/troubleshoot';
import { JOURNAL_FILE, nodeJournalFs, parseJournal, type JournalFs } from '../migration/journal';
import { buildRecords, type MigrationRecord } from '../migration/record';

export const LAST_SAMPLES = 10;

/** The failed migration of `records` from `hostId` (of `vm`, when given) that ended last, as the panel shows it. */
export function lastFailedMigration(records: readonly MigrationRecord[], hostId: string, vm?: string, samples = LAST_SAMPLES): FailedMigrationView | null {
  const failed = records.filter((r) => r.state === 'failed' && r.start?.source.id === hostId && (vm === undefined || r.start.vm === vm));
  const when = (r: MigrationRecord) => r.end?.at ?? r.startedAt ?? 0;
  const last = failed.reduce<MigrationRecord | undefined>((a, r) => (a === undefined || when(r) >= when(a) ? r : a), undefined);
  if (last?.start === undefined) return null;
  const view: FailedMigrationView = {
    id: last.id,
    vm: last.start.vm,
    destination: last.start.destination.name,
    message: last.end?.message ?? 'The migration failed.',
    samples: last.samples.slice(-samples).map(sampleDigest),
    totalSamples: last.samples.length,
  };
  return {
    ...view,
    ...(last.startedAt === undefined ? {} : { startedAt: last.startedAt }),
    ...(last.end === undefined ? {} : { endedAt: last.end.at }),
    ...(last.end?.error === undefined ? {} : { error: last.end.error }),
  };
}

export async function readLastFailedMigration(dataDir: string, hostId: string, vm?: string, fs: Pick<JournalFs, 'readFile'> = nodeJournalFs): Promise<Result<FailedMigrationView | null, FerryError>> {
  let text: string | undefined;
  try {
    text = await fs.readFile(join(dataDir, JOURNAL_FILE));
  } catch (e) {
    return err(ferryError('inventory.io', 'Ferry could not read its migration history.', String(e)));
  }
  if (text === undefined) return ok(null);
  return ok(lastFailedMigration(buildRecords(parseJournal(text).lines), hostId, vm));
}
