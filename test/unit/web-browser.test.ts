/**
 * The web transport in a real browser (Debian's Chromium through playwright-core): the page's CSP lets the
 * renderer client reach its own WebSocket with the token from the URL, and a page of another origin holding the
 * token still cannot connect. Without /usr/bin/chromium (apt-get install chromium) it is skipped, except under
 * CI=true, where a missing browser is a failure.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIpcCore } from '../../electron/main/ipc/core';
import { startWebServer, type WebServer } from '../../electron/main/web/server';
import { fakeMain, recordingLogger, type FakeMain, type RecordingLogger } from './ipc-harness';
import { CHROMIUM_HEADLESS_ARGS } from '../../electron/main/reports/chromium-pdf';

const CHROMIUM = '/usr/bin/chromium';

/** The page: the real renderer client, bundled, reporting what it got on window.__ferry. */
const PAGE_SCRIPT = `
import { api } from '${path.resolve('renderer/src/api/index.ts')}';
import { appInfo, inventoryWatch } from '${path.resolve('shared/ipc/contract.ts')}';
const report = (window.__ferry = { events: [] });
report.info = await api.invoke(appInfo, {});
api.subscribe(inventoryWatch, {}, (e) => report.events.push(e.type));
`;

/** What the test reads in the page (this file is type-checked without the DOM library). */
interface PageGlobals {
  __ferry?: { info: unknown; events: string[] };
  document: { title: string };
}

const runs = existsSync(CHROMIUM) || Boolean(process.env['CI']);

let dir: string;
let main: FakeMain;
let logger: RecordingLogger;
let server: WebServer;
let foreign: Server;
let browser: Browser;

beforeAll(async () => {
  if (!runs) return;
  dir = mkdtempSync(path.join(tmpdir(), 'ferry-web-browser-'));
  writeFileSync(path.join(dir, 'entry.ts'), PAGE_SCRIPT);
  await build({ entryPoints: [path.join(dir, 'entry.ts')], bundle: true, format: 'esm', target: 'es2022', outfile: path.join(dir, 'app.js'), logLevel: 'silent' });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Ferry</title><link rel="icon" href="data:,"><script type="module" src="./app.js"></script>');
  main = fakeMain();
  logger = recordingLogger();
  server = await startWebServer({ core: createIpcCore(main.handlers, { logger }), staticDir: dir, logger });
  // Another origin on this machine that somehow learnt the token.
  const attack = `<script>const ws = new WebSocket('ws://127.0.0.1:${server.port}/ws', ['ferry.v1', 'ferry-token.${server.token}']);
    ws.onopen = () => (document.title = 'open'); ws.onclose = () => (document.title = 'closed');</script>`;
  foreign = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(attack));
  await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_HEADLESS_ARGS] });
}, 30_000);

afterAll(async () => {
  if (!runs) return;
  await browser?.close();
  await server?.close();
  foreign?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!runs)('web transport in Chromium', () => {
  it('lets the page reach its WebSocket under the CSP with the token from the URL, then hides the token', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => m.type() === 'error' && violations.push(m.text()));
    await page.goto(server.url);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__ferry?.events.length === 1);
    const report = await page.evaluate(() => (globalThis as unknown as PageGlobals).__ferry);
    expect(report).toEqual({ info: { ok: true, value: expect.objectContaining({ mode: 'web' }) }, events: ['snapshot'] });
    expect(page.url()).toBe(`http://127.0.0.1:${server.port}/`);
    expect(violations).toEqual([]);
    await page.close();
    await expect.poll(() => main.watch.live).toBe(0); // closing the tab ended the subscription
  });

  it('refuses a page of another origin even when it holds the token', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(foreign.address() as { port: number }).port}/`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.title !== '');
    expect(await page.title()).toBe('closed');
    expect(logger.lines).toContainEqual(expect.objectContaining({ event: 'web.upgrade-refused', fields: expect.objectContaining({ why: 'origin' }) }));
    await page.close();
  });
});
