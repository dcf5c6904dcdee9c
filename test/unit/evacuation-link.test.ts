// A migration started for a host evacuation carries the evacuation's id: journalled with its start, read back after
// a restart, shown in the record view; a journal written before the link existed still reads.
import { describe, expect, it } from 'vitest';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrationRecordSchema } from '../../shared/migration/record-schema';
import { recordView } from '../../electron/main/migration/handlers';
import { JOURNAL_FILE } from '../../electron/main/migration/journal-lines';
import { engineFixture, hvA, hvB, out, scriptedHosts } from './engine-fakes';

const engines = engineFixture('ferry-evac-link-');
const hosts = scriptedHosts(() => out(''));
const req = { vm: 'vm1', source: hvA, destination: hvB, options: { live: true, p2p: true } };

describe('the link from a migration to its evacuation', () => {
  it('is journalled with the start and read back by the next engine', async () => {
    const first = await engines.open(hosts, { newId: () => 'm-linked' });
    const r = await first.engine.refuse({ ...req, evacuationId: 'ev-1' }, 'Pre-flight refused the start.');
    expect(r.ok).toBe(true);
    await first.close();
    const again = await engines.open(hosts);
    const rec = again.engine.record('m-linked') ?? (await again.journal.readRecord('m-linked'));
    expect(rec?.start?.evacuationId).toBe('ev-1');
    expect(migrationRecordSchema.parse(recordView(rec!)).evacuationId).toBe('ev-1');
  });

  it('is absent for a start line written before it existed, and the record reads whole', async () => {
    const dir = engines.dataDir();
    const start = { vm: 'vm1', source: hvA, destination: hvB, options: { live: true }, argv: ['virsh'], commandLine: 'virsh', intervalMs: 1000 };
    appendFileSync(join(dir, JOURNAL_FILE), `${JSON.stringify({ v: 1, n: 1, type: 'start', id: 'm-old', at: 1, start })}\n${JSON.stringify({ v: 1, n: 2, type: 'end', id: 'm-old', at: 2, end: { state: 'refused', message: 'no', wallMs: 0 } })}\n`);
    const opened = await engines.open(hosts);
    const rec = opened.engine.record('m-old') ?? (await opened.journal.readRecord('m-old'));
    expect(rec?.state).toBe('refused');
    const view = migrationRecordSchema.parse(recordView(rec!));
    expect(view.vm).toBe('vm1');
    expect(view.evacuationId).toBeUndefined();
  });
});
