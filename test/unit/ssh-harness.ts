/**
 * A real SSH server in-process for unit tests: ssh2's own Server on 127.0.0.1 with a host key made by ssh-keygen.
 * `exec` requests run through a local /bin/sh in their own process group (as sshd does), so commands, exit codes,
 * signals and stdin behave as on a real host. It counts open sessions and refuses the (maxSessions+1)th, like
 * OpenSSH's MaxSessions.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AcceptConnection, RejectConnection, ServerChannel, Session } from 'ssh2';
import { formatKnownHostsLine, memoryKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import type { SshPoolOptions } from '../../electron/main/ssh/pool';

const { Server, utils } = ssh2;

export interface KeyPair {
  readonly privateKey: string;
  readonly type: string;
  readonly blob: Buffer;
  readonly pubLine: string;
}

export interface Keys {
  readonly dir: string;
  readonly host: KeyPair;
  readonly otherHost: KeyPair;
  readonly client: KeyPair;
  /** The client key again, encrypted with `passphrase`. */
  readonly clientEncrypted: KeyPair;
  readonly passphrase: string;
  readonly stranger: KeyPair;
  cleanup(): void;
}

function keygen(dir: string, name: string, passphrase = ''): KeyPair {
  const f = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', f]);
  const pubLine = readFileSync(`${f}.pub`, 'utf8').trim();
  const [type, b64] = pubLine.split(' ');
  return { privateKey: readFileSync(f, 'utf8'), type: type!, blob: Buffer.from(b64!, 'base64'), pubLine };
}

export function makeKeys(): Keys {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-ssh-keys-'));
  const client = keygen(dir, 'client');
  const passphrase = 'correct horse battery staple 42';
  execFileSync('cp', [join(dir, 'client'), join(dir, 'client-enc')]);
  execFileSync('ssh-keygen', ['-q', '-p', '-N', passphrase, '-f', join(dir, 'client-enc')]);
  const clientEncrypted = { ...client, privateKey: readFileSync(join(dir, 'client-enc'), 'utf8') };
  return {
    dir,
    host: keygen(dir, 'host'),
    otherHost: keygen(dir, 'other-host'),
    client,
    clientEncrypted,
    passphrase,
    stranger: keygen(dir, 'stranger'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ServerStats {
  connections: number;
  /** Client connections open now (as `ss -tn` on an sshd host would count them). */
  openConnections: number;
  sessionsOpened: number;
  sessionsRefused: number;
  /** Open sessions over all connections. */
  openSessions: number;
  /** Most sessions open at once on one connection. */
  peakSessions: number;
  signals: string[];
  commands: string[];
  /** `direct-tcpip` requests (a client using this server as its jump host), as `host:port`, refused ones included. */
  forwards: string[];
}

export interface TestServer {
  readonly port: number;
  readonly stats: ServerStats;
  maxSessions: number;
  /** Milliseconds the server waits before answering each exec (to make channels overlap). */
  execDelayMs: number;
  /** Milliseconds the server waits before confirming a new session channel (an sshd slow to fork). */
  sessionDelayMs: number;
  /** Behave like OpenSSH with a root session: "session signalling requires privilege separation". */
  ignoreSignals: boolean;
  knownHostsLine(host?: string): string;
  /** Drops every client connection abruptly (socket destroy), as a network failure would. */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startTestServer(keys: Keys, opts: { maxSessions?: number } = {}): Promise<TestServer> {
  const stats: ServerStats = { connections: 0, openConnections: 0, sessionsOpened: 0, sessionsRefused: 0, openSessions: 0, peakSessions: 0, signals: [], commands: [], forwards: [] };
  const allowed = utils.parseKey(keys.client.privateKey);
  if (allowed instanceof Error) throw allowed;
  const clients = new Set<{ end(): void; _sock?: { destroy(): void } }>();
  const children = new Set<number>();
  const state = { maxSessions: opts.maxSessions ?? 10, execDelayMs: 0, sessionDelayMs: 0, ignoreSignals: false };

  // ssh2's Server hands a session's requests to the Session object only until exec starts; a later 'signal' request
  // is answered with failure and never surfaces. Its debug log does see it, so signals are taken from there and
  // delivered to the process group of the session with that channel id, as sshd's killpg does.
  const pidsByChannel = new Map<number, Set<number>>();
  const debug = (msg: string): void => {
    const m = /Inbound: CHANNEL_REQUEST \(r:(\d+), signal: (\w+)\)/.exec(msg);
    if (!m) return;
    stats.signals.push(m[2]!);
    if (state.ignoreSignals) return;
    for (const pid of pidsByChannel.get(Number(m[1])) ?? []) {
      try {
        process.kill(-pid, `SIG${m[2]!}` as NodeJS.Signals);
      } catch {
        /* already gone */
      }
    }
  };
  const server = new Server({ hostKeys: [keys.host.privateKey], debug }, (client) => {
    stats.connections++;
    stats.openConnections++;
    client.on('close', () => stats.openConnections--);
    // MaxSessions is per connection, as in sshd.
    let open = 0;
    client.on('close', () => {
      stats.openSessions -= open;
      open = 0;
    });
    clients.add(client as unknown as { end(): void });
    client.on('close', () => clients.delete(client as unknown as { end(): void }));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.key.algo !== allowed.type || !ctx.key.data.equals(allowed.getPublicSSH())) {
        ctx.reject(['publickey']);
        return;
      }
      if (!ctx.signature) {
        ctx.accept();
        return;
      }
      if (ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) ctx.accept();
      else ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      const onSession = (accept: AcceptConnection<Session>, reject: RejectConnection): void => {
        if (open >= state.maxSessions) {
          stats.sessionsRefused++;
          reject();
          return;
        }
        open++;
        stats.openSessions++;
        stats.sessionsOpened++;
        stats.peakSessions = Math.max(stats.peakSessions, open);
        const session = accept();
        const localId = (session as unknown as { _chanInfo: { incoming: { id: number } } })._chanInfo.incoming.id;
        let pid: number | undefined;
        session.once('close', () => {
          if (open === 0) return;
          open--;
          stats.openSessions--;
        });
        session.on('exec', (acceptExec, _rejectExec, info) => {
          stats.commands.push(info.command);
          const stream: ServerChannel = acceptExec();
          const run = (): void => {
            const child = spawn('/bin/sh', ['-c', info.command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
            pid = child.pid;
            if (pid !== undefined) {
              children.add(pid);
              const set = pidsByChannel.get(localId) ?? new Set<number>();
              set.add(pid);
              pidsByChannel.set(localId, set);
            }
            stream.pipe(child.stdin);
            child.stdin.on('error', () => undefined);
            child.stdout.pipe(stream, { end: false });
            child.stderr.pipe(stream.stderr, { end: false });
            child.on('close', (code, signal) => {
              if (pid !== undefined) {
                children.delete(pid);
                pidsByChannel.get(localId)?.delete(pid);
              }
              try {
                if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '');
                else stream.exit(code ?? 0);
                stream.end();
              } catch {
                /* the client is gone */
              }
            });
          };
          if (state.execDelayMs > 0) setTimeout(run, state.execDelayMs);
          else run();
        });
      };
      // A jump host's part, as sshd does it: connect to the destination, then confirm the channel (or refuse it
      // with the connect error, SSH_OPEN_CONNECT_FAILED).
      client.on('tcpip', (accept, reject, info) => {
        stats.forwards.push(`${info.destIP}:${info.destPort}`);
        const out = net.connect({ host: info.destIP, port: info.destPort, noDelay: true });
        out.once('error', () => reject());
        out.once('connect', () => {
          out.removeAllListeners('error');
          const ch = accept();
          out.on('error', () => ch.destroy());
          ch.on('error', () => out.destroy());
          ch.pipe(out).pipe(ch);
        });
      });
      client.on('session', (accept, reject) => {
        if (state.sessionDelayMs > 0) setTimeout(() => onSession(accept, reject), state.sessionDelayMs);
        else onSession(accept, reject);
      });
    });
  });
  // sshd sets TCP_NODELAY on its sockets; without it every reply here would wait on Nagle + delayed ACK.
  (server as unknown as { _srv: net.Server })._srv.on('connection', (s: net.Socket) => s.setNoDelay(true));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    stats,
    get maxSessions() {
      return state.maxSessions;
    },
    set maxSessions(n: number) {
      state.maxSessions = n;
    },
    get execDelayMs() {
      return state.execDelayMs;
    },
    set execDelayMs(n: number) {
      state.execDelayMs = n;
    },
    get sessionDelayMs() {
      return state.sessionDelayMs;
    },
    set sessionDelayMs(n: number) {
      state.sessionDelayMs = n;
    },
    get ignoreSignals() {
      return state.ignoreSignals;
    },
    set ignoreSignals(v: boolean) {
      state.ignoreSignals = v;
    },
    knownHostsLine: (host = '127.0.0.1') => formatKnownHostsLine(host, port, keys.host.type, keys.host.blob),
    dropAll: () => {
      for (const c of clients) (c as unknown as { _sock: { destroy(): void } })._sock.destroy();
    },
    close: async () => {
      for (const pid of children) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A pool's options for `server`: its key known, the client key, short timeouts and backoff. */
export function poolOptionsFor(server: TestServer, keys: Keys): SshPoolOptions {
  return {
    knownHosts: memoryKnownHostsStore(`${server.knownHostsLine()}\n`),
    auth: () => ({ kind: 'key', privateKey: keys.client.privateKey }),
    readyTimeoutMs: 5000,
    backoff: { initialMs: 20, maxMs: 200, jitter: (ms) => ms },
  };
}
