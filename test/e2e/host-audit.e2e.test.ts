// The Readiness audit and Troubleshooting tabs end to end: `npm run web`, Debian's Chromium, the real lab. An admin
// adds hvA and hvB, opens hvA's "Readiness audit" tab, picks hvB as the peer and vm1, runs the audit and reads the
// findings (veth rings "Not supported", the migrateuri to keep migration off eth0); then reads vm1's QEMU log in the
// Troubleshooting tab. Read-only on the hosts. Screenshots go to test-results/e2e/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { lab, requireLab } from '../lab/use-lab';
import { virsh, vmReset } from '../lab/lab';
import { openLabConsole, hostOption, screenshot, type LabConsole } from './harness';

describe.skipIf(!lab)('host readiness audit end to end (web mode, Chromium, the lab)', () => {
  let ui: LabConsole;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const info = requireLab();
    const onA = await virsh('hvA', ['list', '--name']).catch(() => '');
    if (!onA.split('\n').includes('vm1')) await vmReset();
    ui = await openLabConsole(info, ['hvA', 'hvB'], { pageErrors });
    page = ui.page;
  });

  afterAll(async () => {
    await ui?.close();
  });

  it('opens hvA\'s Readiness audit tab, audits it towards hvB with vm1, and shows grouped findings with their fixes', async () => {
    await hostOption(page, 'hvA').click();
    await page.getByRole('tab', { name: 'Readiness audit' }).click();
    const panel = page.getByRole('region', { name: 'Readiness audit' });
    await panel.getByLabel('Peer host').selectOption({ label: 'hvB' }, { timeout: 10_000 }).catch(async (e: unknown) => {
      await screenshot(page, '40-readiness-audit-failed');
      throw new Error(`${String(e)}\npage errors: ${pageErrors.join('\n')}`);
    });
    await panel.getByLabel('VM', { exact: true }).selectOption({ label: 'vm1' });
    await panel.getByRole('button', { name: 'Run audit' }).click();
    const findings = panel.getByRole('region', { name: 'Audit findings' });
    await findings.waitFor({ timeout: 60_000 });
    const nics = findings.getByRole('region', { name: 'Network interfaces' });
    const rings = nics.getByRole('listitem', { name: 'eth0 ring sizes: Not supported' });
    await expect.poll(() => rings.textContent()).toContain('ring sizes are not supported by this driver (veth)');
    const net = findings.getByRole('region', { name: 'Migration network' }).getByRole('listitem', { name: 'Migration network to hvB: Warning' });
    expect(await net.textContent()).toContain('Fix: Migrate with --migrateuri tcp://10.77.2.12');
    expect(await findings.getByRole('region', { name: 'Bonding' }).textContent()).toContain('No bonds');
    expect(await findings.getByRole('region', { name: 'Clock' }).textContent()).toContain('No time sync service found');
    expect(await findings.getByLabel('Bandwidth-delay product').textContent()).toMatch(/^RTT \d+\.\d{3} ms to 10\.77\.2\.12 × 10 Gbit\/s on mig0 = bandwidth-delay product [\d.]+ KiB$/);
    await screenshot(page, '40-readiness-audit-hvA');
  });

  it('shows vm1\'s QEMU log tail in the Troubleshooting tab', async () => {
    await page.getByRole('tab', { name: 'Troubleshooting' }).click();
    const panel = page.getByRole('region', { name: 'Troubleshooting' });
    await panel.getByLabel('VM', { exact: true }).selectOption({ label: 'vm1' });
    await panel.getByRole('button', { name: 'Show logs' }).click();
    const log = panel.getByLabel('QEMU log of vm1');
    await log.waitFor({ timeout: 30_000 });
    expect(await log.textContent()).toMatch(/qemu-system-x86_64|guest=vm1/);
    await panel.getByRole('region', { name: 'Last failed migration' }).waitFor();
    await screenshot(page, '41-troubleshooting-hvA');
    expect(pageErrors).toEqual([]);
  });
});
