/** A CommandRunner that runs each command on its own channel of a pooled SSH connection. */
import type { SshPool } from '../ssh/pool';
import type { SshTarget } from '../ssh/errors';
import type { CommandRunner } from './run-command';

export function execRunner(pool: SshPool, target: SshTarget): CommandRunner {
  return {
    run: (argv, o) => pool.exec(target, argv, o.signal ? { timeoutMs: o.timeoutMs, signal: o.signal } : { timeoutMs: o.timeoutMs }),
  };
}
