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
import { hostOption, launchChromium, screenshot } from './harness';

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

  it('evacuates a host: maintenance, the plan, the run under 2 at once, a row’s live view, abort all; the host is offered to nobody', async () => {
    const url = server?.resolvedUrls?.local[0];
    if (!url || !browser) throw new Error('the preview server did not start');
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Few VMs, so the fake's hosts have room for them (its 2,000 default VMs overcommit every host's memory).
    await page.goto(`${url}?fake=1&vms=12&tick=0&latency=20`);
    await hostOption(page, 'hvA').click();
    const header = page.getByTestId('host-header');
    // From the keyboard: M on the focused host in the list.
    await page.keyboard.press('m');
    await expect.poll(() => header.getByRole('button', { name: 'Maintenance mode' }).getAttribute('aria-pressed')).toBe('true');
    await hostOption(page, 'hvA').getByTestId('maintenance-badge').waitFor();

    await header.getByRole('button', { name: 'Evacuate…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Evacuate hvA' });
    const plan = dialog.getByRole('table', { name: 'Evacuation plan' });
    await plan.getByRole('row').nth(1).waitFor();
    const rows = await plan.getByRole('row').count();
    expect(rows).toBeGreaterThan(2);
    await expect.poll(() => dialog.getByTestId('evacuation-estimate').textContent()).toMatch(/under 2 per source, 2 per destination/);
    await screenshot(page, 'evacuation-plan');
    await dialog.getByRole('button', { name: 'Start evacuation' }).click();
    await dialog.waitFor({ state: 'detached' });

    const view = page.getByRole('region', { name: 'Evacuation of hvA' });
    await view.waitFor();
    await expect.poll(async () => Number(await view.getByTestId('count-running').textContent())).toBe(2);
    await page.getByRole('region', { name: 'Running migrations' }).getByText('Evacuating hvA').waitFor();
    await screenshot(page, 'evacuation-view');
    const live = view.getByRole('button', { name: /^Live view of / }).first();
    const vm = (await live.getAttribute('aria-label'))?.replace('Live view of ', '') ?? '';
    await live.click();
    await page.getByRole('heading', { name: new RegExp(`^${vm}: hvA → hv[BC]$`) }).waitFor();
    await page.getByRole('button', { name: 'Back to evacuation' }).click();
    await view.waitFor();

    await view.getByRole('button', { name: 'Abort all…' }).click();
    await view.getByRole('button', { name: 'Abort all', exact: true }).click();
    await expect.poll(() => view.getByTestId('evacuation-state').textContent(), { timeout: 15_000 }).toBe('Ended: aborted');
    expect(Number(await view.getByTestId('count-running').textContent())).toBe(0);

    // hvA, still in maintenance, is refused as a destination in the migrate dialog, with the reason.
    await view.getByRole('button', { name: 'Back to inventory' }).click();
    await hostOption(page, 'hvB').click();
    await page.getByRole('grid', { name: 'Virtual machines' }).getByRole('row').nth(1).click();
    await page.getByRole('button', { name: /^Migrate .*…$/ }).click();
    const migrate = page.getByRole('dialog', { name: /^Migrate / });
    const refused = migrate.getByRole('option', { name: /^hvA — hvA is in maintenance/ });
    expect(await refused.isDisabled()).toBe(true);
    expect(errors).toEqual([]);
  });
});
