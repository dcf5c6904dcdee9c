import type { BrowserWindow, BrowserWindowConstructorOptions, WebContents } from 'electron';

/**
 * The one place that decides how Ferry's window is locked down. It takes Electron's classes as parameters so it can
 * be exercised in plain Node tests; only the composition root (index.ts) imports 'electron' itself.
 */
export interface WindowDeps {
  readonly BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  readonly preloadPath: string;
  /** Either a file URL of the built renderer or, in development, the dev server URL. */
  readonly rendererUrl: string;
  readonly openExternal?: (url: string) => void;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

export function secureWebPreferences(preloadPath: string): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webviewTag: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    spellcheck: false,
  };
}

/** Blocks navigation away from the app and every attempt to open a new window (links go to the system browser). */
export function lockNavigation(contents: WebContents, appUrl: string, openExternal?: (url: string) => void): void {
  const appOrigin = new URL(appUrl).origin;
  contents.on('will-navigate', (event, url) => {
    if (new URL(url).origin !== appOrigin) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (openExternal && /^https:\/\//.test(url)) openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function createMainWindow(deps: WindowDeps): BrowserWindow {
  const win = new deps.BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    title: 'Ferry',
    show: false,
    webPreferences: secureWebPreferences(deps.preloadPath),
  });
  lockNavigation(win.webContents, deps.rendererUrl, deps.openExternal);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(deps.rendererUrl);
  return win;
}
