// What the migration view says while a busy guest migrates, end to end (`npm run web`, Debian's Chromium, the lab):
// auto-converge's throttle is shown live and charted and the run is never called lost while the throttle works;
// after an abort the box of the last sample keeps its figures. Screenshots go to test-results/e2e/.
import { afterAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { lab } from '../lab/use-lab';
import { cancelWatchdog, startWatchdog, vmReset } from '../lab/lab';
import { dragVmOnto, labConsoleSuite, screenshot } from './harness';

describe.skipIf(!lab)('the migration view on a busy guest (web mode, Chromium, the lab)', () => {
  let page: Page;
  let watchdog: number | undefined;

  /** The value shown under a figure's label in a figures box. */
  const figure = (box: Locator, label: string): Locator => box.locator('.figures__item').filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd');

  labConsoleSuite(['hvA', 'hvB'], (ui) => {
    page = ui.page;
  });

  afterAll(async () => {
    if (watchdog !== undefined) await cancelWatchdog(watchdog).catch(() => undefined);
  });

  it('shows auto-converge’s throttle live and on the chart, and calls the run slow, never lost, until it completes', async () => {
    watchdog = await startWatchdog('hvA', 'vmd', 240);
    const dialog = await dragVmOnto(page, 'vmd', 'hvA', 'hvB');
    await dialog.getByLabel('Auto-converge (throttle a busy guest)').check();
    await dialog.getByLabel('Bandwidth cap').fill('8');
    await expect.poll(() => dialog.textContent()).toContain("'--auto-converge'");
    await dialog.getByRole('button', { name: 'Start migration' }).click();

    // The "Migrating vmd." toast does not cover the tray's Migration history button.
    const toast = page.getByRole('region', { name: 'Confirmations' });
    await toast.waitFor({ timeout: 10_000 });
    const history = page.getByRole('button', { name: /^Migration history/ });
    const [a, b] = [await toast.boundingBox(), await history.boundingBox()];
    expect(a && b && (a.y + a.height <= b.y || b.y + b.height <= a.y || a.x + a.width <= b.x || b.x + b.width <= a.x), `toast ${JSON.stringify(a)} over button ${JSON.stringify(b)}`).toBe(true);

    const verdict = page.getByRole('status', { name: 'Migration verdict' });
    const box = page.locator('dl[aria-label="Live figures"]');
    // Before QEMU throttles the figure says so; then the percentage.
    await expect.poll(() => figure(box, 'Throttle').textContent(), { timeout: 60_000, interval: 500 }).toBe('not yet');
    const seen: string[] = [];
    let throttle = '';
    const until = Date.now() + 200_000;
    while (Date.now() < until) {
      const text = (await verdict.textContent()) ?? '';
      seen.push(text);
      if (/Completed in/.test(text)) break;
      const t = (await figure(box, 'Throttle').textContent().catch(() => '')) ?? '';
      if (/^\d+ %$/.test(t) && throttle === '') {
        throttle = t;
        await screenshot(page, '30-vmd-auto-converge-throttle');
        // The verdict names the same throttle, and the chart draws it.
        expect(text).toContain(t);
        await expect.poll(async () => Number(await page.getByRole('region', { name: 'Migration chart' }).getAttribute('data-throttle-points')), { timeout: 5_000 }).toBeGreaterThan(0);
      }
      await page.waitForTimeout(500);
    }
    await screenshot(page, '31-vmd-auto-converge-completed');
    expect(throttle, 'a throttle figure was shown while the run went on').toMatch(/^\d+ %$/);
    expect(seen.at(-1)).toMatch(/Completed in/);
    expect(seen.filter((t) => /^Not converging\./.test(t))).toEqual([]);
    expect(seen.filter((t) => /throttl\w* .*\b0 %/.test(t))).toEqual([]);
    await cancelWatchdog(watchdog);
    watchdog = undefined;
  }, 300_000);

  it('after an abort, the box of the last sample before the end keeps that sample’s figures', async () => {
    await vmReset();
    await page.reload();
    watchdog = await startWatchdog('hvA', 'vmd', 120);
    const dialog = await dragVmOnto(page, 'vmd', 'hvA', 'hvB');
    await dialog.getByLabel('Auto-converge (throttle a busy guest)').uncheck();
    await dialog.getByLabel('Bandwidth cap').fill('8');
    await dialog.getByRole('button', { name: 'Start migration' }).click();
    const verdict = page.getByRole('status', { name: 'Migration verdict' });
    const live = page.locator('dl[aria-label="Live figures"]');
    // Wait for the re-send passes, so the aborted job had real figures.
    await expect.poll(async () => Number((await figure(live, 'Iteration').textContent()) ?? 0), { timeout: 90_000, interval: 500 }).toBeGreaterThanOrEqual(2);
    await page.getByRole('button', { name: 'Abort migration' }).first().click();
    await page.getByRole('group', { name: 'Confirm abort' }).getByRole('button', { name: 'Abort migration' }).click();
    await expect.poll(() => verdict.textContent(), { timeout: 30_000, interval: 500 }).toMatch(/^Aborted\./);
    const last = page.locator('dl[aria-label="Last sample before the end"]');
    await last.waitFor({ timeout: 10_000 });
    await screenshot(page, '32-vmd-aborted-last-sample');
    expect(await figure(last, 'Throughput').textContent()).toMatch(/^\d+\.\d MiB\/s$/);
    expect(await figure(last, 'Remaining').textContent()).toMatch(/^\d+\.\d MiB$/);
    expect(await figure(last, 'Iteration').textContent()).toMatch(/^\d+$/);
    expect(await figure(last, 'Expected downtime').textContent()).toMatch(/\d/);
    await cancelWatchdog(watchdog);
    watchdog = undefined;
  }, 180_000);
});
