/**
 * Composition root: the only module that imports Electron's values. Everything it wires up is plain Node code that
 * takes what it needs as parameters (see window.ts), so it runs in tests without the Electron binary.
 */
import { app, BrowserWindow, session, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTENT_SECURITY_POLICY, createMainWindow } from './window';

const here = __dirname; // bundled as CommonJS into dist/electron/main/index.cjs

app.enableSandbox();

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  const rendererUrl =
    process.env['FERRY_DEV_SERVER_URL'] ??
    pathToFileURL(path.join(here, '..', '..', 'renderer', 'index.html')).toString();
  createMainWindow({
    BrowserWindow,
    preloadPath: path.join(here, '..', 'preload', 'index.cjs'),
    rendererUrl,
    openExternal: (url) => void shell.openExternal(url),
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
