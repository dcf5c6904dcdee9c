// Reports end to end: `npm run web`, Debian's Chromium, the real lab. vm1 is dragged from hvA onto hvB and back
// (two real migrations of one VM); the history browser shows them; one is exported in all four formats through the
// browser's downloads. The PDF becomes PNG pages (pdftoppm) and its text (pdftotext) names the VM, the hosts, the
// total time and the downtime; the CSV reads back to the samples ferry.migrations.get answers; the JSON re-imports
// (through the browser's file input) to an identical record; the HTML opens in Chromium with every request failed
// and offline, and shows its charts. The two runs are compared. Exports are kept in test-results/e2e/reports/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Download, Locator, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { lab, requireLab } from '../lab/use-lab';
import { vmReset, type LabInfo } from '../lab/lab';
import { addLabHost, hostOption, launchChromium, newPage, screenshot, SCREENSHOTS, startWebFerry, type WebFerry } from './harness';
import { createClient, type FerryClient } from '../../renderer/src/api/client';
import { createWebSocketBridge, type SocketLike } from '../../renderer/src/api/ws-bridge';
import { WS_PATH } from '../../shared/ipc/channels';
import { migrationsGet, migrationsList } from '../../shared/ipc/contract';
import type { MigrationRecordView, MigrationSample } from '../../shared/migration/record-schema';
import { reportsGet } from '../../shared/ipc/reports-contract';
import { unwrap } from '../../shared/result';
import { formatMilliseconds } from '../../shared/units';
import { formatChange } from '../../shared/reports/metrics';
import { buildJsonReport } from '../../shared/reports/schema';

const OUT = path.join(SCREENSHOTS, 'reports');

describe.skipIf(!lab)('reports end to end (web mode, Chromium, the lab)', () => {
  let info: LabInfo;
  let ferry: WebFerry;
  let browser: Browser;
  let page: Page;
  let api: FerryClient;
  let close: () => void = () => undefined;

  /** Drags vm1's row of FROM onto TO (as migrate.e2e.test.ts does) and opens the options. */
  async function dragVm1(from: 'hvA' | 'hvB', to: 'hvA' | 'hvB'): Promise<Locator> {
    const back = page.getByRole('button', { name: 'Back to inventory' });
    if (await back.isVisible()) await back.click();
    await hostOption(page, from).click();
    const row = page.getByRole('grid', { name: 'Virtual machines' }).getByRole('row').filter({ hasText: /^vm1/ });
    await row.waitFor({ timeout: 30_000 });
    const a = await row.boundingBox();
    const b = await hostOption(page, to).boundingBox();
    if (!a || !b) throw new Error(`vm1's row or ${to} is not on screen`);
    await page.mouse.move(a.x + 30, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(a.x + 45, a.y + a.height / 2, { steps: 4 });
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await page.mouse.up();
    const dialog = page.getByRole('dialog', { name: 'Migrate vm1' });
    await dialog.waitFor({ timeout: 10_000 });
    if (!(await dialog.getByLabel('Bandwidth cap').isVisible())) await dialog.getByText('Options', { exact: true }).click();
    return dialog;
  }

  async function migrate(from: 'hvA' | 'hvB', to: 'hvA' | 'hvB', capMiBps: number): Promise<void> {
    const dialog = await dragVm1(from, to);
    await dialog.getByLabel('Bandwidth cap').fill(String(capMiBps));
    await expect.poll(() => dialog.textContent()).toContain(`'--bandwidth' '${capMiBps}'`);
    await dialog.getByRole('button', { name: 'Start migration' }).click();
    const verdict = page.getByRole('status', { name: 'Migration verdict' });
    await verdict.waitFor({ timeout: 30_000 });
    await expect.poll(() => verdict.textContent(), { timeout: 120_000, interval: 500 }).toMatch(/Completed in .* of downtime/);
  }

  async function saveDownload(click: () => Promise<void>): Promise<{ file: string; download: Download }> {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), click()]);
    const file = path.join(OUT, download.suggestedFilename());
    await download.saveAs(file);
    return { file, download };
  }

  beforeAll(async () => {
    info = requireLab();
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    await vmReset();
    ferry = await startWebFerry({ env: { SSH_AUTH_SOCK: '' } });
    const url = new URL(ferry.url);
    const bridge = createWebSocketBridge({
      url: `ws://${url.host}${WS_PATH}`,
      token: url.searchParams.get('token') ?? '',
      createSocket: (u, protocols) => new WebSocket(u, protocols) as unknown as SocketLike,
    });
    close = () => bridge.close();
    api = createClient(bridge);
    browser = await launchChromium();
    page = await newPage(browser);
    await page.goto(ferry.url);
    await addLabHost(page, info, 'hvA');
    await addLabHost(page, info, 'hvB');
  });

  afterAll(async () => {
    close();
    await browser?.close();
    await ferry?.stop();
    await vmReset();
  });

  it('exports a real migration as PDF, CSV, JSON and HTML that say what happened, re-import losslessly, and compares two runs of vm1', async () => {
    await migrate('hvA', 'hvB', 10); // ~9 s at 10 MiB/s: enough samples to draw
    await migrate('hvB', 'hvA', 40);
    const records = unwrap(await api.invoke(migrationsList, {}));
    const there = records.find((r) => r.vm === 'vm1' && r.source.name === 'hvA' && r.state === 'completed') as MigrationRecordView;
    expect(there, JSON.stringify(records.map((r) => [r.vm, r.source.name, r.state]))).toBeDefined();
    const journal = unwrap(await api.invoke(migrationsGet, { id: there.id }));
    expect(journal.samples.length).toBeGreaterThan(2);
    const total = formatMilliseconds(there.result.totalTimeMs ?? NaN);
    const downtime = formatMilliseconds(there.result.downtimeMs ?? NaN);

    // The browser: both runs, newest first; filter to the hvA -> hvB one and open it.
    await page.getByRole('button', { name: 'Reports' }).click();
    const browserPanel = page.getByRole('dialog', { name: 'Migration reports' });
    const table = browserPanel.getByRole('table', { name: 'Migrations' });
    await expect.poll(() => table.getByRole('row').count(), { timeout: 10_000 }).toBe(3);
    await browserPanel.getByLabel('Filter migrations').fill('hvA → hvB');
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    const row = table.getByRole('row').nth(1);
    expect(await row.textContent()).toMatch(new RegExp(`vm1.*hvA → hvB.*${total}.*${downtime}.*Completed`));
    await screenshot(page, '40-reports-list');
    await row.getByRole('button', { name: /^Open vm1 hvA → hvB/ }).click();
    const charts = browserPanel.getByRole('region', { name: 'Report charts' });
    await charts.locator('svg').first().waitFor({ timeout: 10_000 });
    expect(await charts.locator('svg').count()).toBe(3);
    expect(await browserPanel.getByRole('table', { name: 'Timeline' }).textContent()).toMatch(/Pass \d+: /);
    expect(await browserPanel.getByLabel('Command').textContent()).toBe(there.commandLine);
    await screenshot(page, '41-report-detail');

    // Four exports of this migration, each a browser download.
    const exportAs = (f: string) => () => browserPanel.getByRole('button', { name: `Export this migration as ${f}` }).click();
    const pdf = await saveDownload(exportAs('PDF'));
    const csv = await saveDownload(exportAs('CSV'));
    const json = await saveDownload(exportAs('JSON'));
    const html = await saveDownload(exportAs('HTML'));
    expect(path.basename(pdf.file)).toMatch(/^ferry-vm1-hvA-hvB-\d{8}-\d{4}\.pdf$/);

    // PDF: pages as PNG, and its text says what happened.
    expect(readFileSync(pdf.file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    execFileSync('pdftoppm', ['-png', '-r', '60', pdf.file, path.join(OUT, 'report-page')]);
    const pngs = readdirSync(OUT).filter((f) => /^report-page-\d+\.png$/.test(f));
    expect(pngs.length).toBeGreaterThanOrEqual(1);
    for (const p of pngs) expect(readFileSync(path.join(OUT, p)).subarray(1, 4).toString('latin1')).toBe('PNG');
    const text = execFileSync('pdftotext', ['-layout', pdf.file, '-'], { encoding: 'utf8' });
    for (const s of ['vm1', 'hvA', 'hvB', total, downtime]) expect(text, `PDF text lacks ${s}`).toContain(s);
    expect(text).toMatch(new RegExp(`Total time\\s+${total.replace('.', '\\.')}`));
    expect(text).toMatch(new RegExp(`Downtime\\s+${downtime.replace('.', '\\.')}`));

    // CSV: the same samples as ferry.migrations.get, number for number.
    const rows = parseCsv(readFileSync(csv.file, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(journal.samples.length);
    const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
    journal.samples.forEach((s: MigrationSample, i) => {
      const r = rows[i] as Record<string, string>;
      expect([num(r['seq']), num(r['at_ms_since_epoch']), num(r['sample_latency_ms'])]).toEqual([s.seq, s.at, s.latencyMs]);
      expect(num(r['throughput_bytes_per_s'])).toBe(s.figures?.throughputBytesPerSecond);
      expect(num(r['dirty_rate_bytes_per_s'])).toBe(s.figures?.dirtyRateBytesPerSecond);
      expect(num(r['memory_remaining_bytes'])).toBe(s.figures?.remainingBytes);
      expect(num(r['memory_processed_bytes'])).toBe(s.figures?.processedBytes);
      expect(num(r['expected_downtime_ms'])).toBe(s.figures?.expectedDowntimeMs);
      expect(num(r['iteration'])).toBe(s.figures?.iteration);
      expect(r['migration_id']).toBe(there.id);
    });

    // JSON: imported through the browser's file input, it comes back identical and marked as imported.
    await browserPanel.getByRole('button', { name: 'Back to the list' }).click();
    await browserPanel.getByLabel('Import report (JSON)').setInputFiles(json.file);
    await expect.poll(() => browserPanel.getByRole('status', { name: 'Report outcome' }).textContent(), { timeout: 20_000 }).toMatch(/^Imported 1 migration from /);
    await browserPanel.getByLabel('Filter migrations').fill('imported');
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    expect(await table.getByRole('row').nth(1).textContent()).toMatch(/vm1\s*imported.*hvA → hvB/);
    const imported = unwrap(await api.invoke(reportsGet, { origin: 'imported', id: there.id }));
    expect(imported.record).toEqual(journal.record);
    expect(imported.samples).toEqual(journal.samples);
    expect(imported.importedFrom).toBe(path.basename(json.file));
    await screenshot(page, '42-reports-imported');

    // HTML: offline, every request failed, and the charts are there (SVG paths with data).
    const offline = await browser.newContext();
    const requested: string[] = [];
    await offline.route('**/*', (route) => (requested.push(route.request().url()), route.abort()));
    await offline.setOffline(true);
    const viewer = await offline.newPage();
    await viewer.setContent(readFileSync(html.file, 'utf8'), { waitUntil: 'load' });
    const paths = await viewer.locator('svg path[d]').evaluateAll((ps) => ps.map((p) => (p as unknown as { getAttribute(n: string): string | null }).getAttribute('d') ?? ''));
    expect(paths.some((d) => (d.match(/L/g) ?? []).length >= 2), paths.join('\n')).toBe(true);
    expect(await viewer.locator('svg').count()).toBe(3);
    expect(await viewer.locator('script').count()).toBe(0);
    expect(await viewer.textContent('body')).toContain(`${total}`);
    expect(requested).toEqual([]);
    await viewer.screenshot({ path: path.join(OUT, 'html-offline.png'), fullPage: true });
    await offline.close();

    // Comparison: the two vm1 runs side by side with their differences.
    await browserPanel.getByLabel('Filter migrations').fill('');
    await expect.poll(() => table.getByRole('row').count()).toBe(4);
    const jrows = table.getByRole('row').filter({ hasNotText: 'imported' });
    const boxes: Locator[] = [jrows.nth(1), jrows.nth(2)];
    for (const b of boxes) await b.getByRole('checkbox').check();
    await browserPanel.getByRole('button', { name: 'Compare selected' }).click();
    const figures = browserPanel.getByRole('table', { name: 'Comparison figures' });
    await figures.waitFor({ timeout: 10_000 });
    const back = records.find((r) => r.vm === 'vm1' && r.source.name === 'hvB' && r.state === 'completed') as MigrationRecordView;
    for (const [label, a, b] of [
      ['Total time', there.result.totalTimeMs, back.result.totalTimeMs],
      ['Downtime', there.result.downtimeMs, back.result.downtimeMs],
    ] as const) {
      if (a === undefined || b === undefined) throw new Error(`${label} missing from a completed run`);
      const cells = await figures.getByRole('row').filter({ hasText: label }).getByRole('cell').allTextContents();
      const diff = b - a;
      const sign = diff > 0 ? '+' : diff < 0 ? '−' : '';
      expect(cells).toEqual([
        label,
        formatMilliseconds(a),
        formatMilliseconds(b),
        sign + formatMilliseconds(Math.abs(diff)),
        a === 0 ? '—' : formatChange((diff / a) * 100),
      ]);
    }
    expect(await browserPanel.getByRole('region', { name: 'Comparison charts' }).locator('svg').count()).toBe(6);
    await screenshot(page, '43-reports-compare');

    // The selection (both runs, like a host evacuation) exported at once: one CSV with every sample of both.
    await browserPanel.getByRole('button', { name: 'Back to the list' }).click();
    const both = await saveDownload(() => browserPanel.getByRole('button', { name: 'Export selected as CSV' }).click());
    expect(path.basename(both.file)).toMatch(/^ferry-2-migrations-/);
    const backSamples = unwrap(await api.invoke(migrationsGet, { id: back.id })).samples;
    const bothRows = parseCsv(readFileSync(both.file, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(bothRows.map((r) => `${r['migration_id']}#${r['seq']}`).sort()).toEqual(
      [...journal.samples.map((s) => `${there.id}#${s.seq}`), ...backSamples.map((s) => `${back.id}#${s.seq}`)].sort(),
    );
  });

  it('keeps a long history light: 400 imported migrations leave a screenful of rows in the DOM', async () => {
    // A report of 400 migrations made from the real one (ids and start times changed), imported through the UI.
    const base = unwrap(await api.invoke(migrationsList, {})).find((r) => r.vm === 'vm1') as MigrationRecordView;
    const many = Array.from({ length: 400 }, (_, i) => ({ record: { ...base, id: `bulk-${i}`, vm: `bulk-vm-${String(i).padStart(3, '0')}`, startedAt: base.startedAt - i * 60_000, preflight: [], events: [] }, samples: [] }));
    const file = path.join(OUT, 'bulk-400.json');
    writeFileSync(file, buildJsonReport(many, { exportedAt: Date.now(), generator: 'reports e2e' }));
    const browserPanel = page.getByRole('dialog', { name: 'Migration reports' });
    await browserPanel.getByLabel('Filter migrations').fill('');
    await browserPanel.getByLabel('Import report (JSON)').setInputFiles(file);
    await expect.poll(() => browserPanel.getByRole('status', { name: 'Report outcome' }).textContent(), { timeout: 20_000 }).toBe('Imported 400 migrations from bulk-400.json.');
    await browserPanel.getByLabel('Filter migrations').fill('bulk-vm');
    await expect.poll(() => browserPanel.getByText(/^\d+ of \d+ migrations$/).textContent()).toMatch(/^400 of 40\d migrations$/);
    const table = browserPanel.getByRole('table', { name: 'Migrations' });
    const inDom = await table.locator('tbody tr:not([aria-hidden])').count();
    expect(inDom).toBeGreaterThan(5);
    expect(inDom).toBeLessThan(60);
    // Sorted by VM descending, the last one is reachable by scrolling and the first rows are gone from the DOM.
    await table.getByRole('button', { name: /^VM/ }).click();
    await table.getByRole('button', { name: /^VM/ }).click();
    await expect.poll(() => table.locator('tbody tr:not([aria-hidden])').first().textContent()).toMatch(/^bulk-vm-399/);
    await browserPanel.locator('.reports__scroll').evaluate((el) => ((el as unknown as { scrollTop: number; scrollHeight: number }).scrollTop = (el as unknown as { scrollHeight: number }).scrollHeight));
    await expect.poll(() => table.locator('tbody tr:not([aria-hidden])').last().textContent()).toMatch(/^bulk-vm-000/);
    expect(await table.locator('tbody tr:not([aria-hidden])').count()).toBeLessThan(60);
    await screenshot(page, '44-reports-long-history');
  });
});

// A damaged history needs no lab: a data directory whose journal has a line cut in the middle followed by garbage.
describe('a damaged migration history (web mode, Chromium)', () => {
  const host = (name: string) => ({ id: `h-${name}`, name, address: name });
  const start = (vm: string) => ({ vm, source: host('hvA'), destination: host('hvB'), options: { live: true }, argv: [], commandLine: `virsh migrate ${vm}`, intervalMs: 1000 });
  const rows = [
    { n: 1, type: 'start', id: 'm-done', at: 1_764_000_000_000, start: start('vm1') },
    { n: 2, type: 'end', id: 'm-done', at: 1_764_000_009_000, end: { state: 'completed', message: 'Migration completed.', final: { readOn: 'source', totalTimeMs: 9000, downtimeMs: 120 } } },
    { n: 3, type: 'start', id: 'm-lost', at: 1_764_000_100_000, start: start('vmd') },
    { n: 4, type: 'end', id: 'm-lost', at: 1_764_000_200_000, end: { state: 'unknown', message: 'vmd runs on neither hvA nor hvB.' } },
    { n: 5, type: 'sample', id: 'm-lost', at: 1_764_000_200_500, sample: { seq: 9, latencyMs: 1 } },
  ].map((r) => JSON.stringify({ v: 1, ...r }));
  let dataDir: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ferry-e2e-damaged-'));
    const last = rows[4] ?? '';
    writeFileSync(path.join(dataDir, 'migrations.jsonl'), `${rows.slice(0, 4).join('\n')}\n${last.slice(0, 40)}\n%%% not a record %%%`);
    // One saved host (nothing listens there): the console, and its tray with the history button, need a host.
    const hvA = { id: 'h-hvA', name: 'hvA', address: '127.0.0.1', port: 9, user: 'root', auth: { kind: 'agent' }, addedAt: new Date(0).toISOString(), source: 'manual' };
    writeFileSync(path.join(dataDir, 'inventory.json'), JSON.stringify({ version: 1, hosts: [hvA], settings: { trustUserKnownHosts: false, refreshIntervalSec: 10 } }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Starts Ferry on the data directory, opens its page, and gives the banners about Ferry's data. */
  async function startAndRead(): Promise<{ ferry: WebFerry; page: Page; banners: string[] }> {
    const ferry = await startWebFerry({ env: { SSH_AUTH_SOCK: '' }, dataDir });
    const page = await newPage(browser as Browser);
    await page.goto(ferry.url);
    // Start-up problems arrive with the app's info, which the status bar shows (the banners are set in the same step).
    await page.getByText(/· web mode/).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Migration history (2)' }).waitFor({ timeout: 30_000 });
    const banners = await page.getByRole('region', { name: 'Notifications' }).getByText(/migration history/).allTextContents().catch(() => []);
    return { ferry, page, banners };
  }

  it('names the moved lines once, and shows each migration in the same state in Migration history and Reports', async () => {
    const first = await startAndRead();
    try {
      const moved = readdirSync(dataDir).filter((f) => f.startsWith('migrations.jsonl.damaged-'));
      expect(moved).toHaveLength(1);
      expect(first.banners).toHaveLength(1);
      expect(first.banners[0]).toContain('(line 5 cut off in the middle of a write, line 6 not valid JSON)');
      expect(first.banners[0]).toContain(path.join(dataDir, moved[0] ?? ''));
      await screenshot(first.page, '45-damaged-history-banner');

      // The migration history (the tray's button) and the reports browser say the same for each migration.
      await first.page.getByRole('button', { name: 'Migration history (2)' }).click();
      const history = first.page.getByRole('table', { name: 'Migration history' });
      const historyState = async (vm: string) => (await history.getByRole('row').filter({ hasText: vm }).locator('td').last().textContent())?.trim();
      expect(await historyState('vmd')).toBe('Outcome unknown');
      expect(await historyState('vm1')).toBe('Completed');
      await first.page.getByRole('button', { name: 'Reports' }).click();
      const table = first.page.getByRole('dialog', { name: 'Migration reports' }).getByRole('table', { name: 'Migrations' });
      await expect.poll(() => table.getByRole('row').count(), { timeout: 10_000 }).toBe(3);
      expect(await table.getByRole('row').filter({ hasText: 'vmd' }).textContent()).toContain('Outcome unknown');
      expect(await table.getByRole('row').filter({ hasText: 'vm1' }).textContent()).toContain('Completed');
      await screenshot(first.page, '46-damaged-history-reports');
    } finally {
      await first.ferry.stop();
    }
    for (const _ of [1, 2]) {
      const again = await startAndRead();
      try {
        expect(again.banners).toEqual([]);
      } finally {
        await again.ferry.stop();
      }
    }
    expect(readdirSync(dataDir).filter((f) => f.startsWith('migrations.jsonl.damaged-'))).toHaveLength(1);
  }, 180_000);
});
