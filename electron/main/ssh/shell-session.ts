/**
 * A long-lived remote `sh` on one channel, for commands run often (the domjobinfo sampler): no channel set-up per
 * command, about a tenth of an exec's cost.
 *
 * Protocol, per command (one line written to the shell's stdin, `T` = random session token, `n` = sequence number):
 *
 *   ( eval '<quoted command line>' ) </dev/null; printf '\n%s %d\n' 'T:n' "$?"; printf '\n%s\n' 'T:n' >&2
 *
 * - `( ... )`: a subshell, so `exit`, `cd`, `exec`, variable assignments or a syntax error cannot touch the session;
 *   `eval` of one quoted word makes any command line (argv joined by shJoin, or a raw `{ shell }` line) a single
 *   token at session level.
 * - `</dev/null`: a command can never read the session's own stdin (the next commands and their sentinels).
 * - the sentinels start with '\n', so output without a trailing newline still ends cleanly: exactly that one '\n'
 *   is removed. stdout's sentinel carries the exit status; stderr's marks the end of the command's stderr.
 * Limits: no stdin for commands; a background process started by a command that keeps writing after the command
 * returned would mix into later output; a command killed by a signal reports sh's 128+N status (signal: null).
 * A timeout or cancel kills the session: OpenSSH delivers the signal to the session's process group (sh and the
 * running command), and the next command opens a fresh session.
 */
import { randomBytes } from 'node:crypto';
import { ferryError } from '../../../shared/errors';
import { err, ok } from '../../../shared/result';
import { shQuote } from '../../../shared/shell/quote';
import { commandLine } from './exec';
import { SentinelSession, type SessionOptions, type SessionProtocol } from './sentinel';

export function newSessionToken(): string {
  return `FERRY${randomBytes(16).toString('hex')}`;
}

export function shellProtocol(token: string): SessionProtocol {
  return {
    startCommand: 'exec /bin/sh',
    validate: (command) => {
      const line = commandLine(command);
      return line.ok ? ok(undefined) : line;
    },
    frame: (command, seq) => {
      const tag = `${token}:${seq}`;
      let body = ':';
      if (command !== 'handshake') {
        const line = commandLine(command);
        if (!line.ok) throw new Error('validated command became invalid');
        body = `( eval ${shQuote(line.value)} ) </dev/null`;
      }
      return {
        text: `${body}; printf '\\n%s %d\\n' '${tag}' "$?"; printf '\\n%s\\n' '${tag}' >&2\n`,
        stdoutMarker: `\n${tag} `,
        stdoutNeedsLine: true,
        stderrMarker: `\n${tag}\n`,
        stderrNeedsLine: false,
        finish: (stdout, line, stderr) => {
          if (!/^\d+$/.test(line)) return err(ferryError('ssh.channel-failed', 'The shell session answered with a malformed status line.', line.slice(0, 100)));
          return ok({ stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8'), exitCode: Number(line) });
        },
      };
    },
  };
}

export interface ShellSessionOptions extends SessionOptions {
  /** Only for tests: a fixed token. */
  readonly token?: string;
}

/**
 * `run(argv | { shell }, { timeoutMs, signal })` -> the same CompletedCommand as exec. Commands are serialised
 * (FIFO). The session holds one of the connection's channels for as long as it is open; `close()` gives it back.
 */
export class ShellSession extends SentinelSession {
  constructor(opts: ShellSessionOptions) {
    super(shellProtocol(opts.token ?? newSessionToken()), opts, 'shell session');
  }
}
