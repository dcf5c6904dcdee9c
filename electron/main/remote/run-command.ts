/**
 * Runs a typed Command (shared/commands) through anything that can run an argv on a host: a pooled SSH exec, a
 * long-lived shell session, or a local child process in tests. The runner quotes the argv; this module only adds
 * the command's environment (as `env K=V ...`, which works through any sshd, unlike SSH's env requests that sshd
 * filters with AcceptEnv) and hands the output to the command's parser.
 */
import type { Result } from '../../../shared/result';
import type { FerryError } from '../../../shared/errors';
import { stdoutThenStderr, type Command } from '../../../shared/commands';

export interface RunOutput {
  readonly stdout: string;
  readonly stderr: string;
  /** null when the command was ended by a signal. A non-zero exit is not an error at this layer. */
  readonly exitCode: number | null;
}

export interface RunOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Text for the command's standard input (a runner that cannot feed one refuses the command). */
  readonly stdin?: string;
}

export interface CommandRunner {
  run(argv: readonly string[], options: RunOptions): Promise<Result<RunOutput, FerryError>>;
}

export function withEnv(env: Readonly<Record<string, string>>, argv: readonly string[]): readonly string[] {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return assignments.length === 0 ? argv : ['env', ...assignments, ...argv];
}

export async function runCommand<T>(
  runner: CommandRunner,
  command: Command<T>,
  options: { readonly signal?: AbortSignal; readonly timeoutMs?: number; readonly stdin?: string } = {},
): Promise<Result<T, FerryError>> {
  const runOptions: RunOptions = {
    timeoutMs: options.timeoutMs ?? command.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
  };
  const out = await runner.run(withEnv(command.env, command.argv), runOptions);
  if (!out.ok) return out;
  return command.parse(stdoutThenStderr(out.value), { code: out.value.exitCode });
}
