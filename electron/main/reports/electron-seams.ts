/**
 * The desktop app's export seams, built from Electron objects the composition root (electron/main/index.ts, the only
 * importer of Electron's values) passes in; here only their types are imported, so this runs in plain Node tests
 * with fakes. Electron itself cannot run on the build machines (its binary cannot be downloaded there), so these
 * seams are tested with fakes of BrowserWindow and dialog, never with Electron.
 *
 * - pdf: a hidden, sandboxed window with JavaScript off loads the report's HTML (a data: URL; the report needs no
 *   network and runs no script, and its CSP meta says so) and prints it with webContents.printToPDF (A4,
 *   backgrounds); it navigates nowhere and opens no window.
 * - save: a save dialog chooses where the export goes; main writes the bytes there. Only this path, which the user
 *   picked in a native dialog, is ever written, and only on the desktop.
 */
import type { BrowserWindow as ElectronBrowserWindow, BrowserWindowConstructorOptions, Dialog, SaveDialogOptions } from 'electron';
import { writeFile } from 'node:fs/promises';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import type { PdfRenderer } from './chromium-pdf';

export interface SaveTarget {
  readonly suggestedName: string;
  readonly filterName: string;
  readonly extension: string;
  readonly data: Uint8Array;
}
/** Where the export went: the chosen path, or null when the user cancelled. */
export type SaveFile = (t: SaveTarget) => Promise<Result<{ path: string } | null, FerryError>>;

export interface ReportSeams {
  readonly pdf?: PdfRenderer;
  readonly save?: SaveFile;
}

type WindowLike = Pick<ElectronBrowserWindow, 'loadURL' | 'destroy'> & {
  readonly webContents: Pick<ElectronBrowserWindow['webContents'], 'printToPDF' | 'on' | 'setWindowOpenHandler'>;
};
type WindowCtor = new (options: BrowserWindowConstructorOptions) => WindowLike;
type DialogLike = Pick<Dialog, 'showSaveDialog'>;
type WriteFile = (path: string, data: Uint8Array) => Promise<void>;

export function electronPdf(BrowserWindow: WindowCtor): PdfRenderer {
  return async (html) => {
    const win = new BrowserWindow({
      show: false,
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false, webSecurity: true, webviewTag: false },
    });
    // The report is the only page this window shows: a <meta http-equiv="refresh"> or a link in an imported report
    // goes nowhere.
    win.webContents.on('will-navigate', (event) => event.preventDefault());
    win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    try {
      await win.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html, 'utf8').toString('base64')}`);
      const pdf = await win.webContents.printToPDF({ printBackground: true, pageSize: 'A4' });
      return ok(new Uint8Array(pdf));
    } catch (e) {
      return err(ferryError('command.failed', 'The report could not be printed to PDF.', String(e)));
    } finally {
      win.destroy();
    }
  };
}

export function electronSave(dialog: DialogLike, write: WriteFile = (p, d) => writeFile(p, d, { mode: 0o600 })): SaveFile {
  return async (t) => {
    const options: SaveDialogOptions = {
      title: 'Export migration report',
      defaultPath: t.suggestedName,
      filters: [{ name: t.filterName, extensions: [t.extension] }],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    };
    const choice = await dialog.showSaveDialog(options);
    if (choice.canceled || choice.filePath === undefined || choice.filePath === '') return ok(null);
    try {
      await write(choice.filePath, t.data);
    } catch (e) {
      return err(ferryError('inventory.io', `The report could not be written to ${choice.filePath}.`, String(e)));
    }
    return ok({ path: choice.filePath });
  };
}

export function electronReportSeams(o: { readonly BrowserWindow: WindowCtor; readonly dialog: DialogLike }): ReportSeams {
  return { pdf: electronPdf(o.BrowserWindow), save: electronSave(o.dialog) };
}
