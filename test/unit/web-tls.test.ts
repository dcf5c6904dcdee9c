/**
 * Web mode beyond loopback: HTTPS/WSS with the operator's certificate (made here with the openssl CLI), never plain
 * HTTP; and a cap on concurrent WebSockets.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createIpcCore } from '../../electron/main/ipc/core';
import { startWebServer, WS_CLOSE_TRY_LATER, type WebServer } from '../../electron/main/web/server';
import { loadTls } from '../../electron/main/web/tls';
import { appInfo } from '../../shared/ipc/contract';
import { WS_PATH, WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../shared/ipc/channels';
import { fakeMain, recordingLogger } from './ipc-harness';

let dir: string;
let staticDir: string;
let certFile: string;
let keyFile: string;

function makeCert(name: string, days = 2): { cert: string; key: string } {
  const cert = path.join(dir, `${name}-cert.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', String(days), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  chmodSync(key, 0o600);
  return { cert, key };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ferry-web-tls-'));
  staticDir = path.join(dir, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Ferry</title>');
  ({ cert: certFile, key: keyFile } = makeCert('server'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const core = () => createIpcCore(fakeMain().handlers);

function wsUrl(server: WebServer, scheme: 'ws' | 'wss') {
  return `${scheme}://127.0.0.1:${server.port}${WS_PATH}`;
}
function openSocket(server: WebServer, scheme: 'ws' | 'wss', origin: string, ca?: Buffer): WebSocket {
  return new WebSocket(wsUrl(server, scheme), [WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX + server.token], { origin, ...(ca ? { ca } : {}) });
}
const opened = (ws: WebSocket) =>
  new Promise<WebSocket>((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_q, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
const closed = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

describe('web mode TLS material', () => {
  it('loads a certificate and its key, with the SHA-256 fingerprint browsers show', async () => {
    const r = await loadTls(certFile, keyFile);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const openssl = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
    expect(openssl.trim()).toBe(`sha256 Fingerprint=${r.value.fingerprint256}`);
  });

  it('refuses a key others can read, a key of another certificate, a non-certificate and an expired one', async () => {
    chmodSync(keyFile, 0o644);
    expect(await loadTls(certFile, keyFile)).toMatchObject({ ok: false, error: expect.stringContaining('are too open') });
    chmodSync(keyFile, 0o600);
    const other = makeCert('other');
    expect(await loadTls(certFile, other.key)).toEqual({ ok: false, error: `${other.key} is not the private key of the certificate ${certFile}.` });
    expect(await loadTls(other.key, other.key)).toMatchObject({ ok: false, error: expect.stringContaining('is not a PEM certificate') });
    expect(await loadTls(path.join(dir, 'absent.pem'), keyFile)).toMatchObject({ ok: false, error: expect.stringContaining('ENOENT') });
    const inAYear = Date.now() + 365 * 86_400_000;
    expect(await loadTls(certFile, keyFile, () => inAYear)).toMatchObject({ ok: false, error: expect.stringContaining('expired') });
  });
});

describe('web server over TLS', () => {
  it('refuses a non-loopback address without TLS, even with allowRemote', async () => {
    await expect(startWebServer({ core: core(), staticDir, host: '0.0.0.0', allowRemote: true })).rejects.toThrow(/without TLS/);
  });

  it('serves the page over HTTPS and the contract over WSS, to its own https origin only', async () => {
    const tls = await loadTls(certFile, keyFile);
    if (!tls.ok) throw new Error(tls.error);
    const ca = readFileSync(certFile);
    const server = await startWebServer({ core: core(), staticDir, tls: tls.value });
    try {
      expect(server.url).toBe(`https://127.0.0.1:${server.port}/?token=${server.token}`);
      const page = await new Promise<{ status: number; csp: string; fingerprint: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/', ca }, (res) => {
          res.resume();
          const peer = (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate();
          resolve({ status: res.statusCode ?? 0, csp: String(res.headers['content-security-policy']), fingerprint: peer?.fingerprint256 ?? '' });
        });
        req.on('error', reject);
        req.end();
      });
      expect(page.status).toBe(200);
      expect(page.fingerprint).toBe(tls.value.fingerprint256);
      expect(page.csp).toContain(`connect-src wss://127.0.0.1:${server.port}`);

      const ws = await opened(openSocket(server, 'wss', `https://127.0.0.1:${server.port}`, ca));
      expect(ws.protocol).toBe(WS_PROTOCOL);
      ws.terminate();
      // The same page served over http is another origin: refused.
      await expect(opened(openSocket(server, 'wss', `http://127.0.0.1:${server.port}`, ca))).rejects.toThrow('refused 403');
    } finally {
      await server.close();
    }
  });
});

describe('web server connection cap', () => {
  it('serves at most maxConnections sockets; the next is closed with 1013 and a reason, and a freed slot is reused', async () => {
    const logger = recordingLogger();
    const server = await startWebServer({ core: core(), staticDir, maxConnections: 2, logger });
    const origin = `http://127.0.0.1:${server.port}`;
    try {
      const a = await opened(openSocket(server, 'ws', origin));
      const b = await opened(openSocket(server, 'ws', origin));
      const third = openSocket(server, 'ws', origin);
      const refused = await closed(third);
      expect(refused).toEqual({ code: WS_CLOSE_TRY_LATER, reason: 'too many connections: Ferry serves 2 at a time; close another Ferry tab' });
      expect(logger.lines.some((l) => l.event === 'web.too-many-connections')).toBe(true);
      const aClosed = closed(a);
      a.close();
      await aClosed;
      // The server counts the slot free once it has seen the close; poll rather than sleep. A refused socket opens
      // too (then closes at once), so "served" means it answers a request.
      await expect.poll(async () => {
        const c = openSocket(server, 'ws', origin);
        const outcome = await Promise.race([
          closed(c).then(() => 'closed'),
          opened(c).then(
            () =>
              new Promise<string>((resolve) => {
                c.once('message', () => resolve('served'));
                c.send(JSON.stringify({ t: 'invoke', id: 'r1', channel: appInfo.id, input: {} }));
              }),
          ),
        ]);
        c.terminate();
        return outcome;
      }).toBe('served');
      b.terminate();
    } finally {
      await server.close();
    }
  });
});
