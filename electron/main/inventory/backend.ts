/**
 * What the inventory needs from SSH, as one small interface: the real one is the pool (poolBackend), unit tests
 * give a fake. Keeping the seam here lets the service's logic (states, trust, refresh scheduling, change detection)
 * be tested with fake timers and no network.
 */
import type { FerryError } from '../../../shared/errors';
import type { Result } from '../../../shared/result';
import { execRunner, virshRunner } from '../remote/ssh-runner';
import type { SshTarget } from '../ssh/errors';
import type { SshPool } from '../ssh/pool';
import type { HostRunners } from './collect';

export interface HostSession extends HostRunners {
  /** Ends the long-lived virsh session. */
  close(): Promise<void>;
}

export interface SshBackend {
  /** Opens (or reuses) the connection; host-key and authentication failures arrive here. */
  connect(target: SshTarget, opts: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<Result<void, FerryError>>;
  /** Runners over the target's connection: exec channels and one long-lived virsh session. */
  session(target: SshTarget): HostSession;
  /** Appends a key to Ferry's known_hosts (refuses a changed one). */
  trustHostKey(target: SshTarget, key: { readonly keyType: string; readonly keyBase64: string }): Promise<Result<void, FerryError>>;
  closeConnection(target: SshTarget): Promise<void>;
  dispose(): Promise<void>;
}

export function poolBackend(pool: SshPool): SshBackend {
  return {
    connect: (target, o) => pool.connect(target, o.signal ? { timeoutMs: o.timeoutMs, signal: o.signal } : { timeoutMs: o.timeoutMs }),
    session: (target) => {
      const virsh = virshRunner(pool, target);
      return { exec: execRunner(pool, target), virsh, close: () => virsh.close() };
    },
    trustHostKey: (target, key) => pool.trustHostKey(target, key),
    closeConnection: (target) => pool.closeConnection(target),
    dispose: () => pool.dispose(),
  };
}
