// The Network path tab end to end: `npm run web`, Debian's Chromium, the real lab. An admin adds hvA and hvC, opens
// hvA's "Network path" tab, checks the path to hvC and reads the flag that names the hop clipping it to 1500
// (lab-rt, 10.77.0.1), the two interfaces side by side, the hops with that hop marked, and the probe count. Then
// hvA -> hvB: clean at 9000 on both networks. Read-only on the hosts, apart from flushing hvA's learnt path MTUs
// first (what `lab.sh mtu` does too), so the router is asked again. Screenshots go to test-results/e2e/.
// Run under the lab lock: flock /var/tmp/ferry-lab.lock npx vitest run --project integration test/e2e/network-path.e2e.test.ts
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { lab, requireLab } from '../lab/use-lab';
import { hx } from '../lab/lab';
import { openLabConsole, hostOption, screenshot, type LabConsole } from './harness';

describe.skipIf(!lab)('network path end to end (web mode, Chromium, the lab)', () => {
  let ui: LabConsole;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const info = requireLab();
    ui = await openLabConsole(info, ['hvA', 'hvB', 'hvC'], { pageErrors });
    page = ui.page;
  });

  afterAll(async () => {
    await ui?.close();
  });

  it("checks hvA -> hvC from hvA's Network path tab and shows the flag naming the hop that clips the path to 1500", async () => {
    await hx('hvA', ['ip', 'route', 'flush', 'cache']);
    await hostOption(page, 'hvA').click();
    await page.getByRole('tab', { name: 'Network path' }).click();
    const panel = page.getByRole('region', { name: 'Network path' });
    await panel.getByRole('combobox', { name: 'Other host' }).selectOption({ label: 'hvC' });
    await panel.getByRole('button', { name: 'Check path' }).click();
    const summary = panel.getByRole('status', { name: 'Check summary' });
    await summary.waitFor({ timeout: 60_000 }).catch(async (e: unknown) => {
      await screenshot(page, '50-network-path-failed');
      throw new Error(`${String(e)}\npage errors: ${pageErrors.join('\n')}`);
    });
    expect(await summary.textContent()).toMatch(/^hvA → hvC: checked in \d+\.\d s with \d+ DF probes; \d+ flags \(worst: warning\)\.$/);

    const flag = panel.getByRole('list', { name: 'Flags' }).getByRole('listitem', { name: 'Path MTU 1500 at 10.77.0.1 (hop 1)' });
    const text = await flag.textContent();
    expect(text).toContain('10.77.0.1 (hop 1) forwards toward hvC (10.77.1.13) over a link of MTU 1500');
    expect(text).toContain("Fix: To migrate with 9000-byte packets, raise the MTU to 9000 on 10.77.0.1's interface toward hvC (10.77.1.13)");

    const route = panel.getByRole('region', { name: 'Management address 10.77.1.13' });
    const sides = route.getByRole('table', { name: 'Interfaces' });
    expect(await sides.getByRole('row', { name: /^MTU/ }).textContent()).toBe('MTU90001500');
    expect(await sides.getByRole('row', { name: /^Next hop/ }).textContent()).toBe('Next hop10.77.0.110.77.1.1');
    expect(await route.getByLabel('Path MTU', { exact: true }).textContent()).toMatch(/^Largest DF packet that passes: 1500 bytes; larger ones are refused by a router that says so/);
    expect(await route.getByLabel('Where the path MTU drops').textContent()).toBe(
      'Path MTU drops to 1500: 10.77.0.1 (hop 1) forwards toward hvC (10.77.1.13) over a link of MTU 1500, and says so (ICMP "fragmentation needed").',
    );
    const clipped = route.getByRole('table', { name: 'Hops' }).locator('tr[aria-current="location"]');
    expect(await clipped.textContent()).toMatch(/^110\.77\.0\.1/);
    await screenshot(page, '50-network-path-hvA-hvC');
  });

  it('checks hvA -> hvB: clean at 9000 on the management and the migration network, all migration ports reachable', async () => {
    const panel = page.getByRole('region', { name: 'Network path' });
    await panel.getByRole('combobox', { name: 'Other host' }).selectOption({ label: 'hvB' });
    await panel.getByRole('button', { name: 'Check path' }).click();
    const mig = panel.getByRole('region', { name: 'Migration network 10.77.2.12' });
    await mig.waitFor({ timeout: 60_000 });
    expect(await mig.getByLabel('Path MTU', { exact: true }).textContent()).toMatch(/^Largest DF packet that passes: 9000 bytes\./);
    expect(await panel.getByRole('region', { name: 'Management address 10.77.0.12' }).getByLabel('Path MTU', { exact: true }).textContent()).toMatch(/^Largest DF packet that passes: 9000 bytes\./);
    expect(await panel.getByRole('region', { name: 'Migration ports' }).textContent()).toContain('64 refused (reachable, nothing listening): 49152-49215');
    expect(await panel.getByRole('status', { name: 'Check summary' }).textContent()).toMatch(/1 flag \(worst: info\)/);
    await screenshot(page, '51-network-path-hvA-hvB');
    expect(pageErrors).toEqual([]);
  });
});
