/**
 * End-to-end harness: starts Ferry exactly as the README's web mode does (`npm run web`) on a free port with a
 * throw-away data directory, and drives Debian's Chromium with playwright-core (never a downloaded browser).
 * Screenshots go to test-results/e2e/ so a person can look at what the tests saw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { labHost, labRun, vmReset, type HostName, type LabInfo } from '../lab/lab';
import { requireLab, watchdogsThenReset } from '../lab/use-lab';
import { until } from '../support/wait';
import { CHROMIUM_HEADLESS_ARGS } from '../../electron/main/reports/chromium-pdf';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('test-results', 'e2e');

export interface WebFerry {
  readonly url: string;
  readonly dataDir: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * `npm run web -- --port 0 --data-dir DIR`, resolved once it prints its URL. DIR is a new one, removed by stop(), unless
 * `dataDir` names one the test prepared (a restart, a damaged file): that one is left for the test to remove.
 */
export function startWebFerry(options: { readonly env?: NodeJS.ProcessEnv; readonly homeDir?: string; readonly dataDir?: string } = {}): Promise<WebFerry> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'ferry-e2e-data-'));
  const child: ChildProcess = spawn('npm', ['run', '--silent', 'web', '--', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, ...(options.homeDir ? { HOME: options.homeDir } : {}), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() ends npm and the server together
  });
  let log = '';
  let settled = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`npm run web printed no URL within 60 s:\n${log}`)), 60_000);
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      kill();
      reject(e);
    };
    const kill = () => {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
    };
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*token=\S+)/.exec(log);
      if (m?.[1] && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({
          url: m[1],
          dataDir,
          output: () => log,
          stop: async () => {
            kill();
            await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
            // npm may exit before the server it ran has released the data directory; the next Ferry on it would be
            // refused. Its lock file goes once it has (a server killed outright leaves a stale one, taken over).
            await until(() => !existsSync(path.join(dataDir, 'ferry.lock')), 'the data directory released', 10_000, 100).catch(() => undefined);
            if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`npm run web exited (${String(code)}) before printing its URL:\n${log}`)));
  });
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_HEADLESS_ARGS], headless: true });
}

export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

/** Ferry in web mode, Chromium on its URL, and the lab hosts added through the UI: what most E2E files start from. */
export interface LabConsole {
  readonly ferry: WebFerry;
  readonly browser: Browser;
  readonly page: Page;
  /** Closes the browser, then stops Ferry. */
  close(): Promise<void>;
}

export async function openLabConsole(
  info: LabInfo,
  hosts: readonly HostName[],
  options: { readonly pageErrors?: string[]; readonly ferry?: Parameters<typeof startWebFerry>[0] } = {},
): Promise<LabConsole> {
  // No agent: every lab host is reached with the key the Add host form names, never one an agent happens to hold.
  const ferry = await startWebFerry(options.ferry ?? { env: { SSH_AUTH_SOCK: '' } });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await newPage(browser);
    const errors = options.pageErrors;
    if (errors) page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(ferry.url);
    for (const h of hosts) await addLabHost(page, info, h);
    const b = browser;
    return {
      ferry,
      browser: b,
      page,
      close: async () => {
        await b.close();
        await ferry.stop();
      },
    };
  } catch (e) {
    await browser?.close().catch(() => undefined);
    await ferry.stop();
    throw e;
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

// ---- Helpers for E2E files that drive the lab through the console (additive: migrate.e2e.test.ts keeps its own) ----

/** The host's option in the inventory's host list. */
export function hostOption(page: Page, name: string): Locator {
  return page.getByRole('listbox', { name: 'Hosts' }).getByRole('option', { name: new RegExp(`^${name}\\b`) });
}

/** Adds a lab host through the Add host dialog (key file, host key trusted on first contact) and waits until connected. */
export async function addLabHost(page: Page, info: LabInfo, name: HostName): Promise<void> {
  await page.getByRole('button', { name: /^Add (a )?host$/ }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add host' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByLabel('Address', { exact: true }).fill(labHost(info, name).ip);
  await dialog.getByLabel('User', { exact: true }).fill('root');
  await dialog.getByLabel('Key file', { exact: true }).check();
  await dialog.getByLabel('Private key path', { exact: true }).fill(info.clientKey);
  await dialog.getByRole('button', { name: 'Test connection' }).click();
  await dialog.getByRole('button', { name: 'Trust this key' }).click({ timeout: 20_000 });
  await dialog.getByRole('button', { name: 'Save host' }).click({ timeout: 20_000 });
  await dialog.waitFor({ state: 'detached', timeout: 20_000 });
  await hostOption(page, name).and(page.locator('[data-state="connected"]')).waitFor({ timeout: 30_000 });
}

/** Drags VM's row of host FROM onto host TO in the inventory; resolves to the migrate dialog with its options open. */
export async function dragVmOnto(page: Page, vm: string, from: HostName, to: HostName): Promise<Locator> {
  const back = page.getByRole('button', { name: 'Back to inventory' });
  if (await back.isVisible()) await back.click();
  await hostOption(page, from).click();
  // No filter: with other VMs above it, the row sits lower in the virtualised grid, where dnd-kit measures the
  // dragged box at its unscrolled place; the drop must still go to the host under the pointer (dnd.tsx).
  const grid = page.getByRole('grid', { name: 'Virtual machines' });
  const row = grid.getByRole('row').filter({ hasText: new RegExp(`^${vm}`) });
  await row.waitFor({ timeout: 30_000 });
  const a = await row.boundingBox();
  if (!a) throw new Error(`${vm}'s row is not on screen`);
  await page.mouse.move(a.x + 30, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + 45, a.y + a.height / 2, { steps: 4 });
  // Hosts that refuse the drop grow a line of text once the drag starts, moving the others: measure twice.
  for (let i = 0; i < 2; i++) {
    const b = await hostOption(page, to).boundingBox();
    if (!b) throw new Error(`${to} is not on screen`);
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  }
  await page.mouse.up();
  const dialog = page.getByRole('dialog', { name: `Migrate ${vm}` });
  await dialog.waitFor({ timeout: 10_000 }).catch(async (e: unknown) => {
    await screenshot(page, `drag-${vm}-onto-${to}-no-dialog`);
    throw e;
  });
  const options = dialog.getByText('Options', { exact: true });
  if (!(await dialog.getByLabel('Bandwidth cap').isVisible())) await options.click(); // the options fold open
  return dialog;
}

/**
 * The hooks of a describe block whose tests migrate: the guests reset and a console on `hosts` opened before them
 * (handed to `opened`); after each test its watchdogs cancelled and the guests reset; at the end the console closed.
 * `watchdog` starts one on the source, which aborts the job if the test stalls.
 */
export function migratingConsoleSuite(
  hosts: readonly HostName[],
  opened: (ui: LabConsole, info: LabInfo) => void,
): { watchdog(host: HostName, vm: string, seconds: number): Promise<void> } {
  let ui: LabConsole | undefined;
  beforeAll(async () => {
    const info = requireLab();
    await vmReset();
    ui = await openLabConsole(info, hosts);
    opened(ui, info);
  });
  const watchdog = watchdogsThenReset();
  afterAll(async () => {
    await ui?.close();
  });
  return { watchdog };
}

/**
 * The hooks of a describe block whose tests follow on from each other on one console: the whole lab reset (its
 * scenarios too) and a console on `hosts` opened (handed to `opened`) before them; at the end the console closed
 * and the guests sent home.
 */
export function labConsoleSuite(hosts: readonly HostName[], opened: (ui: LabConsole) => void): void {
  let ui: LabConsole | undefined;
  beforeAll(async () => {
    const info = requireLab();
    await labRun(['reset']);
    ui = await openLabConsole(info, hosts);
    opened(ui);
  });
  afterAll(async () => {
    await ui?.close();
    await vmReset();
  });
}

export interface BlankConsole {
  readonly ferry: WebFerry;
  readonly page: Page;
  /** Closes the browser, stops Ferry and removes its home. */
  close(): Promise<void>;
}

/**
 * A console with no hosts yet, as a new user meets it: Ferry in web mode with a home of its own (`~/.ssh` holding
 * nothing but `sshConfig`, no known_hosts: every host is a first contact) and no agent, and a page in Chromium.
 */
export async function openBlankConsole(homePrefix: string, sshConfig?: string): Promise<BlankConsole> {
  const home = mkdtempSync(path.join(tmpdir(), homePrefix));
  mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  if (sshConfig !== undefined) writeFileSync(path.join(home, '.ssh', 'config'), sshConfig);
  const ferry = await startWebFerry({ homeDir: home, env: { SSH_AUTH_SOCK: '' } });
  const browser = await launchChromium();
  const page = await newPage(browser);
  return {
    ferry,
    page,
    async close() {
      await browser.close();
      await ferry.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
