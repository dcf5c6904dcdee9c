/**
 * Composition root: the only module that imports Electron's values. It builds main (createFerryMain: stores, SSH
 * pool, inventory), puts the IPC core in front of it, registers the Electron transport and opens the window.
 * Everything it wires up is plain Node code that takes Electron objects as parameters, tested without Electron.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createFerryMain, FerryStartError } from './app';
import { createIpcCore } from './ipc/core';
import { electronReportSeams } from './reports/electron-seams';
import { registerElectronIpc } from './ipc/electron-ipc';
import { stderrLogger } from './ipc/log';
import { createMainWindow, lockSession } from './window';

const here = __dirname; // bundled as CommonJS into dist/electron/main/index.cjs

app.enableSandbox();

async function start(): Promise<void> {
  lockSession(session.defaultSession);
  const log = stderrLogger();
  const logger = { ...log, debug: process.env['FERRY_DEBUG'] ? log.warn : () => undefined };
  // Reports: PDF through webContents.printToPDF in a hidden window, exports saved where a save dialog says.
  const reports = electronReportSeams({ BrowserWindow, dialog });
  const main = await createFerryMain({ dataDir: app.getPath('userData'), homeDir: os.homedir(), env: process.env, version: app.getVersion(), logger, reports });
  const core = createIpcCore(main.handlers, { logger });
  const rendererUrl =
    process.env['FERRY_DEV_SERVER_URL'] ?? pathToFileURL(path.join(here, '..', '..', 'renderer', 'index.html')).toString();
  registerElectronIpc({ ipcMain, core, appUrl: rendererUrl, logger });
  createMainWindow({
    BrowserWindow,
    preloadPath: path.join(here, '..', 'preload', 'index.cjs'),
    rendererUrl,
    openExternal: (url) => void shell.openExternal(url),
  });

  let quitting = false;
  app.on('will-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault(); // finish closing SSH connections first
    core.dispose();
    void main.dispose().finally(() => app.quit());
  });
}

void app.whenReady().then(start).catch((e: unknown) => {
  process.stderr.write(`ferry: could not start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  // A desktop user sees no terminal: say why in a window (another Ferry owns the data directory, ...).
  if (e instanceof FerryStartError) dialog.showErrorBox('Ferry cannot start', e.message);
  app.exit(1);
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
