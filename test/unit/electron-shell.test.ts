import { describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import type { BrowserWindowConstructorOptions } from 'electron';
import { createMainWindow, secureWebPreferences } from '../../electron/main/window';

const exposed = vi.hoisted(() => new Map<string, unknown>());
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
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
});

describe('preload', () => {
  it('exposes exactly one object, window.ferry, with a pinned surface', async () => {
    await import('../../electron/preload/index');
    expect([...exposed.keys()]).toEqual(['ferry']);
    expect(Object.keys(exposed.get('ferry') as object).sort()).toEqual(['platform']);
    expect(Object.isFrozen(exposed.get('ferry'))).toBe(true);
  });
});
