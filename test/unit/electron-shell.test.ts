import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { EventEmitter } from 'node:events';
import type { BrowserWindowConstructorOptions } from 'electron';
import { CONTENT_SECURITY_POLICY, createMainWindow, lockSession, secureWebPreferences } from '../../electron/main/window';
import { readFileSync } from 'node:fs';
import { appInfo, hostsList, inventoryWatch } from '../../shared/ipc/contract';
import type { FerryBridge } from '../../shared/ipc/define';
import { eventually } from './ipc-harness';
import { ELECTRON_CHANNELS } from '../../shared/ipc/channels';

const exposed = vi.hoisted(() => new Map<string, unknown>());
const ipcRenderer = vi.hoisted(() => ({
  invoke: vi.fn(async (..._args: unknown[]): Promise<unknown> => ({ ok: true, value: {} })),
  send: vi.fn((..._args: unknown[]) => undefined),
  listeners: new Map<string, (event: unknown, message: unknown) => void>(),
  on(channel: string, fn: (event: unknown, message: unknown) => void) {
    this.listeners.set(channel, fn);
    return this;
  },
}));
/** What the composition root gets from Electron: enough to start, register IPC and open one window. */
const shell = vi.hoisted(() => {
  type Fn = (...args: never[]) => unknown;
  const state = {
    userData: '',
    handlers: new Map<string, Fn>(),
    appListeners: new Map<string, Fn>(),
    loaded: [] as string[],
    quit: vi.fn(),
  };
  class FakeWindow {
    readonly webContents = { on: () => undefined, once: () => undefined, setWindowOpenHandler: () => undefined };
    once() {}
    show() {}
    async loadURL(url: string) {
      state.loaded.push(url);
    }
  }
  const electron = {
    app: {
      enableSandbox: vi.fn(),
      whenReady: () => Promise.resolve(),
      getPath: (name: string) => (name === 'userData' ? state.userData : '/nonexistent'),
      getVersion: () => '9.9.9-test',
      on: (event: string, fn: Fn) => state.appListeners.set(event, fn),
      quit: state.quit,
      exit: vi.fn(),
    },
    BrowserWindow: FakeWindow,
    ipcMain: {
      handle: (channel: string, fn: Fn) => state.handlers.set(channel, fn),
      on: (channel: string, fn: Fn) => state.handlers.set(channel, fn),
      removeHandler: vi.fn(),
      removeListener: vi.fn(),
    },
    session: { defaultSession: { webRequest: { onHeadersReceived: vi.fn() }, setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn(), setDevicePermissionHandler: vi.fn() } },
    shell: { openExternal: vi.fn() },
    // The reports' save seam (electron/main/reports/electron-seams.ts) takes it; nothing here exports.
    dialog: { showSaveDialog: vi.fn() },
  };
  return { state, electron };
});
vi.mock('electron', () => ({
  ...shell.electron,
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer,
}));

describe('main window', () => {
  it('runs the renderer sandboxed, isolated and without Node', () => {
    const prefs = secureWebPreferences('/app/preload.cjs');
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
    });
  });

  it('refuses navigation to another origin and every new window', () => {
    const contents = Object.assign(new EventEmitter(), {
      handler: undefined as undefined | ((d: { url: string }) => { action: string }),
      setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
        this.handler = h;
      },
    });
    const opened: string[] = [];
    class FakeWindow extends EventEmitter {
      static last: FakeWindow | undefined;
      readonly webContents = contents;
      constructor(readonly options: BrowserWindowConstructorOptions) {
        super();
        FakeWindow.last = this;
      }
      loadURL = vi.fn(async () => undefined);
      show = vi.fn();
    }
    createMainWindow({
      BrowserWindow: FakeWindow as never,
      preloadPath: '/app/preload.cjs',
      rendererUrl: 'file:///app/renderer/index.html',
      openExternal: (u) => opened.push(u),
    });
    expect(FakeWindow.last?.options.webPreferences?.sandbox).toBe(true);

    let prevented = 0;
    const nav = (url: string) => contents.emit('will-navigate', { preventDefault: () => prevented++ }, url);
    nav('file:///app/renderer/index.html#/hosts');
    expect(prevented).toBe(0);
    nav('https://evil.example/');
    expect(prevented).toBe(1);

    expect(contents.handler?.({ url: 'https://libvirt.org/' })).toEqual({ action: 'deny' });
    expect(contents.handler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://libvirt.org/']);
  });

  it("allows exactly the app's own index file: not another file:, a data: URL or a redirect elsewhere", () => {
    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: vi.fn() });
    class FakeWindow extends EventEmitter {
      readonly webContents = contents;
      loadURL = vi.fn(async () => undefined);
    }
    createMainWindow({ BrowserWindow: FakeWindow as never, preloadPath: '/app/preload.cjs', rendererUrl: 'file:///app/renderer/index.html' });
    const refused = (event: string, url: string) => {
      let prevented = false;
      contents.emit(event, { preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    for (const url of ['file:///etc/passwd', 'file:///app/renderer/other.html', 'file:///tmp/download/index.html', 'data:text/html,<script>1</script>', 'https://evil.example/']) {
      expect(refused('will-navigate', url)).toBe(true);
      expect(refused('will-redirect', url)).toBe(true);
    }
    expect(refused('will-navigate', 'file:///app/renderer/index.html')).toBe(false);
    expect(refused('will-navigate', 'file:///app/renderer/index.html#/reports')).toBe(false);
  });
});

describe('session', () => {
  type RequestHandler = (c: unknown, p: string, cb: (granted: boolean) => void, d: unknown) => void;
  type CheckHandler = (c: unknown, p: string, o: string, d: unknown) => boolean;
  type HeadersHandler = (d: { responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void;
  function fakeSession() {
    const s: { request?: RequestHandler; check?: CheckHandler; device?: () => boolean; headers?: HeadersHandler } & Record<string, unknown> = {};
    Object.assign(s, {
      setPermissionRequestHandler: (h: RequestHandler) => (s.request = h),
      setPermissionCheckHandler: (h: CheckHandler) => (s.check = h),
      setDevicePermissionHandler: (h: () => boolean) => (s.device = h),
      webRequest: { onHeadersReceived: (h: HeadersHandler) => (s.headers = h) },
    });
    return s;
  }

  it('denies every permission request and check', () => {
    const s = fakeSession();
    lockSession(s as never);
    for (const p of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen', 'hid', 'serial']) {
      const answers: boolean[] = [];
      s.request?.({}, p, (granted) => answers.push(granted), {});
      expect(answers).toEqual([false]);
      expect(s.check?.({}, p, 'file:///app/renderer/index.html', {})).toBe(false);
    }
    expect(s.device?.()).toBe(false);
  });

  it('sends the CSP on http(s) answers, keeping the other headers', () => {
    const s = fakeSession();
    lockSession(s as never);
    let out: unknown;
    s.headers?.({ responseHeaders: { 'X-A': ['1'] } }, (r) => (out = r));
    expect(out).toEqual({ responseHeaders: { 'X-A': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    for (const d of ["default-src 'self'", "frame-ancestors 'none'", "form-action 'none'", "object-src 'none'", "base-uri 'none'", "script-src 'self'"]) {
      expect(CONTENT_SECURITY_POLICY.split('; ')).toContain(d);
    }
  });

  it("gives file: loads (which carry no headers) the same policy in the page's meta, no inline script", () => {
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(readFileSync('renderer/index.html', 'utf8'))?.[1] ?? '';
    const directives = meta.split('; ');
    for (const d of ["default-src 'self'", "script-src 'self'", "form-action 'none'", "object-src 'none'", "base-uri 'none'"]) expect(directives).toContain(d);
    expect(meta).not.toMatch(/script-src[^;]*unsafe/);
  });
});

async function loadPreload(): Promise<FerryBridge> {
  await import('../../electron/preload/index');
  return exposed.get('ferry') as FerryBridge;
}

describe('preload', () => {
  beforeEach(() => {
    ipcRenderer.invoke.mockClear();
    ipcRenderer.send.mockClear();
  });

  it('exposes exactly one object, window.ferry, with two frozen functions and nothing of ipcRenderer', async () => {
    const ferry = await loadPreload();
    expect([...exposed.keys()]).toEqual(['ferry']);
    expect(Object.keys(ferry).sort()).toEqual(['invoke', 'subscribe']);
    expect(Object.isFrozen(ferry)).toBe(true);
    expect(Object.values(ferry).every((v) => typeof v === 'function')).toBe(true);
    expect(Object.values(ferry)).not.toContain(ipcRenderer.invoke);
    expect(Object.values(ferry)).not.toContain(ipcRenderer.send);
  });

  it('refuses a channel the contract does not declare without calling ipcRenderer', async () => {
    const ferry = await loadPreload();
    expect(await ferry.invoke('ferry.shell.exec', { cmd: 'rm -rf /' })).toMatchObject({ ok: false, error: { code: 'ipc.unknown-channel' } });
    expect(await ferry.invoke(inventoryWatch.id, {})).toMatchObject({ ok: false, error: { code: 'ipc.unknown-channel' } });
    const ended = new Promise((resolve) => ferry.subscribe(hostsList.id, {}, () => undefined, resolve));
    expect(await ended).toMatchObject({ code: 'ipc.unknown-channel' });
    expect(ipcRenderer.invoke).not.toHaveBeenCalled();
    expect(ipcRenderer.send).not.toHaveBeenCalled();
  });

  it('forwards a known request on the one invoke channel', async () => {
    const ferry = await loadPreload();
    expect(await ferry.invoke(appInfo.id, {})).toEqual({ ok: true, value: {} });
    expect(ipcRenderer.invoke).toHaveBeenCalledWith(ELECTRON_CHANNELS.invoke, { channel: appInfo.id, input: {} });
    ipcRenderer.invoke.mockRejectedValueOnce(new Error('An object could not be cloned.'));
    expect(await ferry.invoke(appInfo.id, { f: () => 1 })).toMatchObject({ ok: false, error: { code: 'ipc.transport' } });
  });

  it("names each subscription, routes main's frames to its callback, and unsubscribes once", async () => {
    const ferry = await loadPreload();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const ends: unknown[] = [];
    const stopA = ferry.subscribe(inventoryWatch.id, {}, (e) => a.push(e));
    ferry.subscribe(inventoryWatch.id, {}, (e) => b.push(e), (e) => ends.push(e ?? 'clean'));
    const [idA, idB] = ipcRenderer.send.mock.calls.map((c) => (c[1] as { subscription: string }).subscription);
    expect(idA).toBeTruthy();
    expect(idA).not.toBe(idB);
    const deliver = ipcRenderer.listeners.get(ELECTRON_CHANNELS.event);
    deliver?.({}, { t: 'event', subscription: idA, event: 1 });
    deliver?.({}, { t: 'event', subscription: idB, event: 2 });
    deliver?.({}, { t: 'bogus', subscription: idA });
    deliver?.({}, 'garbage');
    deliver?.({}, { t: 'end', subscription: idB });
    deliver?.({}, { t: 'event', subscription: idB, event: 3 });
    expect(a).toEqual([1]);
    expect(b).toEqual([2]);
    expect(ends).toEqual(['clean']);
    stopA();
    stopA();
    expect(ipcRenderer.send.mock.calls.filter((c) => c[0] === ELECTRON_CHANNELS.unsubscribe)).toEqual([
      [ELECTRON_CHANNELS.unsubscribe, { subscription: idA }],
    ]);
  });
});

describe('preload bundle', () => {
  it('stays small: it loads no schema library (main and the renderer client validate)', async () => {
    const out = await build({ entryPoints: ['electron/preload/index.ts'], bundle: true, platform: 'node', format: 'cjs', external: ['electron'], write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs.filter((i) => i.includes('node_modules'))).toEqual([]);
    expect(out.outputFiles[0]?.contents.byteLength).toBeLessThan(20_000);
  });
});

describe('composition root (electron/main/index.ts)', () => {
  it('builds main on the userData directory, serves the contract on ipcMain to the window it opens, and disposes on quit', async () => {
    shell.state.userData = mkdtempSync(path.join(tmpdir(), 'ferry-electron-'));
    try {
      await import('../../electron/main/index');
      await eventually(() => expect(shell.state.loaded.length).toBe(1));
      expect(shell.electron.app.enableSandbox).toHaveBeenCalled();
      expect(shell.electron.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalled();
      expect(shell.electron.session.defaultSession.setPermissionCheckHandler).toHaveBeenCalled();
      expect([...shell.state.handlers.keys()].sort()).toEqual([ELECTRON_CHANNELS.invoke, ELECTRON_CHANNELS.subscribe, ELECTRON_CHANNELS.unsubscribe].sort());
      const invoke = shell.state.handlers.get(ELECTRON_CHANNELS.invoke) as unknown as (event: unknown, message: unknown) => Promise<unknown>;
      const fromWindow = { sender: { id: 1 }, senderFrame: { url: shell.state.loaded[0], parent: null } };
      expect(await invoke(fromWindow, { channel: appInfo.id, input: {} })).toEqual({
        ok: true,
        value: { version: '9.9.9-test', mode: 'electron', dataDir: shell.state.userData, platform: process.platform, problems: [] },
      });
      const fromElsewhere = { sender: { id: 1 }, senderFrame: { url: 'https://evil.example/', parent: null } };
      expect(await invoke(fromElsewhere, { channel: appInfo.id, input: {} })).toMatchObject({ ok: false, error: { code: 'ipc.transport' } });

      const willQuit = shell.state.appListeners.get('will-quit') as unknown as (event: { preventDefault(): void }) => void;
      const preventDefault = vi.fn();
      willQuit({ preventDefault });
      expect(preventDefault).toHaveBeenCalled();
      await eventually(() => expect(shell.state.quit).toHaveBeenCalled());
    } finally {
      rmSync(shell.state.userData, { recursive: true, force: true });
    }
  });
});
