/**
 * The most recent failed migration from a host, read-only from the migration journal (migrations.jsonl in the data
 * directory) through the journal's own reader (openHistoryReader: the records' heads from the index, then the one
 * record's lines; a torn last line of a write in progress is skipped). Nothing here opens the file for writing.
 */
import { ok, err, type Result } from '../../../shared/result';
import { ferryError, type FerryError } from '../../../shared/errors';
import { sampleDigest, type FailedMigrationView } from '../../../shared/audit/troubleshoot';
import { nodeJournalFs, openHistoryReader, type JournalFs } from '../migration/journal';
import type { MigrationRecord } from '../migration/record';

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

export async function readLastFailedMigration(dataDir: string, hostId: string, vm?: string, fs: JournalFs = nodeJournalFs): Promise<Result<FailedMigrationView | null, FerryError>> {
  try {
    const history = await openHistoryReader(dataDir, fs);
    if (!history) return ok(null);
    try {
      // Picked from the heads; only that record's samples are read.
      const id = lastFailedMigration(await history.heads(), hostId, vm)?.id;
      const rec = id === undefined ? undefined : await history.readRecord(id);
      return ok(rec ? lastFailedMigration([rec], hostId, vm) : null);
    } finally {
      await history.close();
    }
  } catch (e) {
    return err(ferryError('inventory.io', 'Ferry could not read its migration history.', String(e)));
  }
}
