// Main's reports channels over fakes of the migration channels: the browser's list (journal + imported, marked),
// exports built from what ferry.migrations.get answers (web mode: bytes to download; desktop: the save seam, never
// a renderer path), the PDF seam, imports into their own store (validated, replaced by id, never the journal), and
// the Chromium PDF argv. Electron itself cannot run on this machine: its seams are tested with fakes.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseCsv } from 'csv-parse/sync';
import type { MigrationRecordView, MigrationSample } from '../../shared/migration/record-schema';
import { migrationsGet, migrationsList } from '../../shared/ipc/contract';
import { reportsExport, reportsGet, reportsImport, reportsList } from '../../shared/ipc/reports-contract';
import { ferryError } from '../../shared/errors';
import { err, ok } from '../../shared/result';
import { buildJsonReport, parseJsonReport } from '../../shared/reports/schema';
import type { Caller } from '../../electron/main/ipc/handlers';
import { reportFileName, reportsHandlers, type MigrationReader } from '../../electron/main/reports/handlers';
import { chromiumPdf, chromiumPdfArgs } from '../../electron/main/reports/chromium-pdf';
import { electronPdf, electronSave } from '../../electron/main/reports/electron-seams';
import { IMPORTED_FILE } from '../../electron/main/reports/imported-store';

const web: Caller = { clientId: 'c1', transport: 'web' };
const desktop: Caller = { clientId: 'w1', transport: 'electron' };

function record(id: string, vm = 'vm1'): MigrationRecordView {
  return {
    id,
    vm,
    source: { id: 'a', name: 'hvA' },
    destination: { id: 'b', name: 'hvB' },
    options: { live: true, p2p: true },
    commandLine: "'virsh' 'migrate' '--live'",
    preflight: [],
    state: 'completed',
    startedAt: 1_764_072_000_000,
    endedAt: 1_764_072_006_000,
    result: { totalTimeMs: 5_321, downtimeMs: 41, dataBytes: 93_000_000 },
    events: [{ at: 1_764_072_000_000, kind: 'started', text: 'Started.' }],
  };
}
const samples: MigrationSample[] = [1, 2, 3].map((i) => ({
  seq: i,
  at: 1_764_072_000_000 + i * 1000,
  latencyMs: 1.5,
  figures: { throughputBytesPerSecond: 20_971_520 + i, dirtyRateBytesPerSecond: 4096 * i, remainingBytes: 90e6 - i * 20e6, iteration: i, expectedDowntimeMs: 300 - i },
}));

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(o: { pdf?: (html: string) => Promise<ReturnType<typeof ok<Uint8Array>>>; save?: Parameters<typeof reportsHandlers>[0]['save'] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-reports-'));
  dirs.push(dataDir);
  const journal = new Map([['m-1', record('m-1')], ['m-2', record('m-2', 'vmd')]]);
  const migrations: MigrationReader = {
    [migrationsList.id]: async () => ok([...journal.values()]),
    [migrationsGet.id]: async ({ id }) => {
      const r = journal.get(id);
      return r ? ok({ record: r, samples }) : err(ferryError('inventory.not-found', `No migration ${id}.`));
    },
  };
  const htmlSeen: string[] = [];
  const h = reportsHandlers({
    dataDir,
    wallClock: () => 1_764_080_000_000,
    generator: 'Ferry test',
    migrations: () => migrations,
    pdf: o.pdf ?? (async (html) => (htmlSeen.push(html), ok(new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d])))),
    ...(o.save ? { save: o.save } : {}),
  });
  return { h, dataDir, htmlSeen };
}

describe('reports list and detail', () => {
  it('lists the journal, then imported reports marked as imported', async () => {
    const { h } = setup();
    const text = buildJsonReport([{ record: record('m-9', 'vmx'), samples }], { exportedAt: 1, generator: 'elsewhere' });
    expect((await h[reportsImport.id]({ text, fileName: 'from-bob.json' }, web)).ok).toBe(true);
    const list = await h[reportsList.id]({}, web);
    expect(list.ok && list.value.items.map((i) => [i.origin, i.record.id, i.importedFrom])).toEqual([
      ['journal', 'm-1', undefined],
      ['journal', 'm-2', undefined],
      ['imported', 'm-9', 'from-bob.json'],
    ]);
    const got = await h[reportsGet.id]({ origin: 'imported', id: 'm-9' }, web);
    expect(got.ok && got.value).toMatchObject({ origin: 'imported', record: { vm: 'vmx' }, importedAt: 1_764_080_000_000 });
    const missing = await h[reportsGet.id]({ origin: 'journal', id: 'm-404' }, web);
    expect(!missing.ok && missing.error.message).toBe('No migration m-404.');
  });
});

describe('exports', () => {
  it('web mode: answers the bytes to download with a safe file name, never writing a file', async () => {
    const { h, dataDir } = setup();
    const csv = await h[reportsExport.id]({ refs: [{ origin: 'journal', id: 'm-1' }], format: 'csv' }, web);
    if (!csv.ok || csv.value.delivery !== 'download') throw new Error(JSON.stringify(csv));
    expect(csv.value).toMatchObject({ fileName: 'ferry-vm1-hvA-hvB-20251125-1200.csv', mimeType: 'text/csv;charset=utf-8', encoding: 'utf8' });
    const rows = parseCsv(csv.value.data, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => Number(r['throughput_bytes_per_s']))).toEqual(samples.map((s) => s.figures?.throughputBytesPerSecond));
    expect(csv.value.bytes).toBe(Buffer.byteLength(csv.value.data));
    const json = await h[reportsExport.id]({ refs: [{ origin: 'journal', id: 'm-1' }, { origin: 'journal', id: 'm-2' }], format: 'json' }, web);
    if (!json.ok || json.value.delivery !== 'download') throw new Error('no json');
    expect(json.value.fileName).toBe('ferry-2-migrations-20251125-1413.json');
    const doc = parseJsonReport(json.value.data);
    expect(doc.ok && doc.value.migrations.map((m) => m.record)).toEqual([record('m-1'), record('m-2', 'vmd')]);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('PDF: prints the same HTML report through the pdf seam and answers it as base64', async () => {
    const { h, htmlSeen } = setup();
    const pdf = await h[reportsExport.id]({ refs: [{ origin: 'journal', id: 'm-1' }], format: 'pdf' }, web);
    if (!pdf.ok || pdf.value.delivery !== 'download') throw new Error('no pdf');
    expect(pdf.value).toMatchObject({ encoding: 'base64', mimeType: 'application/pdf', bytes: 5 });
    expect(Buffer.from(pdf.value.data, 'base64').toString('latin1')).toBe('%PDF-');
    const html = await h[reportsExport.id]({ refs: [{ origin: 'journal', id: 'm-1' }], format: 'html' }, web);
    expect(html.ok && html.value.delivery === 'download' && html.value.data).toBe(htmlSeen[0]);
  });

  it('PDF: a failing renderer is the answer, not a crash', async () => {
    const { h } = setup({ pdf: async () => err(ferryError('command.failed', 'Chromium could not print the report to PDF.')) as never });
    const r = await h[reportsExport.id]({ refs: [{ origin: 'journal', id: 'm-1' }], format: 'pdf' }, web);
    expect(!r.ok && r.error.message).toBe('Chromium could not print the report to PDF.');
  });

  it('desktop: the save seam chooses the path; cancelling is not an error; web callers never reach it', async () => {
    const asked: { name: string; ext: string; size: number }[] = [];
    let answer: { path: string } | null = { path: '/home/me/report.html' };
    const { h } = setup({ save: async (t) => (asked.push({ name: t.suggestedName, ext: t.extension, size: t.data.byteLength }), ok(answer)) });
    const saved = await h[reportsExport.id]({ refs: [{ origin: 'journal', id: 'm-1' }], format: 'html' }, desktop);
    expect(saved.ok && saved.value).toMatchObject({ delivery: 'saved', path: '/home/me/report.html' });
    expect(asked[0]).toMatchObject({ name: 'ferry-vm1-hvA-hvB-20251125-1200.html', ext: 'html' });
    answer = null;
    expect(await h[reportsExport.id]({ refs: [{ origin: 'journal', id: 'm-1' }], format: 'json' }, desktop)).toEqual(ok({ delivery: 'cancelled' }));
    const viaWeb = await h[reportsExport.id]({ refs: [{ origin: 'journal', id: 'm-1' }], format: 'json' }, web);
    expect(viaWeb.ok && viaWeb.value.delivery).toBe('download');
    expect(asked).toHaveLength(2);
  });

  it('an unknown migration in the selection fails the export with its reason', async () => {
    const { h } = setup();
    const r = await h[reportsExport.id]({ refs: [{ origin: 'journal', id: 'm-1' }, { origin: 'imported', id: 'nope' }], format: 'csv' }, web);
    expect(!r.ok && r.error.message).toBe('No imported migration report has the id nope.');
  });

  it('file names keep only safe characters', () => {
    const e = { record: { ...record('x'), vm: '../../etc/pass wd', source: { id: 'a', name: 'hv A;rm' } }, samples: [] };
    expect(reportFileName([e], 'pdf', 0)).toBe('ferry-etc_pass_wd-hv_A_rm-hvB-20251125-1200.pdf');
  });
});

describe('imports', () => {
  it('validates, stores apart from the journal, and replaces by id', async () => {
    const { h, dataDir } = setup();
    const text = buildJsonReport([{ record: record('m-1'), samples }], { exportedAt: 1, generator: 'x' });
    expect(await h[reportsImport.id]({ text }, web)).toEqual(ok({ imported: [{ origin: 'imported', id: 'm-1' }], replaced: 0 }));
    expect(await h[reportsImport.id]({ text }, web)).toEqual(ok({ imported: [{ origin: 'imported', id: 'm-1' }], replaced: 1 }));
    const stored = JSON.parse(readFileSync(join(dataDir, IMPORTED_FILE), 'utf8')) as { entries: unknown[] };
    expect(stored.entries).toHaveLength(1);
    const back = await h[reportsGet.id]({ origin: 'imported', id: 'm-1' }, web);
    expect(back.ok && { record: back.value.record, samples: back.value.samples }).toEqual({ record: record('m-1'), samples });
    const bad = await h[reportsImport.id]({ text: '{"schema":"something-else"}' }, web);
    expect(!bad.ok && bad.error.message).toMatch(/not a Ferry migration report/);
  });

  it('a corrupt store is kept aside whole and reported, like the inventory; imports go on into a new file', async () => {
    const { h, dataDir } = setup();
    writeFileSync(join(dataDir, IMPORTED_FILE), '{"v":1,"entries":[{"torn');
    const list = await h[reportsList.id]({}, web);
    expect(list.ok && list.value.problems[0]?.message).toMatch(/imported reports file is not readable because it is not valid JSON.*It was kept as .*imported-reports\.json\.corrupt-/);
    const aside = readdirSync(dataDir).filter((f) => f.startsWith(`${IMPORTED_FILE}.corrupt-`));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dataDir, aside[0] ?? ''), 'utf8')).toBe('{"v":1,"entries":[{"torn');
    const text = buildJsonReport([{ record: record('m-1'), samples }], { exportedAt: 1, generator: 'x' });
    expect((await h[reportsImport.id]({ text }, web)).ok).toBe(true);
    expect((JSON.parse(readFileSync(join(dataDir, IMPORTED_FILE), 'utf8')) as { entries: unknown[] }).entries).toHaveLength(1);
  });
});

describe('PDF and save seams', () => {
  it('Chromium prints with networking off, a throw-away profile, and the report as a file URL', async () => {
    const calls: { file: string; args: readonly string[] }[] = [];
    const pdf = chromiumPdf({
      executable: '/usr/bin/chromium',
      exec: async (file, args) => {
        calls.push({ file, args });
        const out = args.find((a) => a.startsWith('--print-to-pdf='))?.slice('--print-to-pdf='.length) ?? '';
        const html = readFileSync(join(out, '..', 'report.html'), 'utf8');
        writeFileSync(out, `%PDF-1.4 ${html.length}`);
        return { stdout: '', stderr: '' };
      },
    });
    const r = await pdf('<p>hello</p>');
    expect(r.ok && Buffer.from(r.value).toString()).toBe('%PDF-1.4 12');
    expect(calls[0]?.args).toEqual(expect.arrayContaining(['--headless', '--no-sandbox', '--disable-background-networking', '--proxy-server=127.0.0.1:9', '--no-pdf-header-footer']));
    expect(calls[0]?.args.at(-1)).toMatch(/^file:\/\/.*\/report\.html$/);
    expect(chromiumPdfArgs('/tmp/x')).toContain('--user-data-dir=/tmp/x/profile');
  });

  it('a Chromium that fails or is missing gives a reason', async () => {
    const failing = chromiumPdf({ executable: '/usr/bin/chromium', exec: async () => Promise.reject(Object.assign(new Error('exit 1'), { stderr: 'boom' })) });
    const r = await failing('<p/>');
    expect(!r.ok && r.error).toMatchObject({ code: 'command.failed', message: 'Chromium could not print the report to PDF.' });
    expect(!r.ok && r.error.detail).toContain('boom');
    const silent = chromiumPdf({ executable: '/usr/bin/chromium', exec: async () => ({ stdout: '', stderr: '' }) });
    const s = await silent('<p/>');
    expect(!s.ok && s.error.message).toBe('Chromium finished without writing the PDF.');
  });

  // Electron cannot run on this machine (its binary cannot be downloaded here): the desktop seams run against fakes.
  it('Electron: a hidden sandboxed window without JavaScript prints the HTML, and is destroyed', async () => {
    const seen: { options?: unknown; url?: string; destroyed: boolean; navigate?: (e: { preventDefault(): void }) => void; open?: () => unknown } = { destroyed: false };
    class FakeWindow {
      webContents = {
        printToPDF: async () => Buffer.from('%PDF-electron'),
        on: (event: string, fn: (e: { preventDefault(): void }) => void) => {
          if (event === 'will-navigate') seen.navigate = fn;
        },
        setWindowOpenHandler: (fn: () => unknown) => (seen.open = fn),
      };
      constructor(options: unknown) {
        seen.options = options;
      }
      async loadURL(url: string) {
        seen.url = url;
      }
      destroy() {
        seen.destroyed = true;
      }
    }
    const r = await electronPdf(FakeWindow as never)('<h1>vm1</h1>');
    expect(r.ok && Buffer.from(r.value).toString()).toBe('%PDF-electron');
    expect(seen.options).toMatchObject({ show: false, webPreferences: { sandbox: true, javascript: false, nodeIntegration: false, contextIsolation: true } });
    let prevented = false;
    seen.navigate?.({ preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    expect(seen.open?.()).toEqual({ action: 'deny' });
    expect(Buffer.from(seen.url?.split(',')[1] ?? '', 'base64').toString()).toBe('<h1>vm1</h1>');
    expect(seen.destroyed).toBe(true);
  });

  it('Electron: the save dialog picks the path, the bytes are written there; cancel writes nothing', async () => {
    const writes: { path: string; size: number }[] = [];
    let reply: { canceled: boolean; filePath?: string } = { canceled: false, filePath: '/home/me/r.pdf' };
    const dialog = { showSaveDialog: async (o: { defaultPath?: string }) => (writes.length === 0 ? expect(o.defaultPath).toBe('r.pdf') : undefined, reply) };
    const save = electronSave(dialog as never, async (path, data) => void writes.push({ path, size: data.byteLength }));
    expect(await save({ suggestedName: 'r.pdf', filterName: 'PDF', extension: 'pdf', data: new Uint8Array(7) })).toEqual(ok({ path: '/home/me/r.pdf' }));
    reply = { canceled: true };
    expect(await save({ suggestedName: 'r.pdf', filterName: 'PDF', extension: 'pdf', data: new Uint8Array(7) })).toEqual(ok(null));
    expect(writes).toEqual([{ path: '/home/me/r.pdf', size: 7 }]);
  });
});
