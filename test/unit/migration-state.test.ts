// One migration, one state: the migration history (runLabel), the reports list (rows), the report page and the HTML
// export read a record's state through migrationStateLabel, so an 'unknown' outcome is never "Failed" in one view.
import { describe, expect, it } from 'vitest';
import type { MigrationRecordView } from '../../shared/migration/record-schema';
import { MIGRATION_STATES, migrationStateLabel } from '../../shared/migration/state';
import { runHead } from '../../renderer/src/store/migrationContract';
import { runLabel } from '../../renderer/src/features/migrate/runView';
import { filterRows, sortRows, toRows } from '../../renderer/src/features/reports/rows';
import { buildHtmlReport } from '../../shared/reports/html';

const record = (state: MigrationRecordView['state'], id = 'm-1'): MigrationRecordView => ({
  id,
  vm: 'vmd',
  source: { id: 'a', name: 'hvA' },
  destination: { id: 'b', name: 'hvB' },
  options: { live: true },
  commandLine: 'virsh migrate',
  preflight: [],
  state,
  startedAt: 1_000,
  endedAt: 9_000,
  result: {},
  events: [],
});

describe('the words for a migration state', () => {
  it('gives every state of MIGRATION_STATES its own words; ended states are the ones that cannot change on their own', () => {
    const labels = MIGRATION_STATES.map((s) => migrationStateLabel(s));
    expect(new Set(labels.map((l) => l.text)).size).toBe(MIGRATION_STATES.length);
    expect(MIGRATION_STATES.filter((s) => migrationStateLabel(s).ended)).toEqual(['completed', 'failed', 'aborted', 'refused', 'unknown']);
  });

  it("shows a reconciled 'unknown' as the same words in the migration history, the reports list and the HTML report", () => {
    const rec = record('unknown');
    const words = migrationStateLabel('unknown').text;
    expect(words).not.toMatch(/fail/i);
    const run = { ...runHead(rec), samples: [] };
    expect(runLabel(run).text).toBe(words);
    const rows = toRows([{ origin: 'journal', record: rec }]);
    expect(filterRows(rows, { text: words.toLowerCase(), result: '', host: '' })).toHaveLength(1);
    expect(filterRows(rows, { text: '', result: 'failed', host: '' })).toHaveLength(0);
    expect(buildHtmlReport([{ record: rec, samples: [] }], { generatedAt: 0, generator: 'test' })).toContain(`>${words}</span>`);
  });

  it('sorts the reports list by the words shown', () => {
    const rows = toRows([
      { origin: 'journal', record: record('unknown', 'u') },
      { origin: 'journal', record: record('aborted', 'a') },
      { origin: 'journal', record: record('completed', 'c') },
    ]);
    expect(sortRows(rows, 'result', 'asc').map((r) => r.item.record.id)).toEqual(['a', 'c', 'u']);
  });
});
