/**
 * Web mode's PDF: the report's HTML written to a private temporary directory and printed by headless Chromium
 * (`--print-to-pdf`), with its networking off (the report needs none; a proxy that goes nowhere makes sure) and a
 * throw-away profile. The desktop app prints with Electron's webContents.printToPDF instead (electron-seams.ts).
 * The child process comes in as `exec`, so the argv can be checked without a browser.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';

export type PdfRenderer = (html: string) => Promise<Result<Uint8Array, FerryError>>;

export type ExecFile = (file: string, args: readonly string[], options: { timeout: number }) => Promise<{ stdout: string; stderr: string }>;

export const nodeExecFile: ExecFile = (file, args, options) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: options.timeout, maxBuffer: 4 * 1024 * 1024, killSignal: 'SIGKILL' }, (e, stdout, stderr) =>
      e ? reject(Object.assign(e, { stderr })) : resolve({ stdout, stderr }),
    );
  });

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Headless Chromium with its background services off: the PDF printer's, and the browser the tests drive. */
export const CHROMIUM_HEADLESS_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function chromiumPdfArgs(dir: string): string[] {
  return [
    ...CHROMIUM_HEADLESS_ARGS,
    '--disable-extensions',
    '--proxy-server=127.0.0.1:9',
    '--proxy-bypass-list=<-loopback>',
    `--user-data-dir=${join(dir, 'profile')}`,
    '--no-pdf-header-footer',
    `--print-to-pdf=${join(dir, 'report.pdf')}`,
    pathToFileURL(join(dir, 'report.html')).toString(),
  ];
}

async function firstExecutable(paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) {
    try {
      await access(p, fsConstants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** `executable`: a path, or (default) the first of CHROMIUM_CANDIDATES that exists, looked up at each export. */
export function chromiumPdf(o: { readonly executable?: string; readonly exec?: ExecFile; readonly timeoutMs?: number } = {}): PdfRenderer {
  return async (html) => {
    const executable = o.executable ?? (await firstExecutable(CHROMIUM_CANDIDATES));
    if (executable === undefined) {
      return err(ferryError('command.not-found', 'PDF export needs Chromium, and none was found (looked for /usr/bin/chromium). Install it (apt-get install chromium) or export HTML and print that.'));
    }
    const dir = await mkdtemp(join(tmpdir(), 'ferry-pdf-'));
    try {
      await writeFile(join(dir, 'report.html'), html, { encoding: 'utf8', mode: 0o600 });
      try {
        await (o.exec ?? nodeExecFile)(executable, chromiumPdfArgs(dir), { timeout: o.timeoutMs ?? 60_000 });
      } catch (e) {
        const stderr = String((e as { stderr?: unknown }).stderr ?? '').slice(-1000);
        return err(ferryError('command.failed', 'Chromium could not print the report to PDF.', `${String(e)}\n${stderr}`));
      }
      try {
        return ok(new Uint8Array(await readFile(join(dir, 'report.pdf'))));
      } catch (e) {
        return err(ferryError('command.failed', 'Chromium finished without writing the PDF.', String(e)));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
