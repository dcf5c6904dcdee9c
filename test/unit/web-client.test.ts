import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { createIpcCore } from '../../electron/main/ipc/core';
import { startWebServer, type WebServer } from '../../electron/main/web/server';
import { createClient } from '../../renderer/src/api/client';
import { takeWebToken } from '../../renderer/src/api/token';
import { BAD_TOKEN_MESSAGE, createWebSocketBridge, reconnectDelay, type SocketLike, type WebSocketBridge } from '../../renderer/src/api/ws-bridge';
import type { FerryApi } from '../../renderer/src/store/ports';
import { appInfo, hostsAdd, hostsList, inventoryWatch, type InventoryEvent } from '../../shared/ipc/contract';
import type { FerryBridge } from '../../shared/ipc/define';
import { WS_PATH } from '../../shared/ipc/channels';
import type { FerryError } from '../../shared/errors';
import { ok } from '../../shared/result';
import { draft, eventually, fakeMain, hostView, type FakeMain } from './ipc-harness';

let staticDir: string;
const servers: WebServer[] = [];
const bridges: WebSocketBridge[] = [];

beforeAll(() => {
  staticDir = mkdtempSync(path.join(tmpdir(), 'ferry-web-client-'));
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html>');
});
afterAll(() => rmSync(staticDir, { recursive: true, force: true }));
afterEach(async () => {
  bridges.splice(0).forEach((b) => b.close());
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(main: FakeMain, port = 0, token?: string): Promise<WebServer> {
  const server = await startWebServer({ core: createIpcCore(main.handlers), staticDir, port, ...(token ? { token } : {}) });
  servers.push(server);
  return server;
}

const wsFactory = (url: string, protocols: string[]) => new WebSocket(url, protocols) as unknown as SocketLike;

function bridgeTo(server: WebServer, token: string | undefined = server.token): WebSocketBridge {
  const b = createWebSocketBridge({ url: `ws://127.0.0.1:${server.port}${WS_PATH}`, token, createSocket: wsFactory, backoff: { initialMs: 20, maxMs: 100 } });
  bridges.push(b);
  return b;
}

/** A bridge answering whatever a test sets, to check what the client does with it. */
function cannedBridge(answer: unknown) {
  let emit: (e: unknown) => void = () => undefined;
  const bridge = {
    invoke: vi.fn(async () => answer),
    subscribe: vi.fn((_c: string, _p: unknown, onEvent: (e: unknown) => void) => ((emit = onEvent), stop)),
  };
  const stop = vi.fn();
  return { bridge: bridge as FerryBridge & typeof bridge, emit: (e: unknown) => emit(e), stop };
}

describe('renderer client: validation', () => {
  it('satisfies the store’s FerryApi seam', () => {
    const api: FerryApi = createClient(cannedBridge(undefined).bridge);
    expect(typeof api.invoke).toBe('function');
  });

  it('rejects an answer outside the contract, naming where it failed', async () => {
    const { bridge } = cannedBridge({ ok: true, value: [{ record: { name: 'x' } }] });
    const answer = await createClient(bridge).invoke(hostsList, {});
    expect(answer).toMatchObject({ ok: false, error: { code: 'ipc.bad-payload' } });
    expect(!answer.ok && answer.error.message).toContain('value.0.record');
  });

  it('passes a valid failure through as data', async () => {
    const failure: FerryError = { code: 'ssh.unreachable', message: 'hvA does not answer.', detail: 'ECONNREFUSED' };
    const answer = await createClient(cannedBridge({ ok: false, error: failure }).bridge).invoke(hostsList, {});
    expect(answer).toEqual({ ok: false, error: failure });
  });

  it('refuses a bad input before it is sent', async () => {
    const { bridge } = cannedBridge(ok({}));
    const answer = await createClient(bridge).invoke(hostsAdd, { draft: { ...draft, port: 70000 } });
    expect(!answer.ok && answer.error.message).toContain('draft.port');
    expect(bridge.invoke).not.toHaveBeenCalled();
  });

  it('turns a bridge that throws into ipc.transport rather than a rejection', async () => {
    const { bridge } = cannedBridge(undefined);
    bridge.invoke.mockRejectedValueOnce(new Error('socket hang up'));
    expect(await createClient(bridge).invoke(appInfo, {})).toMatchObject({ ok: false, error: { code: 'ipc.transport' } });
  });

  it('delivers valid events and ends the subscription at the first invalid one, unsubscribing', () => {
    const { bridge, emit, stop } = cannedBridge(undefined);
    const events: InventoryEvent[] = [];
    const ends: (FerryError | undefined)[] = [];
    createClient(bridge).subscribe(inventoryWatch, {}, (e) => events.push(e), (e) => ends.push(e));
    emit({ type: 'removed', id: 'h1' });
    emit({ type: 'removed' });
    emit({ type: 'removed', id: 'h2' });
    expect(events).toEqual([{ type: 'removed', id: 'h1' }]);
    expect(ends).toEqual([expect.objectContaining({ code: 'ipc.bad-payload' })]);
    expect(stop).toHaveBeenCalledTimes(1);
  });
});

describe('renderer client over the web server', () => {
  it('invokes and subscribes end to end; unsubscribing stops main’s work', async () => {
    const main = fakeMain();
    const api = createClient(bridgeTo(await serve(main)));
    expect(await api.invoke(appInfo, {})).toMatchObject({ ok: true, value: { mode: 'web' } });
    const events: InventoryEvent[] = [];
    const stop = api.subscribe(inventoryWatch, {}, (e) => events.push(e));
    await eventually(() => expect(events).toEqual([{ type: 'snapshot', hosts: [hostView('h1')] }]));
    main.push({ type: 'removed', id: 'h1' });
    await eventually(() => expect(events.length).toBe(2));
    stop();
    await eventually(() => expect(main.watch).toMatchObject({ started: 1, stopped: 1 }));
  });

  it('fails requests in flight with ipc.transport when the connection drops', async () => {
    const never = vi.fn(() => new Promise<never>(() => undefined));
    const main = fakeMain({ [hostsList.id]: never });
    const server = await serve(main);
    const api = createClient(bridgeTo(server));
    await api.invoke(appInfo, {}); // connected
    const inFlight = api.invoke(hostsList, {});
    await eventually(() => expect(never).toHaveBeenCalledTimes(1)); // main has it: the request is in flight
    await server.close();
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'ipc.transport' } });
  });

  it('reconnects with backoff and re-subscribes live subscriptions to the new server', async () => {
    const first = fakeMain();
    const server = await serve(first);
    const bridge = bridgeTo(server);
    const events: InventoryEvent[] = [];
    createClient(bridge).subscribe(inventoryWatch, {}, (e) => events.push(e));
    await eventually(() => expect(events.length).toBe(1));
    await server.close();
    await eventually(() => expect(bridge.status).toBe('reconnecting'));
    const second = fakeMain();
    await serve(second, server.port, server.token);
    await eventually(() => expect(second.watch.started).toBe(1));
    expect(bridge.status).toBe('open');
    second.push({ type: 'removed', id: 'h5' });
    await eventually(() => expect(events.at(-1)).toEqual({ type: 'removed', id: 'h5' }));
  });

  it('stops at the first refusal of a wrong token, says why and how to get the URL, and ends its subscriptions', async () => {
    const main = fakeMain();
    const server = await serve(main);
    const createSocket = vi.fn(wsFactory);
    // Every timer the bridge sets is a reconnect: none may be set once the token is refused.
    const reconnects: number[] = [];
    const timers = { setTimeout: (fn: () => void, ms: number) => (reconnects.push(ms), setTimeout(fn, ms)), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
    const bridge = createWebSocketBridge({ url: `ws://127.0.0.1:${server.port}${WS_PATH}`, token: 'A'.repeat(43), createSocket, backoff: { initialMs: 10, maxMs: 10 }, timers });
    bridges.push(bridge);
    const ended: (FerryError | undefined)[] = [];
    createClient(bridge).subscribe(inventoryWatch, {}, () => undefined, (e) => ended.push(e));
    await eventually(() => expect(bridge.status).toBe('rejected'));
    await eventually(() => expect(ended).toHaveLength(1));
    expect(ended[0]?.message).toMatch(/token.*wrong.*restarted.*npm run web/s);
    const answer = await createClient(bridge).invoke(appInfo, {});
    expect(answer).toMatchObject({ ok: false, error: { code: 'ipc.transport', message: BAD_TOKEN_MESSAGE } });
    // No retry: no reconnect was ever scheduled, and it opened one socket.
    expect(reconnects).toEqual([]);
    expect(createSocket).toHaveBeenCalledTimes(1);
    expect(bridge.status).toBe('rejected');
    expect(main.watch.started).toBe(0);
  });

  it('says the token is no longer valid when Ferry comes back after a restart with a new one', async () => {
    const server = await serve(fakeMain());
    const bridge = bridgeTo(server);
    await eventually(() => expect(bridge.status).toBe('open'));
    await server.close();
    await eventually(() => expect(bridge.status).toBe('reconnecting'));
    await serve(fakeMain(), server.port); // a restart: same port, new token
    await eventually(() => expect(bridge.status).toBe('rejected'));
    expect(await createClient(bridge).invoke(appInfo, {})).toMatchObject({ ok: false, error: { message: BAD_TOKEN_MESSAGE } });
  });

  it('says how to get in when the page was opened without its token, and opens no socket', async () => {
    const createSocket = vi.fn(wsFactory);
    const bridge = createWebSocketBridge({ url: 'ws://127.0.0.1:1/ws', token: undefined, createSocket });
    expect(bridge.status).toBe('no-token');
    const answer = await createClient(bridge).invoke(appInfo, {});
    expect(!answer.ok && answer.error.message).toContain('?token=');
    expect(createSocket).not.toHaveBeenCalled();
  });

  it('doubles the reconnect delay up to its cap', () => {
    const b = { initialMs: 250, maxMs: 10_000 };
    expect([0, 1, 2, 3, 10, 99].map((n) => reconnectDelay(n, b))).toEqual([250, 500, 1000, 2000, 10_000, 10_000]);
  });
});

describe('renderer client: the token in the page URL', () => {
  function browser(href: string) {
    const store = new Map<string, string>();
    const history = { state: { s: 1 }, replaced: [] as string[], replaceState: (_d: unknown, _u: string, url: string) => void history.replaced.push(url) };
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    return { location: { href }, history, storage };
  }

  it('takes the token from the URL, removes it from the address bar and keeps it for a reload', () => {
    const b = browser('http://127.0.0.1:4321/?token=abcDEF_-123&x=1#/hosts');
    expect(takeWebToken(b.location, b.history, b.storage)).toBe('abcDEF_-123');
    expect(b.history.replaced).toEqual(['/?x=1#/hosts']);
    expect(takeWebToken({ href: 'http://127.0.0.1:4321/?x=1#/hosts' }, b.history, b.storage)).toBe('abcDEF_-123');
  });

  it('has no token when neither the URL nor the tab holds one', () => {
    const b = browser('http://127.0.0.1:4321/');
    expect(takeWebToken(b.location, b.history, b.storage)).toBeUndefined();
    expect(takeWebToken(b.location, b.history, undefined)).toBeUndefined();
  });
});

describe('renderer client: choosing the bridge', () => {
  it('uses window.ferry when the preload exposed it', async () => {
    vi.resetModules();
    const desktop = cannedBridge({ ok: true, value: { version: '1', mode: 'electron', dataDir: '/d', platform: 'linux', problems: [] } });
    vi.stubGlobal('ferry', desktop.bridge);
    try {
      const { api, getBridge } = await import('../../renderer/src/api/index');
      expect(getBridge()).toBe(desktop.bridge);
      expect(await api.invoke(appInfo, {})).toMatchObject({ ok: true, value: { mode: 'electron' } });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
