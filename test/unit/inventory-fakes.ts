/**
 * Stand-ins for the inventory's side effects: hosts that answer commands with the real lab captures in
 * test/fixtures (so the collectors parse what a real host prints), and an SSH backend whose connection outcome per
 * host a test decides (answers, host key unknown until trusted, unreachable, or silent until cancelled).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostSession, SshBackend } from '../../electron/main/inventory/backend';
import type { CommandRunner, RunOutput } from '../../electron/main/remote/run-command';
import type { HostKeyError, SshTarget } from '../../electron/main/ssh/errors';
import type { Clock } from '../../electron/main/clock';
import { HOST_IDENTITY_SCRIPT } from '../../shared/commands/inventory';
import { ferryError, type FerryError } from '../../shared/errors';
import { err, ok, type Result } from '../../shared/result';

const FIXTURES = join(__dirname, '..', 'fixtures');
export const fixture = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');

const V = 'virsh --connect qemu:///system';

/** What hvA printed for each command the inventory runs (argv joined with spaces, without `env LC_ALL=C`). */
export function hvAOutputs(): Map<string, string> {
  return new Map([
    [`sh -c ${HOST_IDENTITY_SCRIPT}`, fixture('host/identity-hvA.txt')],
    ['ip -j addr show', fixture('ip/addr.txt')],
    ['ip -j -d link show', fixture('ip/link.txt')],
    ['ethtool eth0', fixture('ethtool/settings-veth.txt')],
    ['ethtool mig0', fixture('ethtool/settings-veth.txt')],
    [`${V} version`, fixture('virsh/version.txt')],
    [`${V} nodeinfo`, fixture('virsh/nodeinfo.txt')],
    [`${V} list --all`, fixture('virsh/list-all-hvA.txt')],
    [`${V} list --all --name --persistent`, fixture('virsh/names-persistent-hvA.txt')],
    [`${V} list --all --name --transient`, fixture('virsh/names-transient-empty.txt')],
    [`${V} list --all --name --autostart`, fixture('virsh/names-transient-empty.txt')],
    [`${V} list --all --name --no-autostart`, fixture('virsh/names-no-autostart-hvA.txt')],
    [`${V} domstats --balloon --vcpu`, fixture('virsh/domstats-running-hvA.txt')],
  ]);
}

/** A runner answering from a table; counts what it ran. `hang` makes every command wait for its cancel. */
export class TableRunner implements CommandRunner {
  readonly ran: string[] = [];
  hang = false;
  /** Set: every virsh command fails with this on stderr (exit 1), as with libvirtd stopped. */
  virshFails: string | undefined;
  constructor(public outputs: Map<string, string>) {}
  run(argv: readonly string[], o: { timeoutMs: number; signal?: AbortSignal }): Promise<Result<RunOutput, FerryError>> {
    const words = argv[0] === 'env' ? argv.slice(2) : argv;
    const key = words.join(' ');
    this.ran.push(key);
    if (this.hang) {
      return new Promise((resolve) => {
        const cancelled = () => resolve(err(ferryError('command.cancelled', `${key} was cancelled`)));
        if (o.signal?.aborted) cancelled();
        else o.signal?.addEventListener('abort', cancelled, { once: true });
      });
    }
    if (this.virshFails !== undefined && words[0] === 'virsh') return Promise.resolve(ok({ stdout: '', stderr: this.virshFails, exitCode: 1 }));
    const text = this.outputs.get(key);
    if (text === undefined) return Promise.resolve(ok({ stdout: '', stderr: `sh: 1: ${words[0] ?? ''}: not found\n`, exitCode: 127 }));
    return Promise.resolve(ok({ stdout: text, stderr: '', exitCode: 0 }));
  }
}

export type Behaviour = 'answer' | 'hang' | FerryError;

export interface FakeHost {
  behaviour: Behaviour;
  /** Has Ferry trusted this host's key? Until then connect answers host-key-unknown. */
  trusted: boolean;
  readonly runner: TableRunner;
  connects: number;
}

export const KEY_BASE64 = 'AAAAC3NzaC1lZDI1NTE5AAAAINuTyyyv/XgujehuVlg75lsVoA31ssDzPRWhrBw/FU4t';
export const KEY_FINGERPRINT = 'SHA256:Zrzo5oVnNBtpgmg7gcFRwUnh/wK2nNjwrhVcm8HKSpo';

export function unknownKeyError(host: string, port: number): HostKeyError {
  return {
    code: 'ssh.host-key-unknown',
    message: `${host}:${port} is not a known host.`,
    hostKey: { host, port, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT, keyBase64: KEY_BASE64, knownHostsFile: '/data/known_hosts' },
  };
}

/** Hosts by address. Every backend made from it (the main one, probes) sees the same hosts and trust. */
export class FakeNetwork {
  readonly hosts = new Map<string, FakeHost>();
  readonly trustCalls: { target: SshTarget; keyBase64: string }[] = [];
  readonly closed: string[] = [];

  constructor(private readonly clock: Clock) {}

  add(address: string, opts: { trusted?: boolean; outputs?: Map<string, string> } = {}): FakeHost {
    const h: FakeHost = { behaviour: 'answer', trusted: opts.trusted ?? true, runner: new TableRunner(opts.outputs ?? hvAOutputs()), connects: 0 };
    this.hosts.set(address, h);
    return h;
  }

  backend(): SshBackend {
    return {
      connect: (target, o) => {
        // Jump hosts first, as the pool does: each must be there and trusted, its failures named after it.
        for (const hop of target.jump ?? []) {
          const j = this.hosts.get(hop.host);
          if (!j) return Promise.resolve(err(ferryError('ssh.unreachable', `jump host ${hop.host}: ${hop.host} cannot be reached.`)));
          j.connects++;
          if (!j.trusted) {
            const e = unknownKeyError(hop.host, hop.port ?? 22);
            return Promise.resolve(err({ ...e, message: `jump host ${hop.host}: ${e.message}` }));
          }
        }
        const h = this.hosts.get(target.host);
        if (!h) return Promise.resolve(err(ferryError('ssh.unreachable', `${target.host} cannot be reached.`)));
        h.connects++;
        if (!h.trusted) return Promise.resolve(err(unknownKeyError(target.host, target.port ?? 22)));
        if (h.behaviour === 'answer') return Promise.resolve(ok(undefined));
        if (h.behaviour === 'hang') {
          return new Promise((resolve) => {
            const give = () => resolve(err(ferryError('command.cancelled', 'cancelled while connecting')));
            const t = this.clock.setTimeout(() => resolve(err(ferryError('command.timeout', 'ran out of time while connecting'))), o.timeoutMs);
            o.signal?.addEventListener('abort', () => {
              this.clock.clearTimeout(t);
              give();
            });
          });
        }
        return Promise.resolve(err(h.behaviour));
      },
      session: (target): HostSession => {
        const h = this.hosts.get(target.host);
        const runner = h?.runner ?? new TableRunner(new Map());
        return { exec: runner, virsh: runner, close: () => Promise.resolve() };
      },
      trustHostKey: (target, key) => {
        this.trustCalls.push({ target, keyBase64: key.keyBase64 });
        const h = this.hosts.get(target.host);
        if (h) h.trusted = true;
        return Promise.resolve(ok(undefined));
      },
      closeConnection: (target) => {
        this.closed.push(target.host);
        return Promise.resolve();
      },
      dispose: () => Promise.resolve(),
    };
  }
}

/** A Clock on the global timers (which vi.useFakeTimers replaces) and Date.now. */
export const timerClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
