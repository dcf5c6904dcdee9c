/**
 * End-to-end harness: starts Ferry exactly as the README's web mode does (`npm run web`) on a free port with a
 * throw-away data directory, and drives Debian's Chromium with playwright-core (never a downloaded browser).
 * Screenshots go to test-results/e2e/ so a person can look at what the tests saw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
export const SCREENSHOTS = path.resolve('test-results', 'e2e');

export interface WebFerry {
  readonly url: string;
  readonly dataDir: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** `npm run web -- --port 0 --data-dir DIR`, resolved once it prints its URL. */
export function startWebFerry(options: { readonly env?: NodeJS.ProcessEnv; readonly homeDir?: string } = {}): Promise<WebFerry> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ferry-e2e-data-'));
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
            rmSync(dataDir, { recursive: true, force: true });
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
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
