// Drag-to-migrate end to end: `npm run web`, Debian's Chromium, the real lab. An admin drags the idle vm1 from hvA
// onto hvB, starts it with the default profile, watches samples reach the chart, sees it complete, finds vm1 under
// hvB, and finds the migration in the history with its downtime. Screenshots go to test-results/e2e/.
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { lab } from '../lab/use-lab';
import { vmReset } from '../lab/lab';
import { dragVmOnto, hostOption as hostOptionOf, labConsoleSuite, screenshot } from './harness';

describe.skipIf(!lab)('drag-to-migrate end to end (web mode, Chromium, the lab)', () => {
  let page: Page;

  const hostOption = (name: string): Locator => hostOptionOf(page, name);
  /** Drags a VM of hvA onto hvB (harness.ts: the drop goes to the host under the pointer); the options open. */
  const dragToHvB = (vm: string): Promise<Locator> => dragVmOnto(page, vm, 'hvA', 'hvB');

  labConsoleSuite(['hvA', 'hvB'], (ui) => {
    page = ui.page;
  });

  it('drags vm1 from hvA onto hvB, migrates it capped at 20 MiB/s with live samples on the chart, and shows it under hvB and in the history', async () => {
    const dialog = await dragToHvB('vm1');
    await screenshot(page, '10-dropped-vm1-on-hvB');
    // The exact command that will run on hvA, every word quoted.
    expect(await dialog.textContent()).toContain(
      "'virsh' '--connect' 'qemu:///system' 'migrate' '--verbose' '--live' '--p2p' '--persistent' '--undefinesource' '--auto-converge' '--domain' 'vm1' '--desturi' 'qemu+ssh://root@10.77.0.12/system'",
    );
    // A 20 MiB/s cap makes the ~90 MiB transfer last a few seconds, so the 1 Hz samples draw a line.
    await dialog.getByLabel('Bandwidth cap').fill('20');
    await expect.poll(() => dialog.textContent()).toContain("'--bandwidth' '20'");
    await screenshot(page, '11-migrate-dialog');
    await dialog.getByRole('button', { name: 'Start migration' }).click();

    const verdict = page.getByRole('status', { name: 'Migration verdict' });
    await verdict.waitFor({ timeout: 30_000 });
    await expect.poll(() => verdict.textContent(), { timeout: 90_000, interval: 500 }).toMatch(/Completed in .* of downtime/);
    await screenshot(page, '12-migration-completed');
    // Samples reached the chart: the throughput line has several points (an SVG path with more than one segment).
    const chart = page.getByRole('region', { name: 'Migration chart' });
    const paths = await chart.locator('path.recharts-curve').evaluateAll((ps) => ps.map((p) => (p as unknown as { getAttribute(name: string): string | null }).getAttribute('d') ?? ''));
    expect(paths.some((d) => (d.match(/[LC]/g) ?? []).length >= 2), paths.join('\n')).toBe(true);

    await page.getByRole('button', { name: 'Back to inventory' }).click();
    await hostOption('hvB').click();
    await expect.poll(() => page.getByRole('grid', { name: 'Virtual machines' }).getByRole('row').allTextContents(), { timeout: 30_000 }).toEqual(
      expect.arrayContaining([expect.stringMatching(/vm1.*running.*hvB/)]),
    );

    await page.getByRole('button', { name: /^Migration history/ }).click();
    const history = page.getByRole('table', { name: 'Migration history' });
    const entry = history.getByRole('row').filter({ hasText: 'vm1' });
    await expect.poll(() => entry.first().textContent(), { timeout: 10_000 }).toMatch(/hvA.*hvB.*\d+ ms.*completed/is);
    await screenshot(page, '13-history');
  });

  it('calls the busy VM at a 5 MiB/s cap not converging, and switching to post-copy finishes it', async () => {
    await vmReset();
    await page.reload();
    const dialog = await dragToHvB('vmd');
    await dialog.getByLabel('Auto-converge (throttle a busy guest)').uncheck();
    await dialog.getByLabel('Allow post-copy').check();
    await dialog.getByLabel('Bandwidth cap').fill('5');
    await dialog.getByRole('button', { name: 'Start migration' }).click();
    const verdict = page.getByRole('status', { name: 'Migration verdict' });
    // The guest dirties about as fast as the cap lets QEMU send: the verdict must say so within a few passes.
    await expect.poll(() => verdict.textContent(), { timeout: 90_000, interval: 500 }).toMatch(/^Not converging\./);
    await screenshot(page, '14-vmd-not-converging');
    await page.getByRole('button', { name: 'Switch to post-copy' }).click();
    await expect.poll(() => verdict.textContent(), { timeout: 90_000, interval: 500 }).toMatch(/Completed in/);
    await screenshot(page, '15-vmd-post-copy-completed');
  });

  it('aborts a migration on request, and the VM keeps running on the source', async () => {
    await vmReset();
    await page.reload();
    const dialog = await dragToHvB('vmd');
    await dialog.getByLabel('Bandwidth cap').fill('5');
    await dialog.getByRole('button', { name: 'Start migration' }).click();
    const verdict = page.getByRole('status', { name: 'Migration verdict' });
    await expect.poll(() => verdict.textContent(), { timeout: 30_000, interval: 500 }).not.toMatch(/Waiting for the first sample/);
    await page.getByRole('button', { name: 'Abort migration' }).first().click();
    await page.getByRole('group', { name: 'Confirm abort' }).getByRole('button', { name: 'Abort migration' }).click();
    await expect.poll(() => verdict.textContent(), { timeout: 30_000, interval: 500 }).toMatch(/abort/i);
    await screenshot(page, '16-vmd-aborted');
    await page.getByRole('button', { name: 'Back to inventory' }).click();
    await hostOption('hvA').click();
    await expect.poll(() => page.getByRole('grid', { name: 'Virtual machines' }).getByRole('row').allTextContents(), { timeout: 30_000 }).toEqual(
      expect.arrayContaining([expect.stringMatching(/vmd.*running.*hvA/)]),
    );
  });
});
