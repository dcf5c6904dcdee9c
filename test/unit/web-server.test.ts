import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createIpcCore, type IpcCore } from '../../electron/main/ipc/core';
import { safeRelativePath } from '../../electron/main/web/static';
import { startWebServer, type WebServer } from '../../electron/main/web/server';
import { appInfo, hostsAdd, inventoryWatch } from '../../shared/ipc/contract';
import { WS_PATH, WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX, WS_CLOSE_BAD_TOKEN } from '../../shared/ipc/channels';
import { eventually, fakeMain, hostView, recordingLogger, type FakeMain } from './ipc-harness';

let dir: string;
let staticDir: string;
let main: FakeMain;
let core: IpcCore;
let server: WebServer;
const sockets: WebSocket[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ferry-web-'));
  staticDir = path.join(dir, 'renderer');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Ferry</title>');
  writeFileSync(path.join(staticDir, 'assets', 'app-1234.js'), 'console.log("ferry")');
  writeFileSync(path.join(dir, 'package.json'), '{"name":"SECRET-OUTSIDE"}');
  symlinkSync(path.join(dir, 'package.json'), path.join(staticDir, 'linked.json'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(logger = recordingLogger()) {
  main = fakeMain();
  core = createIpcCore(main.handlers, { logger });
  server = await startWebServer({ core, staticDir, port: 0, logger });
  return logger;
}
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.terminate());
  await server.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request: the path goes on the wire exactly as given (no client-side normalisation). */
function get(rawPath: string, init: { method?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path: rawPath, method: init.method ?? 'GET', headers: init.host ? { host: init.host } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface ConnectOptions {
  token?: string | null;
  origin?: string | null;
  protocols?: string[];
}

/** Opens a WebSocket like the page does; resolves the open socket or rejects with the refusal's HTTP status. */
function connect(o: ConnectOptions = {}): Promise<WebSocket> {
  const token = o.token === undefined ? server.token : o.token;
  const protocols = o.protocols ?? [WS_PROTOCOL, ...(token === null ? [] : [WS_TOKEN_PROTOCOL_PREFIX + token])];
  const origin = o.origin === undefined ? `http://127.0.0.1:${server.port}` : o.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${WS_PATH}`, protocols, origin === null ? {} : { origin });
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Frames a socket receives, with a way to wait for the next one matching a predicate. */
function frames(ws: WebSocket) {
  const seen: Record<string, unknown>[] = [];
  ws.on('message', (data) => seen.push(JSON.parse(data.toString()) as Record<string, unknown>));
  return {
    seen,
    next: async (pred: (f: Record<string, unknown>) => boolean) => {
      let found: Record<string, unknown> | undefined;
      await eventually(() => expect((found = seen.find(pred))).toBeDefined());
      return found as Record<string, unknown>;
    },
  };
}

describe('web server: static files', () => {
  it('serves the page and its assets with strict headers (CSP connects only to its own WebSocket)', async () => {
    await start();
    const page = await get('/?token=abc');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Ferry</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain(`connect-src ws://127.0.0.1:${server.port};`);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const js = await get('/assets/app-1234.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('refuses every way out of the directory: dot segments, encoded separators, backslashes, symlinks', async () => {
    await start();
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json', '/..%5cpackage.json', '/assets/%2e%2e/%2e%2e/package.json', '/linked.json', '/%00', '/%E0%A4%A']) {
      const answer = await get(p);
      expect([400, 404], p).toContain(answer.status);
      expect(answer.body, p).not.toContain('SECRET');
    }
  });

  it('lists no directory and answers 404 for a missing file', async () => {
    await start();
    expect((await get('/assets/')).status).toBe(404);
    expect((await get('/assets')).status).toBe(404);
    expect((await get('/nothing.js')).status).toBe(404);
  });

  it('serves GET and HEAD only', async () => {
    await start();
    const post = await get('/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
    const head = await get('/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers only to loopback host names, on any port (a DNS-rebinding page names another host)', async () => {
    await start();
    expect((await get('/', { host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await get('/', { host: `127.0.0.1.evil.example:${server.port}` })).status).toBe(403);
    expect((await get('/', { host: `localhost:${server.port}` })).status).toBe(200);
    // Through an SSH tunnel the browser names the local end's port.
    const tunnelled = await get('/', { host: 'localhost:18080' });
    expect(tunnelled.status).toBe(200);
    expect(tunnelled.headers['content-security-policy']).toContain('connect-src ws://localhost:18080;');
  });

  it('maps request paths to plain relative file names', () => {
    expect(safeRelativePath('/')).toBe('index.html');
    expect(safeRelativePath('/?token=x')).toBe('index.html');
    expect(safeRelativePath('/assets/a.js?v=1')).toBe('assets/a.js');
    expect(safeRelativePath('//assets//a.js')).toBe('assets/a.js');
    expect(safeRelativePath('/.env')).toBeUndefined();
    expect(safeRelativePath('/a/../b')).toBeUndefined();
    expect(safeRelativePath('http://x/a')).toBeUndefined();
  });
});

describe('web server: who may open the WebSocket', () => {
  it('closes a socket without the token, with a wrong token, or with two tokens with the bad-token code, serving nothing', async () => {
    const logger = await start();
    /** The code the socket was closed with, after sending it a request it must not answer. */
    const closedWith = async (o: ConnectOptions): Promise<{ code: number; frames: number }> => {
      const ws = await connect(o);
      let received = 0;
      ws.on('message', () => received++);
      const code = await new Promise<number>((resolve) => {
        ws.once('close', (c: number) => resolve(c));
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ t: 'invoke', id: 'r1', channel: 'ferry.hosts.list', input: {} }));
      });
      return { code, frames: received };
    };
    await expect(closedWith({ token: null })).resolves.toEqual({ code: WS_CLOSE_BAD_TOKEN, frames: 0 });
    await expect(closedWith({ token: 'A'.repeat(43) })).resolves.toEqual({ code: WS_CLOSE_BAD_TOKEN, frames: 0 });
    await expect(closedWith({ token: server.token.slice(0, -1) })).resolves.toEqual({ code: WS_CLOSE_BAD_TOKEN, frames: 0 });
    const doubled = [WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX + server.token, WS_TOKEN_PROTOCOL_PREFIX + 'B'.repeat(43)];
    await expect(closedWith({ protocols: doubled })).resolves.toEqual({ code: WS_CLOSE_BAD_TOKEN, frames: 0 });
    expect(logger.text()).not.toContain(server.token);
    // A foreign page with a wrong token still gets a plain HTTP refusal: nothing to learn there.
    await expect(connect({ token: 'A'.repeat(43), origin: 'https://evil.example' })).rejects.toThrow('refused 403');
  });

  it('refuses an upgrade from a foreign page even with the right token', async () => {
    await start();
    await expect(connect({ origin: 'https://evil.example' })).rejects.toThrow('refused 403');
    await expect(connect({ origin: `http://127.0.0.1:${server.port + 1}` })).rejects.toThrow('refused 403');
  });

  it('accepts its own page and a non-browser client (no Origin) holding the token; echoes no token back', async () => {
    await start();
    const page = await connect();
    expect(page.protocol).toBe(WS_PROTOCOL);
    await expect(connect({ origin: null })).resolves.toBeInstanceOf(WebSocket);
  });

  it('uses 32 random bytes as the token, a new one per launch, and prints it in the page URL', async () => {
    await start();
    const first = server.token;
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${first}`);
    await server.close();
    await start();
    expect(server.token).not.toBe(first);
  });

  it('binds to loopback unless remote access is asked for explicitly, and refuses a weak given token', async () => {
    await expect(startWebServer({ core: createIpcCore(fakeMain().handlers), staticDir, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
    await expect(startWebServer({ core: createIpcCore(fakeMain().handlers), staticDir, token: 'short' })).rejects.toThrow(/token/);
    await start();
  });
});

describe('web server: the contract over the WebSocket', () => {
  it('answers an invoke frame with the core’s Result, bad payloads included', async () => {
    await start();
    const ws = await connect();
    const f = frames(ws);
    ws.send(JSON.stringify({ t: 'invoke', id: 'r1', channel: appInfo.id, input: {} }));
    ws.send(JSON.stringify({ t: 'invoke', id: 'r2', channel: hostsAdd.id, input: { draft: { port: 0 } } }));
    ws.send(JSON.stringify({ t: 'invoke', id: 'r3', channel: 'ferry.shell.exec', input: {} }));
    expect(await f.next((x) => x['id'] === 'r1')).toEqual({ t: 'result', id: 'r1', result: { ok: true, value: expect.objectContaining({ mode: 'web' }) } });
    expect(await f.next((x) => x['id'] === 'r2')).toMatchObject({ result: { ok: false, error: { code: 'ipc.bad-payload' } } });
    expect(await f.next((x) => x['id'] === 'r3')).toMatchObject({ result: { ok: false, error: { code: 'ipc.unknown-channel' } } });
  });

  it('streams events while subscribed; unsubscribe stops the handler’s work', async () => {
    await start();
    const ws = await connect();
    const f = frames(ws);
    ws.send(JSON.stringify({ t: 'subscribe', subscription: 's1', channel: inventoryWatch.id, params: {} }));
    expect(await f.next((x) => x['t'] === 'event')).toEqual({ t: 'event', subscription: 's1', event: { type: 'snapshot', hosts: [hostView('h1')] } });
    expect(main.watch.live).toBe(1);
    main.push({ type: 'removed', id: 'h1' });
    await f.next((x) => JSON.stringify(x).includes('removed'));
    ws.send(JSON.stringify({ t: 'unsubscribe', subscription: 's1' }));
    await eventually(() => expect(main.watch).toMatchObject({ started: 1, stopped: 1, live: 0 }));
  });

  it('ends a refused subscription with an end frame carrying the error', async () => {
    await start();
    const ws = await connect();
    const f = frames(ws);
    ws.send(JSON.stringify({ t: 'subscribe', subscription: 's1', channel: inventoryWatch.id, params: { all: true } }));
    expect(await f.next((x) => x['t'] === 'end')).toMatchObject({ subscription: 's1', error: { code: 'ipc.bad-payload' } });
  });

  it('drops every subscription of a socket that closes', async () => {
    await start();
    const ws = await connect();
    const f = frames(ws);
    ws.send(JSON.stringify({ t: 'subscribe', subscription: 's1', channel: inventoryWatch.id, params: {} }));
    ws.send(JSON.stringify({ t: 'subscribe', subscription: 's2', channel: inventoryWatch.id, params: {} }));
    await eventually(() => expect(f.seen.length).toBe(2));
    expect(main.watch.live).toBe(2);
    ws.close();
    await eventually(() => expect(main.watch.live).toBe(0));
    expect(core.subscriptionCount()).toBe(0);
  });

  it('closes a socket that sends a frame outside the wire schema (1008) or binary (1003)', async () => {
    await start();
    for (const [payload, code] of [
      ['{"t":"invoke","channel":"ferry.app.info"}', 1008],
      ['not json', 1008],
      ['{"t":"shell","cmd":"id"}', 1008],
      [Buffer.from([1, 2, 3]), 1003],
    ] as const) {
      const ws = await connect();
      const closed = new Promise<number>((resolve) => ws.once('close', resolve));
      ws.send(payload);
      expect(await closed).toBe(code);
    }
  });

  it('serves several sockets from the same core, each with its own subscriptions', async () => {
    await start();
    const a = await connect();
    const b = await connect();
    const fb = frames(b);
    a.send(JSON.stringify({ t: 'subscribe', subscription: 's1', channel: inventoryWatch.id, params: {} }));
    b.send(JSON.stringify({ t: 'subscribe', subscription: 's1', channel: inventoryWatch.id, params: {} }));
    await eventually(() => expect(main.watch.live).toBe(2));
    a.close();
    await eventually(() => expect(main.watch.live).toBe(1));
    main.push({ type: 'removed', id: 'h7' });
    await fb.next((x) => JSON.stringify(x).includes('h7'));
  });
});
