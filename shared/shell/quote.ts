/**
 * The one way an argument reaches a remote shell. Every command Ferry sends over SSH (and every line fed to a
 * long-lived remote `sh`) is built with `shJoin`, never by concatenating strings.
 *
 * Quoting style: POSIX single quotes. Inside '...' the shell gives no character a special meaning, so the only
 * character to handle is the single quote itself, written as '\'' (close, escaped quote, reopen). Every argument is
 * quoted, even a plain word: an unquoted word can be a reserved word (`if`, `!`, `{`), an assignment (`A=b` as the
 * first word), an alias, or a glob, and a quoted one never is.
 *
 * What quoting cannot do, and what this module does about it:
 * - NUL: no program can receive a NUL inside an argument (argv entries are C strings), so a NUL means a bug in the
 *   caller. `shQuote` throws `ShellArgumentError` (reason 'nul') rather than silently truncating.
 * - Unpaired UTF-16 surrogates cannot be encoded as UTF-8 and would reach the host as U+FFFD: thrown too
 *   (reason 'unpaired-surrogate').
 * - A leading dash: the shell passes '-rf' through intact, but the program then reads it as an option. Callers put
 *   `--` before positional arguments where the program supports it (`rm -- "$f"`, `virsh echo -- x`), and wrap any
 *   positional argument that came from a user or a host in `assertNotOption()` where it does not.
 *
 * These are programming errors (a caller passed something no command line can carry), hence exceptions rather than
 * Result values; the SSH layer catches them and reports `input.invalid`.
 */

export type ShellArgumentProblem = 'nul' | 'unpaired-surrogate' | 'option-like';

export class ShellArgumentError extends Error {
  override readonly name = 'ShellArgumentError';
  constructor(readonly reason: ShellArgumentProblem, message: string) {
    super(message);
  }
}

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Checks what no quoting can carry; throws ShellArgumentError. */
export function assertQuotable(arg: string): void {
  if (arg.includes('\0')) {
    throw new ShellArgumentError('nul', 'A command argument contains a NUL byte, which no program can receive.');
  }
  if (UNPAIRED_SURROGATE.test(arg)) {
    throw new ShellArgumentError('unpaired-surrogate', 'A command argument contains an unpaired UTF-16 surrogate.');
  }
}

/** One argument as a POSIX sh word that the shell turns back into exactly `arg`. '' becomes ''. */
export function shQuote(arg: string): string {
  assertQuotable(arg);
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** An argv as one sh command line: each element quoted, separated by single spaces. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}

/**
 * Returns `arg` unchanged, or throws (reason 'option-like') if a program would read it as an option. Use it on
 * positional arguments from users or hosts (domain names, paths) when the program has no `--` separator.
 */
export function assertNotOption(arg: string): string {
  if (arg.startsWith('-')) {
    throw new ShellArgumentError('option-like', `The argument ${JSON.stringify(arg.slice(0, 40))} starts with "-" and would be read as an option.`);
  }
  return arg;
}

/**
 * A command line shown to a person to paste (a fix, a hint, a persistence line): the template's literal text as
 * written, every interpolated value (VM, host or interface name, path, address, anything a user typed or a host
 * reported) quoted with shQuote, an array as one quoted word per element. Numbers are written bare: their text
 * carries no shell syntax. Use it for any command Ferry shows, so a VM named `x;id` pastes as one argument.
 */
export function shLine(literals: TemplateStringsArray, ...values: readonly (string | number | readonly string[])[]): string {
  let out = literals[0] ?? '';
  values.forEach((v, i) => {
    out += (typeof v === 'number' ? String(v) : typeof v === 'string' ? shQuote(v) : shJoin(v)) + (literals[i + 1] ?? '');
  });
  return out;
}
