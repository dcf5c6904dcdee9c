// TLS migration end to end: `npm run web`, Debian's Chromium, the real lab. The lab's own PKI (lab.sh makes a CA
// and per-host server/client certificates in each host's pki/ directory, which qemu.conf names as
// migrate_tls_x509_cert_dir) lets a `--tls` migration of vm1 from hvA to hvB complete. With hvB's server
// certificate moved aside, the dialog's pre-flight names the missing file and the host, and Start starts nothing.
// Every test puts the lab back: vm1 running on hvA, the certificate restored.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { lab } from '../lab/use-lab';
import { hx, labRun, virsh, type LabInfo } from '../lab/lab';
import { JOURNAL_FILE, parseJournal } from '../../electron/main/migration/journal';
import { buildRecords } from '../../electron/main/migration/record';
import { dragVmOnto, hostOption, migratingConsoleSuite, screenshot, type LabConsole } from './harness';

describe.skipIf(!lab)('TLS migration end to end (web mode, Chromium, the lab)', () => {
  let info: LabInfo;
  let ui: LabConsole;
  let page: Page;

  const verdict = (): Locator => page.getByRole('status', { name: 'Migration verdict' });
  const pkiDir = (host: 'hvA' | 'hvB') => `${info.dir}/hosts/${host}/pki`;
  /** How many migrations main's journal shows started (the journal exists once the first one ran). */
  const recordsInJournal = () => buildRecords(parseJournal(readFileSync(path.join(ui.ferry.dataDir, JOURNAL_FILE), 'utf8')).lines);
  const historyCount = async () => Number(/\((\d+)\)/.exec((await page.getByRole('button', { name: /^Migration history/ }).textContent()) ?? '')?.[1] ?? 0);
  /** The lab's own guests running on HOST (others' domains, e.g. a benchmark's, are left out). */
  const running = async (host: 'hvA' | 'hvB') => (await virsh(host, ['list', '--name'])).split('\n').filter((n) => n === 'vm1' || n === 'vmd').sort();

  const { watchdog } = migratingConsoleSuite(['hvA', 'hvB'], (opened, lab) => {
    ui = opened;
    info = lab;
    page = ui.page;
  });

  beforeAll(async () => {
    // What TLS migration needs on both ends, as lab.sh set it up (this test adds nothing to the lab).
    for (const h of ['hvA', 'hvB'] as const) {
      const conf = await labRun(['hx', h, 'grep', '^migrate_tls_x509_cert_dir', '/etc/libvirt/qemu.conf']);
      expect(conf.trim()).toBe(`migrate_tls_x509_cert_dir = "${pkiDir(h)}"`);
      for (const f of ['ca-cert.pem', 'server-cert.pem', 'server-key.pem', 'client-cert.pem', 'client-key.pem']) {
        expect((await hx(h, ['test', '-s', `${pkiDir(h)}/${f}`])).code, `${f} on ${h}`).toBe(0);
      }
    }
  });

  it('migrates vm1 from hvA to hvB with --tls through the lab certificates: it completes, and vm1 runs on hvB', async () => {
    await watchdog('hvA', 'vm1', 90);
    const dialog = await dragVmOnto(page, 'vm1', 'hvA', 'hvB');
    await dialog.getByRole('checkbox', { name: 'TLS', exact: true }).check();
    await expect.poll(() => dialog.textContent()).toContain("'--tls'");
    await dialog.getByRole('button', { name: 'Start migration' }).click();
    await expect.poll(() => verdict().textContent(), { timeout: 90_000, interval: 250 }).toMatch(/^Completed\. Completed in .* of downtime/);
    await screenshot(page, '25-tls-completed');
    expect(await running('hvB')).toEqual(['vm1']);
    expect(await running('hvA')).toEqual(['vmd']);

    await page.getByRole('button', { name: 'Back to inventory' }).click();
    await page.getByRole('button', { name: /^Migration history/ }).click();
    const row = page.getByRole('table', { name: 'Migration history' }).getByRole('row').filter({ hasText: 'vm1' }).first();
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toMatch(/vm1.*hvA.*hvB.*\d+ ms.*Completed/s);
  });

  it("names hvB's missing server-cert.pem in the dialog's pre-flight, and Start starts nothing", async () => {
    const cert = `${pkiDir('hvB')}/server-cert.pem`;
    const aside = `${cert}.ferry-e2e-aside`;
    await labRun(['hx', 'hvB', 'mv', cert, aside]);
    try {
      await page.reload();
      await page.getByRole('button', { name: /^Migration history/ }).waitFor();
      const historyBefore = await historyCount();
      const recordsBefore = recordsInJournal().length;
      const dialog = await dragVmOnto(page, 'vm1', 'hvA', 'hvB');
      await dialog.getByRole('checkbox', { name: 'TLS', exact: true }).check();
      const start = dialog.getByRole('button', { name: 'Start migration' });
      const checks = dialog.getByRole('region', { name: 'Pre-flight checks' });
      for (const attempt of [1, 2]) {
        await start.click(); // a click is flushed at once: the button reads 'Checking…' until the checks answer
        await start.waitFor({ timeout: 30_000 });
        // The checks answer; TLS failed, naming the file and the host, with the fix.
        await expect.poll(() => checks.textContent(), { timeout: 30_000, interval: 250 }).toContain(`server-cert.pem is missing on hvB (in ${pkiDir('hvB')})`);
        const tls = checks.getByRole('listitem').filter({ hasText: 'server-cert.pem is missing on hvB' });
        expect(await tls.getByLabel('fail').count()).toBe(1);
        expect(await tls.textContent()).toMatch(/Fix: .*migrate_tls_x509_cert_dir/);
        await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/^Pre-flight failed: .*Nothing was changed\./);
        if (attempt === 1) {
          await tls.scrollIntoViewIfNeeded();
          await screenshot(page, '26-tls-missing-cert-preflight');
        }
        // Nothing started: the dialog is still open, no migration view, vm1 still only on hvA; the refused attempt is
        // kept in the history as 'refused', with its checks, and nothing else is.
        expect(await dialog.isVisible()).toBe(true);
        expect(await verdict().count()).toBe(0);
        expect(await running('hvA')).toEqual(['vm1', 'vmd']);
        expect(await running('hvB')).toEqual([]);
        await expect.poll(historyCount).toBe(historyBefore + attempt);
        const added = recordsInJournal().slice(recordsBefore);
        expect(added.map((r) => r.state)).toEqual(Array(attempt).fill('refused'));
        expect(JSON.stringify(added.at(-1)?.start?.preflight)).toContain('server-cert.pem is missing on hvB');
      }
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await hostOption(page, 'hvA').click();
    } finally {
      await labRun(['hx', 'hvB', 'mv', aside, cert]);
    }
    expect((await hx('hvB', ['test', '-s', cert])).code).toBe(0);
  });
});
