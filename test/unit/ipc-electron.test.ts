import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createIpcCore } from '../../electron/main/ipc/core';
import { isAppUrl, registerElectronIpc } from '../../electron/main/ipc/electron-ipc';
import { createPreloadBridge } from '../../electron/preload/bridge';
import { appInfo, hostsAdd, inventoryWatch } from '../../shared/ipc/contract';
import { ELECTRON_CHANNELS } from '../../shared/ipc/channels';
import { fakeMain, hostView, recordingLogger } from './ipc-harness';

const APP_URL = 'file:///opt/ferry/resources/app/dist/renderer/index.html';

type Listener = (event: unknown, ...args: unknown[]) => unknown;

/** ipcMain as Electron shapes it: one handler per `handle` channel, listeners per `on` channel. */
class FakeIpcMain {
  readonly handlers = new Map<string, Listener>();
  readonly listeners = new Map<string, Set<Listener>>();
  handle(channel: string, fn: Listener) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, fn);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  on(channel: string, fn: Listener) {
    this.listeners.set(channel, (this.listeners.get(channel) ?? new Set()).add(fn));
    return this;
  }
  removeListener(channel: string, fn: Listener) {
    this.listeners.get(channel)?.delete(fn);
    return this;
  }
  invoke(channel: string, event: unknown, ...args: unknown[]) {
    const fn = this.handlers.get(channel);
    if (!fn) throw new Error(`No handler registered for '${channel}'`);
    return Promise.resolve(fn(event, ...args));
  }
  emit(channel: string, event: unknown, ...args: unknown[]) {
    for (const fn of this.listeners.get(channel) ?? []) fn(event, ...args);
  }
}

interface Frame {
  url: string;
  parent: Frame | null;
}

class FakeContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeContents.nextId++;
  readonly sent: { channel: string; frame: unknown }[] = [];
  destroyed = false;
  readonly mainFrame: Frame = { url: APP_URL, parent: null };
  send(channel: string, frame: unknown) {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, frame });
  }
  isDestroyed() {
    return this.destroyed;
  }
  destroy() {
    this.destroyed = true;
    this.emit('destroyed');
  }
  frames() {
    return this.sent.map((s) => s.frame);
  }
}

function setup(appUrl = APP_URL) {
  const main = fakeMain();
  const logger = recordingLogger();
  const core = createIpcCore(main.handlers, { logger });
  const ipcMain = new FakeIpcMain();
  const unregister = registerElectronIpc({ ipcMain: ipcMain as never, core, appUrl, logger });
  const contents = new FakeContents();
  const replies: unknown[] = [];
  const from = (frame: Frame | null = contents.mainFrame, sender: FakeContents = contents) => ({
    sender,
    senderFrame: frame,
    reply: (_channel: string, f: unknown) => replies.push(f),
  });
  return { main, core, ipcMain, unregister, contents, from, replies, logger };
}

describe('Electron transport: who may call', () => {
  it("answers a request from the app's own main frame through the core", async () => {
    const { ipcMain, from } = setup();
    const answer = await ipcMain.invoke(ELECTRON_CHANNELS.invoke, from(), { channel: appInfo.id, input: {} });
    expect(answer).toMatchObject({ ok: true, value: { mode: 'electron' } });
  });

  it('refuses a foreign page, an iframe inside the app, another file and a vanished frame with ipc.transport', async () => {
    const { ipcMain, from, contents, logger } = setup();
    const callers: (Frame | null)[] = [
      { url: 'https://evil.example/', parent: null },
      { url: APP_URL, parent: contents.mainFrame },
      { url: 'file:///tmp/download/index.html', parent: null },
      null,
    ];
    for (const frame of callers) {
      const answer = await ipcMain.invoke(ELECTRON_CHANNELS.invoke, from(frame), { channel: appInfo.id, input: {} });
      expect(answer).toMatchObject({ ok: false, error: { code: 'ipc.transport' } });
    }
    expect(logger.lines.filter((l) => l.event === 'ipc.sender-refused').length).toBe(4);
  });

  it('matches the app by file path for file: URLs and by origin for the dev server', () => {
    expect(isAppUrl(`${APP_URL}#/hosts/h1`, APP_URL)).toBe(true);
    expect(isAppUrl('file:///opt/ferry/resources/app/dist/renderer/other.html', APP_URL)).toBe(false);
    expect(isAppUrl('http://localhost:5173/hosts', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('not a url', APP_URL)).toBe(false);
  });

  it('answers a malformed message with ipc.bad-payload and an unknown channel with ipc.unknown-channel', async () => {
    const { ipcMain, from } = setup();
    expect(await ipcMain.invoke(ELECTRON_CHANNELS.invoke, from(), 'ferry.app.info')).toMatchObject({ ok: false, error: { code: 'ipc.bad-payload' } });
    expect(await ipcMain.invoke(ELECTRON_CHANNELS.invoke, from(), { channel: 'ferry.app.shell', input: {} })).toMatchObject({
      ok: false,
      error: { code: 'ipc.unknown-channel' },
    });
  });

  it('removes its handlers when unregistered', () => {
    const { ipcMain, unregister } = setup();
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
    expect([...ipcMain.listeners.values()].every((s) => s.size === 0)).toBe(true);
  });
});

describe('Electron transport: subscriptions', () => {
  it('sends events to the subscribing window and stops the work on unsubscribe', () => {
    const { ipcMain, from, contents, main } = setup();
    ipcMain.emit(ELECTRON_CHANNELS.subscribe, from(), { subscription: 'p-1', channel: inventoryWatch.id, params: {} });
    main.push({ type: 'removed', id: 'h1' });
    expect(contents.sent.every((s) => s.channel === ELECTRON_CHANNELS.event)).toBe(true);
    expect(contents.frames()).toEqual([
      { t: 'event', subscription: 'p-1', event: { type: 'snapshot', hosts: [hostView('h1')] } },
      { t: 'event', subscription: 'p-1', event: { type: 'removed', id: 'h1' } },
    ]);
    ipcMain.emit(ELECTRON_CHANNELS.unsubscribe, from(), { subscription: 'p-1' });
    expect(main.watch).toMatchObject({ started: 1, stopped: 1 });
  });

  it('ends every subscription of a window when its webContents is destroyed, and sends it nothing more', () => {
    const { ipcMain, from, contents, main, core } = setup();
    const other = new FakeContents();
    ipcMain.emit(ELECTRON_CHANNELS.subscribe, from(), { subscription: 'p-1', channel: inventoryWatch.id, params: {} });
    ipcMain.emit(ELECTRON_CHANNELS.subscribe, from(), { subscription: 'p-2', channel: inventoryWatch.id, params: {} });
    ipcMain.emit(ELECTRON_CHANNELS.subscribe, from(other.mainFrame, other), { subscription: 'p-1', channel: inventoryWatch.id, params: {} });
    expect(main.watch.live).toBe(3);
    contents.destroy();
    expect(main.watch.live).toBe(1);
    expect(core.subscriptionCount()).toBe(1);
    expect(() => main.push({ type: 'removed', id: 'h1' })).not.toThrow();
    expect(other.frames().length).toBe(2);
  });

  it('ends the old page’s subscriptions when the window reloads or navigates, not on an in-page navigation', () => {
    const { ipcMain, from, contents, main } = setup();
    ipcMain.emit(ELECTRON_CHANNELS.subscribe, from(), { subscription: 'p-1', channel: inventoryWatch.id, params: {} });
    contents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: true });
    contents.emit('did-start-navigation', { isMainFrame: false, isSameDocument: false });
    expect(main.watch.live).toBe(1);
    contents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false });
    expect(main.watch.live).toBe(0);
    ipcMain.emit(ELECTRON_CHANNELS.subscribe, from(), { subscription: 'q-1', channel: inventoryWatch.id, params: {} });
    contents.emit('render-process-gone', {}, { reason: 'crashed' });
    expect(main.watch).toMatchObject({ started: 2, live: 0 });
  });

  it('answers a subscribe from a foreign frame with end(ipc.transport) to that frame, starting nothing', () => {
    const { ipcMain, from, replies, main, contents } = setup();
    ipcMain.emit(ELECTRON_CHANNELS.subscribe, from({ url: 'https://evil.example/', parent: null }), {
      subscription: 'x',
      channel: inventoryWatch.id,
      params: {},
    });
    expect(replies).toEqual([{ t: 'end', subscription: 'x', error: expect.objectContaining({ code: 'ipc.transport' }) }]);
    expect(main.watch.started).toBe(0);
    expect(contents.sent).toEqual([]);
  });
});

describe('Electron transport with the preload: the whole path in Node', () => {
  /** Wires preload <-> main the way Electron would: invoke/send go to ipcMain, webContents.send to ipcRenderer. */
  function wired() {
    const s = setup();
    const rendererSide = new EventEmitter();
    s.contents.send = (channel: string, frame: unknown) => void rendererSide.emit(channel, {}, frame);
    const ipcRenderer = {
      invoke: (channel: string, ...args: unknown[]) => s.ipcMain.invoke(channel, s.from(), ...args),
      send: (channel: string, ...args: unknown[]) => s.ipcMain.emit(channel, s.from(), ...structuredClone(args)),
      on: (channel: string, fn: (...a: unknown[]) => void) => rendererSide.on(channel, fn),
    };
    return { ...s, ferry: createPreloadBridge(ipcRenderer as never) };
  }

  it('carries a request, a bad payload and a subscription end to end', async () => {
    const { ferry, main } = wired();
    expect(await ferry.invoke(appInfo.id, {})).toMatchObject({ ok: true });
    const bad = await ferry.invoke(hostsAdd.id, { draft: {} });
    expect(bad).toMatchObject({ ok: false, error: { code: 'ipc.bad-payload' } });
    const events: unknown[] = [];
    const stop = ferry.subscribe(inventoryWatch.id, {}, (e) => events.push(e));
    main.push({ type: 'removed', id: 'h3' });
    expect(events).toEqual([{ type: 'snapshot', hosts: [hostView('h1')] }, { type: 'removed', id: 'h3' }]);
    stop();
    expect(main.watch).toMatchObject({ started: 1, stopped: 1 });
  });
});
