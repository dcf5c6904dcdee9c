// The dev fake as a developer opens it (docs/ui.md): a development build served over 127.0.0.1 and `?fake=1` in
// Chromium. Its back ends are main's own handler modules, so a Node-only API one of them touches while loading
// (csv-stringify's Node build called Buffer) breaks the page in a browser while every Node test passes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { launchChromium } from './harness';

const ROOT = join(__dirname, '..', '..');

describe('the dev fake in Chromium (?fake=1)', () => {
  let out = '';
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'ferry-ui-dev-'));
    // A separate process, as docs/ui.md builds it: NODE_ENV=development keeps import.meta.env.DEV true.
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--mode', 'development', '--outDir', out, '--logLevel', 'error'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'development' },
      stdio: 'pipe',
    });
    server = await preview({ root: join(ROOT, 'renderer'), configFile: join(ROOT, 'vite.config.ts'), build: { outDir: out }, preview: { host: '127.0.0.1', port: 0, strictPort: false }, logLevel: 'error' });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('opens with its three connected hosts and their VMs, and no error on the page', async () => {
    const url = server?.resolvedUrls?.local[0];
    if (!url || !browser) throw new Error('the preview server did not start');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}?fake=1`);
    await page.getByText('2,000 VMs').first().waitFor({ timeout: 30_000 });
    for (const host of ['hvA', 'hvB', 'hvC']) await expect.poll(() => page.getByText(host, { exact: true }).count()).toBeGreaterThan(0);
    expect(await page.getByText('Connected', { exact: true }).count()).toBe(3);
    expect(errors).toEqual([]);
  });
});
