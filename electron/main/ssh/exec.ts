/**
 * Running one remote command on its own SSH channel.
 *
 * Contract:
 * - The command is an argv (quoted with shJoin: the remote shell runs exactly these words) or, where a pipeline
 *   is needed, `{ shell }`: a line the remote shell parses as is. Callers must never build `shell` from user input.
 * - Every call has a time budget (`timeoutMs`, required) covering connecting, waiting for a channel and running,
 *   and may be cancelled with an AbortSignal. Either way the result is `command.timeout` / `command.cancelled` and
 *   the remote command is stopped: a signal request (TERM by default) on the channel, the channel closed, and a
 *   `kill -s TERM -- -<pgid>` on a second channel. The last step is needed because OpenSSH refuses signal requests
 *   for root sessions ("session_signal_req: session signalling requires privilege separation", seen on the lab's
 *   sshd 9.2), and closing a no-pty channel does not stop the command: it runs on, and sshd keeps its MaxSessions
 *   slot until it exits. To know the process group, the command line is prefixed with
 *   `printf '<nonce>%s\n' "$$" >&2;` (sshd's session child is a setsid leader, and `exec` keeps its pid), and that
 *   line is removed from stderr before the caller sees it.
 * - A command that ran and exited is a success at this layer, WHATEVER its exit code: `CompletedCommand` carries
 *   `exitCode` (or the `signal` that killed it) for the parser to judge. `requireExitZero` turns a non-zero exit into
 *   `command.failed` / `command.not-found` where a caller wants that.
 * - stdin is sent and then closed; without `stdin` the command sees EOF at once (like `ssh -n`).
 */
import { randomBytes } from 'node:crypto';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { shJoin, shQuote, ShellArgumentError } from '../../../shared/shell/quote';
import type { ClientChannel } from 'ssh2';
import type { Clock } from './deadline';
import { targetKey, type SshTarget } from './errors';
import type { ChannelOpener, ExecChannel } from './pool';

export type RemoteCommand = readonly string[] | { readonly shell: string };

export type KillSignal = 'TERM' | 'KILL' | 'INT' | 'HUP';

export interface ExecOptions {
  /** Whole budget: connect + wait for a channel + run. Required: no remote command runs without one. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly stdin?: string | Buffer;
  /** stdout + stderr above this end the command with `command.failed` (default 16 MiB). */
  readonly maxOutputBytes?: number;
  /** Sent before closing the channel on timeout or cancel. Default TERM. */
  readonly killSignal?: KillSignal;
  /** Kill the remote process group over a second channel on timeout or cancel (default true). */
  readonly remoteKill?: boolean;
}

/**
 * A command that ran to its end. `exitCode` may be non-zero: that is the command's answer, not a transport failure.
 * `exitCode` is null when a signal ended it (`signal` then names it, e.g. 'SIGTERM').
 */
export interface CompletedCommand {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
}
/** The name the brief and other modules use. */
export type CommandOutput = CompletedCommand;

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/** The command line for the remote shell, or `input.invalid` for an argument no command line can carry. */
export function commandLine(command: RemoteCommand): Result<string, FerryError> {
  try {
    if ('shell' in command) {
      if (command.shell.includes('\0')) return err(ferryError('input.invalid', 'A shell command contains a NUL byte.'));
      if (command.shell.trim() === '') return err(ferryError('input.invalid', 'The shell command is empty.'));
      return ok(command.shell);
    }
    if (command.length === 0) return err(ferryError('input.invalid', 'The command has no program name.'));
    return ok(shJoin(command));
  } catch (e) {
    if (e instanceof ShellArgumentError) return err(ferryError('input.invalid', e.message));
    throw e;
  }
}

/** A short, one-line description of a command for messages. */
export function describeCommand(command: RemoteCommand): string {
  const text = 'shell' in command ? command.shell : command.join(' ');
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}

export function validateTimeout(timeoutMs: number): Result<number, FerryError> {
  return Number.isFinite(timeoutMs) && timeoutMs > 0
    ? ok(timeoutMs)
    : err(ferryError('input.invalid', `A remote command needs a positive, finite timeout (got ${String(timeoutMs)}).`));
}

export async function execCommand(
  pool: ChannelOpener,
  target: SshTarget,
  command: RemoteCommand,
  opts: ExecOptions,
): Promise<Result<CompletedCommand, FerryError>> {
  const clock = pool.clock;
  const start = clock.now();
  const t = validateTimeout(opts.timeoutMs);
  if (!t.ok) return t;
  const line = commandLine(command);
  if (!line.ok) return line;
  const what = describeCommand(command);
  if (opts.signal?.aborted) return err(ferryError('command.cancelled', `"${what}" on ${targetKey(target)} was cancelled before it started.`));
  const until = { deadline: start + opts.timeoutMs, signal: opts.signal };
  const pidTag = `FERRYPID${randomBytes(6).toString('hex')}:`;
  const wrapped = `printf '%s%s\\n' '${pidTag}' "$$" >&2; ${'shell' in command ? `eval ${shQuote(command.shell)}` : `exec ${line.value}`}`;
  const ch = await pool.openExecChannel(target, wrapped, until);
  if (!ch.ok) {
    if (ch.error.code === 'command.timeout' || ch.error.code === 'command.cancelled') {
      return err({ ...ch.error, message: `"${what}": ${ch.error.message}` });
    }
    return ch;
  }
  const killSignal = opts.killSignal ?? 'TERM';
  const killRemote = (pid: number): void => {
    if (opts.remoteKill === false) return;
    void killProcessGroup(pool, target, pid, killSignal);
  };
  return runOnChannel(ch.value, { clock, start, deadline: until.deadline, what, where: targetKey(target), opts, pidTag, killRemote });
}

/**
 * `kill -s SIG -- -PGID` on its own channel, best effort (used when a command or session is stopped). Its result is
 * only logged by callers that care; it never kills itself in turn.
 */
export function killProcessGroup(pool: ChannelOpener, target: SshTarget, pid: number, sig: KillSignal = 'TERM'): Promise<Result<CompletedCommand, FerryError>> {
  const p = String(Math.trunc(pid));
  return execCommand(pool, target, { shell: `kill -s ${sig} -- -${p} 2>/dev/null || kill -s ${sig} ${p} 2>/dev/null; true` }, { timeoutMs: 5000, remoteKill: false });
}

interface RunContext {
  readonly clock: Clock;
  readonly start: number;
  readonly deadline: number;
  readonly what: string;
  readonly where: string;
  readonly opts: ExecOptions;
  /** The marker before the remote pid on stderr's first line (see the module comment). */
  readonly pidTag: string;
  readonly killRemote: (pid: number) => void;
}

function runOnChannel(ch: ExecChannel, c: RunContext): Promise<Result<CompletedCommand, FerryError>> {
  const { stream } = ch;
  const { clock, opts } = c;
  const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    let size = 0;
    let done = false;
    const tail = (): string => {
      const s = Buffer.concat(errOut).toString('utf8').replace(new RegExp(`${c.pidTag}\\d+\n`), '').trim();
      return s.length > 500 ? `...${s.slice(-500)}` : s;
    };
    const finish = (r: Result<CompletedCommand, FerryError>): void => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    let pid: number | undefined;
    let pidSearch = '';
    const kill = (e: FerryError): void => {
      if (done) return;
      sendSignal(stream, opts.killSignal ?? 'TERM');
      if (pid !== undefined && ch.exit() === undefined) c.killRemote(pid);
      try {
        stream.close();
      } catch {
        /* already closed */
      }
      finish(err(e));
    };
    const collect = (into: Buffer[]) => (d: Buffer) => {
      size += d.length;
      if (size > max) {
        kill(ferryError('command.failed', `"${c.what}" on ${c.where} printed more than ${max} bytes; it was stopped.`));
        return;
      }
      into.push(d);
    };
    stream.on('data', collect(out));
    stream.stderr.on('data', collect(errOut));
    stream.stderr.on('data', (d: Buffer) => {
      if (pid !== undefined) return;
      pidSearch += d.toString('latin1');
      const m = new RegExp(`${c.pidTag}(\\d+)\n`).exec(pidSearch);
      if (m) pid = Number(m[1]);
    });
    stream.on('close', () => {
      const exit = ch.exit();
      if (!exit) {
        const lost = ch.lost();
        if (lost) {
          finish(err(ferryError('ssh.disconnected', `The connection broke while "${c.what}" ran on ${c.where}: ${lost.message}`, lost.detail)));
          return;
        }
      }
      finish(
        ok({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(errOut).toString('utf8').replace(new RegExp(`${c.pidTag}\\d+\n`), ''),
          exitCode: exit?.code ?? null,
          signal: exit?.signal ?? null,
          durationMs: clock.now() - c.start,
        }),
      );
    });
    const onAbort = (): void => kill(ferryError('command.cancelled', `"${c.what}" on ${c.where} was cancelled.`, tail() || undefined));
    const timer = clock.setTimeout(
      () => kill(ferryError('command.timeout', `"${c.what}" on ${c.where} did not finish within ${Math.round(opts.timeoutMs)} ms; it was stopped.`, tail() || undefined)),
      Math.max(0, c.deadline - clock.now()),
    );
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.stdin !== undefined) stream.end(opts.stdin);
    else stream.end();
  });
}

/**
 * Sends a signal request (RFC 4254 6.9) on a session channel. ssh2's `signal()` only sends while our side of the
 * channel is fully open, but exec has already sent EOF on stdin by then (so the command does not wait for input);
 * the request is still valid after EOF and OpenSSH acts on it, so fall back to ssh2's protocol object. Best effort:
 * servers without signal support ignore it, and the channel is closed right after anyway.
 */
export function sendSignal(stream: ClientChannel, name: KillSignal): void {
  const ch = stream as unknown as {
    outgoing?: { state?: string; id?: number };
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
  };
  try {
    if (ch.outgoing?.state === 'open' && stream.writable) {
      stream.signal(name);
    } else if (ch.outgoing?.state === 'eof' && typeof ch.outgoing.id === 'number') {
      ch._client?._protocol?.signal?.(ch.outgoing.id, name);
    }
  } catch {
    /* the channel is already closing */
  }
}

/** For callers that treat any non-zero exit as failure: 127 -> command.not-found, others -> command.failed. */
export function requireExitZero(r: Result<CompletedCommand, FerryError>, what: string): Result<CompletedCommand, FerryError> {
  if (!r.ok || r.value.exitCode === 0) return r;
  const v = r.value;
  const detail = v.stderr.trim() || v.stdout.trim() || undefined;
  if (v.exitCode === 127) return err(ferryError('command.not-found', `${what}: the program is not installed on the host.`, detail));
  const how = v.exitCode === null ? `was killed by ${v.signal ?? 'a signal'}` : `exited with status ${v.exitCode}`;
  return err(ferryError('command.failed', `${what} ${how}.`, detail));
}
