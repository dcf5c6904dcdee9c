// A host behind a jump host, added through the UI as an admin would: hvC with "Jump host(s)" root@hvA. Ferry's
// known_hosts starts empty, so the first key asked about is hvA's (the jump host), then hvC's; the host ends up
// connected, and hvC's sshd sees Ferry's connection come from hvA (this machine could reach hvC directly).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { lab, requireLab } from '../lab/use-lab';
import { hx, labHost, type HostName, type LabInfo } from '../lab/lab';
import { fingerprintSha256 } from '../../electron/main/ssh/known-hosts';
import { hostOption, openBlankConsole, screenshot, type BlankConsole, type WebFerry } from './harness';

const fingerprints = (info: LabInfo, h: HostName): string[] =>
  [labHost(info, h).hostKeys.ed25519, labHost(info, h).hostKeys.rsa].map((line) => fingerprintSha256(Buffer.from(line.split(/\s+/)[1] ?? '', 'base64')));

/** Established connections to hvC's sshd from `peer`, as hvC's kernel lists them. */
async function sshdPeersOnHvC(peer: string): Promise<number> {
  const r = await hx('hvC', ['ss', '-Htn', 'state', 'established', '( sport = :22 )']);
  return r.stdout.split('\n').filter((line) => line.includes(` ${peer}:`)).length;
}

describe.skipIf(!lab)('a host behind a jump host, through the UI', () => {
  let info: LabInfo;
  let blank: BlankConsole | undefined;
  let ferry: WebFerry;
  let page: Page;

  beforeAll(async () => {
    info = requireLab();
    blank = await openBlankConsole('ferry-e2e-jump-home-');
    ({ ferry, page } = blank);
  });

  afterAll(async () => {
    await blank?.close();
  });

  it('adds hvC through hvA: asks about hvA’s key first, then hvC’s, and connects through hvA', async () => {
    const hvA = labHost(info, 'hvA');
    const before = await sshdPeersOnHvC(hvA.ip);
    await page.goto(ferry.url);
    await page.getByRole('button', { name: /^Add (a )?host$/ }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add host' });
    await dialog.getByLabel('Name', { exact: true }).fill('hvC');
    await dialog.getByLabel('Address', { exact: true }).fill(labHost(info, 'hvC').ip);
    await dialog.getByLabel('User', { exact: true }).fill('root');
    await dialog.getByLabel('Key file', { exact: true }).check();
    await dialog.getByLabel('Private key path', { exact: true }).fill(info.clientKey);
    await dialog.getByLabel('Jump host(s)', { exact: true }).fill(`root@${hvA.ip}:22`);
    await dialog.getByRole('button', { name: 'Test connection' }).click();

    const keyRegion = dialog.getByRole('region', { name: 'Host key to trust' });
    await keyRegion.waitFor({ timeout: 20_000 });
    // The jump host first: its address and its own key, not hvC's.
    expect(await keyRegion.textContent()).toContain(hvA.ip);
    expect(fingerprints(info, 'hvA')).toContain((await keyRegion.getByTestId('host-key-fingerprint').textContent())?.trim());
    await screenshot(page, 'jump-01-hvA-key');
    await keyRegion.getByRole('button', { name: 'Trust this key' }).click();

    // Then hvC's own key, presented through hvA.
    await expect
      .poll(async () => (await keyRegion.isVisible()) && (await keyRegion.textContent())?.includes(labHost(info, 'hvC').ip), { timeout: 20_000 })
      .toBe(true);
    expect(fingerprints(info, 'hvC')).toContain((await keyRegion.getByTestId('host-key-fingerprint').textContent())?.trim());
    await keyRegion.getByRole('button', { name: 'Trust this key' }).click();

    await expect.poll(() => dialog.getByRole('status', { name: 'Connection test result' }).textContent(), { timeout: 20_000 }).toContain('hvC');
    await dialog.getByRole('button', { name: 'Save host' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 20_000 });
    await hostOption(page, 'hvC').and(page.locator('[data-state="connected"]')).waitFor({ timeout: 30_000 });
    await hostOption(page, 'hvC').click();
    await page.getByRole('tab', { name: 'Host details' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Host details' }).textContent(), { timeout: 10_000 }).toContain(`via root@${hvA.ip}:22`);
    await screenshot(page, 'jump-02-hvC-connected');

    // The inventory's own connection (made at its next refresh; the test's was a throw-away one) comes from hvA.
    await expect.poll(() => sshdPeersOnHvC(hvA.ip), { timeout: 30_000, interval: 500 }).toBeGreaterThan(before);
  });
});
