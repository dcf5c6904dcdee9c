// The evacuation's report: a row per VM in HTML (self-contained, escaped), CSV (units in the headers, raw numbers,
// formula-safe text, empty for unknown) and JSON; and the export channel's delivery, PDF through the renderer given.
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { ok } from '../../shared/result';
import { evacuationViewSchema, type EvacuationView } from '../../shared/evacuation/schema';
import { buildEvacuationCsv, buildEvacuationHtml, buildEvacuationJson, EVACUATION_REPORT_SCHEMA_ID } from '../../shared/evacuation/report';
import { evacuationRunHandlers } from '../../electron/main/evacuation/run-handlers';
import { planRow } from './evacuation-fakes';

const T0 = Date.UTC(2026, 11, 8, 2, 30);
const view: EvacuationView = evacuationViewSchema.parse({
  id: 'ev1',
  hostId: 'a',
  hostName: 'hvA',
  state: 'ended',
  outcome: 'partial',
  limits: { perSource: 2, perDestination: 2 },
  startedAt: T0,
  endedAt: T0 + 95_000,
  rows: [
    { ...planRow('vm1', 'b', 4000), candidates: [{ hostId: 'b', hostName: 'hvB' }], runState: 'done', migrationId: 'm1', startedAt: T0, endedAt: T0 + 5000, totalTimeMs: 4800, downtimeMs: 31 },
    { ...planRow('=vmx', 'c'), options: { live: true, p2p: true, postcopy: true }, runState: 'failed', migrationId: 'm2', reason: 'error: <script>alert(1)</script> domain not found' },
    { ...planRow('vm3', undefined, undefined, 'skip'), runState: 'skipped', reason: 'Left on the host, as the plan said.' },
  ],
});
const meta = { generatedAt: T0 + 100_000, exportedAt: T0 + 100_000, generator: 'Ferry test' };

describe('the evacuation report', () => {
  it('HTML: one self-contained page, a row per VM, predicted against actual, every value escaped', () => {
    const html = buildEvacuationHtml(view, meta);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('Evacuation report: hvA');
    expect(html.match(/<tr><td>/g)).toHaveLength(3);
    expect(html).toContain('<td>vm1</td><td>hvB</td>');
    expect(html).toContain('1 done, 1 failed, 1 skipped');
  });

  it('CSV: units in the headers, raw numbers, empty cells for unknowns, text a spreadsheet will not run', () => {
    const rows = parse(buildEvacuationCsv(view), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ vm: 'vm1', destination: 'hvB', action: 'live', predicted_total_ms: '4000', actual_total_ms: '4800', actual_downtime_ms: '31', result: 'done', migration_id: 'm1' });
    expect(rows[1]).toMatchObject({ vm: "'=vmx", destination: 'c', predicted_total_ms: '', result: 'failed' });
    expect(rows[1]?.options).toContain('postcopy');
    expect(rows[2]).toMatchObject({ vm: 'vm3', action: 'skip', result: 'skipped', destination: '' });
  });

  it('JSON: the evacuation as the view has it, under a schema id', () => {
    const doc = JSON.parse(buildEvacuationJson(view, meta)) as { schema: string; evacuation: unknown };
    expect(doc.schema).toBe(EVACUATION_REPORT_SCHEMA_ID);
    expect(evacuationViewSchema.parse(doc.evacuation)).toEqual(view);
  });

  it('the export channel: a download in web mode, PDF printed from the HTML by the renderer given', async () => {
    const printed: string[] = [];
    const h = evacuationRunHandlers({
      service: { view: (id) => (id === 'ev1' ? view : undefined), views: () => [view], start: async () => ok({ id: 'x' }), control: async (id) => ok({ id }), onChange: () => () => undefined },
      wallClock: () => T0,
      generator: 'Ferry test',
      pdf: async (html) => {
        printed.push(html);
        return ok(new Uint8Array([37, 80, 68, 70]));
      },
    });
    const ctx = { clientId: 't', transport: 'web' as const };
    const csv = await h.evacuationExport({ id: 'ev1', format: 'csv' }, ctx);
    expect(csv.ok && csv.value).toMatchObject({ delivery: 'download', fileName: 'ferry-evacuation-hvA-20261208-0230.csv', encoding: 'utf8' });
    const pdf = await h.evacuationExport({ id: 'ev1', format: 'pdf' }, ctx);
    expect(pdf.ok && pdf.value).toMatchObject({ delivery: 'download', encoding: 'base64', data: 'JVBERg==', bytes: 4 });
    expect(printed[0]).toContain('Evacuation report: hvA');
    const missing = await h.evacuationExport({ id: 'nope', format: 'json' }, ctx);
    expect(missing.ok).toBe(false);
    const got: unknown[] = [];
    h.evacuationsWatch({}, (e) => got.push(e), { ...ctx, subscription: 's1', end: () => undefined })();
    expect(got).toEqual([{ evacuations: [view] }]);
  });
});
