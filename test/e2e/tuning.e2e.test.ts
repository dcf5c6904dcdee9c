// Tuning end to end: `npm run web`, Debian's Chromium, the real lab. An admin opens hvB's Tuning tab, plans towards
// hvA, sees the dry-run diff (GRO on mig0 off -> on with its exact ethtool command; no rings on veth), applies that one
// change after the confirmation, sees it verified, checks the history, and undoes it. The host is read with lab.sh hx
// (not through Ferry) before, after apply and after undo. Nothing is persisted (web mode's sysctl file is the real
// /etc/sysctl.d, which the lab hosts share with this machine). Run under the lab lock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { lab, requireLab } from '../lab/use-lab';
import { hx } from '../lab/lab';
import { openLabConsole, hostOption, screenshot, type LabConsole } from './harness';

const gro = async (): Promise<string | undefined> => /^generic-receive-offload: (\S+)/m.exec((await hx('hvB', ['ethtool', '-k', 'mig0'])).stdout)?.[1];

describe.skipIf(!lab)('tuning end to end (web mode, Chromium, the lab)', () => {
  let ui: LabConsole;
  let page: Page;
  let before: string;

  beforeAll(async () => {
    const info = requireLab();
    before = (await hx('hvB', ['ethtool', '-k', 'mig0'])).stdout;
    expect(await gro(), 'the lab default: gro off on veth').toBe('off');
    ui = await openLabConsole(info, ['hvA', 'hvB']);
    page = ui.page;
  });

  afterAll(async () => {
    await ui?.close();
    if (lab && (await gro()) !== 'off') await hx('hvB', ['ethtool', '-K', 'mig0', 'gro', 'off']);
  });

  it("plans hvB towards hvA, applies GRO on mig0 after the confirmation, verifies it, and undoes it from the history", async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await hostOption(page, 'hvB').click();
    await page.getByRole('tab', { name: 'Tuning' }).click();
    const panel = page.getByRole('region', { name: 'Tuning' });
    await panel.getByLabel('Peer host').selectOption({ label: 'hvA' });
    await panel.getByRole('button', { name: 'Plan' }).click();

    const table = panel.getByRole('table', { name: 'Proposed changes' });
    await table.waitFor({ timeout: 30_000 });
    const row = table.locator('tr[data-change="offload:mig0:gro"]');
    expect(await row.textContent()).toContain('off → on');
    expect(await row.textContent()).toContain("'ethtool' '-K' 'mig0' 'gro' 'on'");
    expect(await row.textContent()).toContain("'ethtool' '-K' 'mig0' 'gro' 'off'");
    expect(await table.locator('tr[data-change^="rings:"]').count()).toBe(0);
    await panel.getByText(/^Not proposed/).click();
    expect(await panel.getByRole('list', { name: 'Not proposed' }).textContent()).toContain('mig0: ring sizes are not supported by this driver (veth)');
    await screenshot(page, '60-tuning-plan-hvB');
    expect(await gro(), 'planning changes nothing').toBe('off');

    // Only GRO on mig0.
    const boxes = table.getByRole('checkbox');
    for (let i = 0; i < (await boxes.count()); i++) {
      const b = boxes.nth(i);
      if ((await b.isEnabled()) && (await b.isChecked())) await b.uncheck();
    }
    await table.getByRole('checkbox', { name: 'Choose GRO on mig0' }).check();
    await panel.getByRole('button', { name: 'Apply…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Apply 1 change on hvB?' });
    expect(await confirm.textContent()).toContain("'ethtool' '-K' 'mig0' 'gro' 'on'");
    expect(await gro(), 'nothing before the confirmation').toBe('off');
    await confirm.getByRole('button', { name: 'Apply 1 change' }).click();

    const applied = panel.getByRole('region', { name: 'Apply result' });
    await applied.getByRole('listitem', { name: 'GRO on mig0: applied, verified' }).waitFor({ timeout: 30_000 });
    expect(await applied.textContent()).toContain('reads on');
    expect(await gro()).toBe('on');
    await screenshot(page, '61-tuning-applied-hvB');

    const sets = panel.getByRole('region', { name: 'Change sets' });
    const latest = sets.getByRole('listitem').first();
    expect(await latest.getAttribute('data-status')).toBe('applied');
    await latest.getByRole('button', { name: 'Undo' }).click();

    const undone = panel.getByRole('region', { name: 'Undo result' });
    await undone.getByRole('listitem', { name: 'GRO on mig0: applied, verified' }).waitFor({ timeout: 30_000 });
    expect(await undone.textContent()).toContain('reads off');
    await expect.poll(() => sets.getByRole('listitem').first().getAttribute('data-status')).toBe('undone');
    expect(await gro()).toBe('off');
    expect((await hx('hvB', ['ethtool', '-k', 'mig0'])).stdout).toBe(before);
    await screenshot(page, '62-tuning-undone-hvB');
    expect(pageErrors).toEqual([]);
  });
});
