// The migrate dialog's rarer options and saved profiles end to end: `npm run web`, Debian's Chromium, the real lab.
// An admin drags vm1 from hvA onto hvB, sets the destination name, compression methods, TLS with its destination
// name and a migration URI, and sees each in the exact command line as it is typed (a half-typed URI is refused with
// the reason); saves the options as a profile; Ferry restarts on the same data directory and the profile is still
// there with the same options; the admin removes it. Last, a real migration with compression (xbzrle) and a tuned
// auto-converge completes, and its final statistics (libvirt's completed job) show in the view and the history; the
// VM goes back to hvA afterwards.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { lab, requireLab } from '../lab/use-lab';
import { vmReset, type LabInfo } from '../lab/lab';
import { addLabHost, dragVmOnto, hostOption, launchChromium, newPage, screenshot } from './harness';

interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * `npm run web -- --port 0 --data-dir DIR` on a data directory this test keeps across restarts (harness.ts's
 * startWebFerry makes a fresh one per server and deletes it on stop).
 */
function startWebFerryIn(dataDir: string): Promise<Server> {
  const child = spawn('npm', ['run', '--silent', 'web', '--', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, SSH_AUTH_SOCK: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stop() ends npm and the server together
  });
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
  };
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => void stop().then(() => reject(new Error(`npm run web printed no URL within 90 s:\n${log}`))), 90_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*token=\S+)/.exec(log);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ url: m[1], stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run web exited (${String(code)}) before printing its URL:\n${log}`));
    });
  });
}

describe.skipIf(!lab)('migrate options and saved profiles end to end (web mode, Chromium, the lab)', () => {
  let info: LabInfo;
  let dataDir: string;
  let server: Server | undefined;
  let browser: Browser;
  let page: Page;

  const commandLine = (dialog: Locator) => dialog.getByLabel('Command line');
  const profilePicker = (dialog: Locator) => dialog.getByRole('combobox', { name: 'Profile', exact: true });
  const savedProfiles = () => (JSON.parse(readFileSync(path.join(dataDir, 'profiles.json'), 'utf8')) as { profiles: { name: string; options: Record<string, unknown> }[] }).profiles;

  async function openFerry(): Promise<void> {
    server = await startWebFerryIn(dataDir);
    page = await newPage(browser);
    await page.goto(server.url);
  }

  beforeAll(async () => {
    info = requireLab();
    await vmReset(); // vm1 at home on hvA, whatever an earlier run left
    dataDir = mkdtempSync(path.join(tmpdir(), 'ferry-e2e-options-'));
    browser = await launchChromium();
    await openFerry();
    await addLabHost(page, info, 'hvA');
    await addLabHost(page, info, 'hvB');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await vmReset(); // the last test migrated vm1 to hvB
  });

  it('shows the destination name, compression methods, TLS name and migration URI in the exact command as they are set', async () => {
    const dialog = await dragVmOnto(page, 'vm1', 'hvA', 'hvB');
    await dialog.getByLabel('Name on the destination').fill('vm1-moved');
    await expect.poll(() => commandLine(dialog).textContent()).toContain("'--dname' 'vm1-moved'");

    await dialog.getByLabel('TLS', { exact: true }).check();
    await dialog.getByLabel('TLS destination name').fill('hvB');
    await expect.poll(() => commandLine(dialog).textContent()).toContain("'--tls' ");
    expect(await commandLine(dialog).textContent()).toContain("'--tls-destination' 'hvB'");

    await dialog.getByText('Advanced: network, streams, rarely used').click();
    await dialog.getByLabel('Compressed', { exact: true }).check();
    const methods = dialog.getByRole('group', { name: 'Compression methods' });
    await methods.getByLabel('xbzrle (re-sent pages as deltas)').check();
    await methods.getByLabel('mt (multithreaded zlib)').check();
    await expect.poll(() => commandLine(dialog).textContent()).toContain("'--comp-methods' 'xbzrle,mt'");
    expect(await commandLine(dialog).textContent()).toContain("'--compressed'");

    // Half typed, the URI is refused with the reason and no command is shown; completed, it is in the command.
    const uri = dialog.getByLabel('Migration URI');
    await uri.fill('tcp://');
    const problems = dialog.getByRole('list', { name: 'Problems with these options' });
    await expect.poll(() => problems.textContent()).toContain('--migrateuri: tcp://HOST[:PORT] or rdma://HOST[:PORT]');
    expect(await commandLine(dialog).count()).toBe(0);
    await uri.fill('tcp://10.77.2.12');
    await expect.poll(() => commandLine(dialog).textContent()).toContain("'--migrateuri' 'tcp://10.77.2.12'");

    await dialog.getByLabel('Initial throttle').fill('30');
    await expect.poll(() => commandLine(dialog).textContent()).toContain("'--auto-converge-initial' '30'");
    await screenshot(page, '30-migrate-options');
  });

  it('saves the options as a profile, refusing a built-in name and asking before replacing its own', async () => {
    const dialog = page.getByRole('dialog', { name: 'Migrate vm1' });
    await dialog.getByRole('button', { name: 'Save as profile…' }).click();
    const form = dialog.getByRole('form', { name: 'Save as profile' });
    await form.getByLabel('Profile name').fill('fast lan');
    await expect.poll(() => form.textContent()).toContain('“Fast LAN” is a built-in profile and cannot be overwritten');
    expect(await form.getByRole('button', { name: 'Save profile' }).isDisabled()).toBe(true);

    await form.getByLabel('Profile name').fill('Night copy to hvB');
    await form.getByRole('button', { name: 'Save profile' }).click();
    await form.waitFor({ state: 'detached' });
    await expect.poll(() => profilePicker(dialog).locator('option:checked').textContent()).toBe('Night copy to hvB');
    expect(savedProfiles()).toEqual([
      expect.objectContaining({ name: 'Night copy to hvB', options: expect.objectContaining({ dname: 'vm1-moved', compMethods: ['xbzrle', 'mt'], migrateUri: 'tcp://10.77.2.12', tlsDestination: 'hvB' }) }),
    ]);

    // The same name again, with one option changed: Ferry asks first, and replaces only when told to.
    await dialog.getByLabel('Initial throttle').fill('40');
    await dialog.getByRole('button', { name: 'Save as profile…' }).click();
    await form.getByLabel('Profile name').fill('night copy to hvb');
    await form.getByRole('button', { name: 'Save profile' }).click();
    const confirm = form.getByRole('group', { name: 'Confirm replace profile' });
    await expect.poll(() => confirm.textContent()).toContain('“Night copy to hvB” exists. Replace it with these options?');
    expect(savedProfiles()[0]?.options.autoConvergeInitial).toBe(30);
    await confirm.getByRole('button', { name: 'Replace profile' }).click();
    await form.waitFor({ state: 'detached' });
    expect(savedProfiles()).toEqual([expect.objectContaining({ name: 'night copy to hvb', options: expect.objectContaining({ autoConvergeInitial: 40 }) })]);
    await screenshot(page, '31-profile-saved');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('finds the profile again after Ferry restarts on the same data directory, with the same command, and removes it', async () => {
    await page.close();
    await server?.stop();
    await openFerry();
    // The hosts come back from the same inventory.json and known_hosts, and connect without a question.
    for (const name of ['hvA', 'hvB']) await hostOption(page, name).and(page.locator('[data-state="connected"]')).waitFor({ timeout: 30_000 });

    const dialog = await dragVmOnto(page, 'vm1', 'hvA', 'hvB');
    const picker = profilePicker(dialog);
    await expect.poll(() => picker.locator('optgroup[label="Saved"] option').allTextContents()).toEqual(['night copy to hvb']);
    await picker.selectOption({ label: 'night copy to hvb' });
    const line = await commandLine(dialog).textContent();
    for (const part of ["'--dname' 'vm1-moved'", "'--comp-methods' 'xbzrle,mt'", "'--migrateuri' 'tcp://10.77.2.12'", "'--tls-destination' 'hvB'", "'--auto-converge-initial' '40'"]) {
      expect(line).toContain(part);
    }
    expect(await dialog.getByLabel('Name on the destination').inputValue()).toBe('vm1-moved');
    await screenshot(page, '32-profile-after-restart');

    await dialog.getByRole('button', { name: 'Remove profile' }).click();
    await dialog.getByRole('group', { name: 'Confirm remove profile' }).getByRole('button', { name: 'Remove', exact: true }).click();
    await expect.poll(() => picker.locator('optgroup[label="Saved"] option').count()).toBe(0);
    expect(await picker.locator('option:checked').textContent()).toBe('Custom options');
    expect(savedProfiles()).toEqual([]);
    // The built-in profiles stay, and the options of the removed one stay in the dialog as custom options.
    expect(await picker.locator('optgroup[label="Built-in"] option').allTextContents()).toEqual(['Fast LAN', 'WAN + TLS']);
    expect(await commandLine(dialog).textContent()).toContain("'--dname' 'vm1-moved'");
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('runs a migration with the new options for real, and shows libvirt\'s final statistics as final, in the view and the history', async () => {
    const dialog = await dragVmOnto(page, 'vm1', 'hvA', 'hvB');
    await dialog.getByText('Advanced: network, streams, rarely used').click();
    await dialog.getByLabel('Compressed', { exact: true }).check();
    await dialog.getByRole('group', { name: 'Compression methods' }).getByLabel('xbzrle (re-sent pages as deltas)').check();
    await dialog.getByLabel('Initial throttle').fill('30');
    await dialog.getByLabel('Bandwidth cap').fill('40');
    await expect.poll(() => commandLine(dialog).textContent()).toContain("'--comp-methods' 'xbzrle'");
    await dialog.getByRole('button', { name: 'Start migration' }).click();

    const verdict = page.getByRole('status', { name: 'Migration verdict' });
    await verdict.waitFor({ timeout: 60_000 });
    await expect.poll(() => verdict.textContent(), { timeout: 120_000, interval: 500 }).toMatch(/^Completed\./);
    const finals = page.getByRole('region', { name: /^Final statistics/ });
    await finals.waitFor();
    const text = (await finals.textContent()) ?? '';
    // Figures from `domjobinfo --completed`: a total time in seconds, a downtime in ms, the MiB sent and their rate.
    expect(text).toMatch(/Total time\d+(\.\d{1,2})? s/);
    expect(text).toMatch(/Real downtime\d+ ms/);
    expect(text).toMatch(/Data sent\d+\.\d MiB/);
    expect(text).toMatch(/Average rate\d+\.\d MiB\/s/);
    // The live figures of the last running sample are not shown for a completed migration.
    expect(await page.getByText('Expected downtime', { exact: true }).count()).toBe(0);
    await screenshot(page, '33-final-statistics');

    const downtime = /Real downtime(\d+ ms)/.exec(text)?.[1];
    await page.getByRole('button', { name: 'Back to inventory' }).click();
    await page.getByRole('button', { name: /^Migration history/ }).click();
    const history = page.getByRole('table', { name: 'Migration history' });
    expect(await history.getByRole('columnheader', { name: 'Final statistics' }).count()).toBe(1);
    const row = history.getByRole('row').filter({ hasText: 'vm1' }).first();
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toMatch(new RegExp(`hvA.*hvB.*\\d s${downtime ?? 'no downtime'}\\d+\\.\\d MiBCompleted`));
    await screenshot(page, '34-history-final-statistics');
  });
});
