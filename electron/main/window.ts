import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { isAppUrl } from './ipc/electron-ipc';

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

/**
 * The policy sent as a header on http(s) loads (the dev server). A file: load has no response headers: there the same
 * policy comes from renderer/index.html's meta (frame-ancestors aside, which a meta cannot carry; the console is a
 * top-level window anyway). style-src keeps 'unsafe-inline': recharts and React's style props set inline styles.
 */
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

/**
 * Blocks navigation away from the app's own page and every attempt to open a new window (https links go to the
 * system browser). The page is matched as IPC matches its sender (isAppUrl): a file: URL has the opaque origin
 * "null", shared by every file: and data: URL, so comparing origins would let the window load any local file.
 */
export function lockNavigation(contents: WebContents, appUrl: string, openExternal?: (url: string) => void): void {
  const guard = (event: { preventDefault(): void }, url: string) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  contents.setWindowOpenHandler(({ url }) => {
    if (openExternal && /^https:\/\//.test(url)) openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

type SessionLike = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'> & { readonly webRequest: Pick<Session['webRequest'], 'onHeadersReceived'> };

/**
 * The console asks for no permission (camera, notifications, geolocation, clipboard, devices, ...): every request
 * and every check is answered no, whatever page asks. http(s) answers get the CSP header.
 */
export function lockSession(session: SessionLike): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false); // WebHID, WebSerial, WebUSB
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
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
