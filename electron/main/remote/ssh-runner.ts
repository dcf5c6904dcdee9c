/**
 * CommandRunners over the SSH core:
 * - execRunner: each command on its own channel of the pooled connection (any command);
 * - virshRunner: virsh commands inside one long-lived interactive virsh on the host (the sampler's choice: a sample
 *   costs ~1.4 ms there against ~16-18 ms for a new virsh process per sample, see bench/results).
 */
import { err } from '../../../shared/result';
import { ferryError } from '../../../shared/errors';
import { C_LOCALE, VIRSH } from '../../../shared/commands';
import type { SshPool } from '../ssh/pool';
import type { SshTarget } from '../ssh/errors';
import { VirshSession } from '../ssh/virsh-session';
import { withEnv, type CommandRunner } from './run-command';

export function execRunner(pool: SshPool, target: SshTarget): CommandRunner {
  return {
    run: (argv, o) =>
      pool.exec(target, argv, {
        timeoutMs: o.timeoutMs,
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.stdin !== undefined ? { stdin: o.stdin } : {}),
      }),
  };
}

/** What a Command for virsh looks like once runCommand has added its environment. */
const VIRSH_PREFIX: readonly string[] = withEnv(C_LOCALE, VIRSH);

export interface VirshRunner extends CommandRunner {
  close(): Promise<void>;
}

/**
 * Runs typed virsh Commands (shared/commands, `virsh --connect qemu:///system ...` in the C locale) inside one
 * interactive virsh started with the same URI and locale. Anything else is refused, not run some other way.
 */
export function virshRunner(pool: SshPool, target: SshTarget): VirshRunner {
  const session = new VirshSession({ pool, target, uri: 'qemu:///system' });
  return {
    run: (argv, o) => {
      const matches = VIRSH_PREFIX.every((word, i) => argv[i] === word);
      if (o.stdin !== undefined) {
        return Promise.resolve(err(ferryError('input.invalid', 'A command that reads standard input cannot run in the virsh session.', argv.join(' '))));
      }
      if (!matches || argv.length === VIRSH_PREFIX.length) {
        return Promise.resolve(
          err(ferryError('input.invalid', 'Only virsh commands against qemu:///system can run in the virsh session.', argv.join(' '))),
        );
      }
      return session.run(argv.slice(VIRSH_PREFIX.length), o.signal ? { timeoutMs: o.timeoutMs, signal: o.signal } : { timeoutMs: o.timeoutMs });
    },
    close: () => session.close(),
  };
}
