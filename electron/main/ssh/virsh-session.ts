/**
 * One long-lived interactive `virsh` on one channel: a command costs ~0.5 ms instead of the ~19 ms a new virsh
 * process spends connecting to libvirtd (measured on the lab hosts). Found by driving virsh 9.0 through a pipe:
 *
 * - With stdin not a terminal virsh still runs readline: it prints a prompt (`virsh # `, `virsh > ` for non-root)
 *   and echoes each line it reads to stdout, and it flushes after every command. Readline also interprets control
 *   characters (a TAB triggers completion and a bell), so arguments with any control character, newline included,
 *   are refused here (`input.invalid`).
 * - virsh's own parser honours '...' like sh ('a'\''b' gives a'b) and `;` separates commands outside quotes, so
 *   shQuote's output is parsed as intended. A quoted '--x' is still an option to virsh: put `--` before positional
 *   arguments or use assertNotOption.
 * - Errors go to stderr as `error: ...` lines (and an empty line to stdout, as non-interactive virsh prints); there is
 *   no per-command exit status. `exitCode` is therefore 1 when the command's stderr has an `error:` line, else 0.
 *   Two kinds of line do not count: virsh's notices about its own libvirt connection ("error: Disconnected from
 *   qemu:///system due to end of file", printed when libvirtd goes away, and "error: Reconnected to the hypervisor",
 *   printed before the next command once virsh has reconnected by itself). They are removed from the command's
 *   stderr: they say nothing about the command (when it failed, its own error line follows), and left in, the
 *   parsers would read them as the command's failure. (From the strings in virsh 9.0; a libvirtd restart was not
 *   exercised on the shared lab.)
 * - `-q` would hide the banner but also changes output (`list` loses its header, `echo` its newline), so it is not
 *   used: output matches what `virsh CMD` prints. LC_ALL=C keeps libvirt's messages in English for the parsers;
 *   INPUTRC=/dev/null ignores a user's readline bindings; XDG_CACHE_HOME points nowhere so the sentinels do not fill
 *   root's virsh history.
 *
 * Sentinels: after the command we send `<T>E<n>` (an unknown command: virsh answers on stderr with
 * `error: unknown command: '<T>E<n>'`, the end of this command's stderr) and `echo <T>o<n>''z` (virsh prints
 * `<T>o<n>z` on stdout; the joined form appears only in the output, never in the prompt's echo of the line).
 */
import { ferryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import type { FerryError } from '../../../shared/errors';
import { shJoin, shQuote } from '../../../shared/shell/quote';
import { virshError } from '../../../shared/parsers/virsh-error';
import type { RemoteCommand } from './exec';
import { SentinelSession, type SessionOptions, type SessionProtocol } from './sentinel';
import { newSessionToken } from './shell-session';

const CONTROL = /[\x00-\x1f\x7f]/;
const PROMPT_TAIL = /virsh [#>] $/;
const SESSION_ENDERS = new Set(['quit', 'exit']);

function validateVirsh(command: RemoteCommand): Result<readonly string[], FerryError> {
  if (!Array.isArray(command)) return err(ferryError('input.invalid', 'A virsh session runs virsh commands as argv, not shell lines.'));
  const argv = command as readonly string[];
  if (argv.length === 0) return err(ferryError('input.invalid', 'The virsh command is empty.'));
  if (SESSION_ENDERS.has(argv[0]!)) return err(ferryError('input.invalid', `"${argv[0]!}" would end the virsh session; use close().`));
  if (argv[0] === 'virsh') return err(ferryError('input.invalid', 'Pass the virsh command without "virsh" in front (["domjobinfo", "vm1"]).'));
  if (argv.some((a) => CONTROL.test(a))) return err(ferryError('input.invalid', 'A virsh session argument contains a control character (newline, tab...), which interactive virsh cannot take.'));
  try {
    shJoin(argv);
  } catch (e) {
    return err(ferryError('input.invalid', e instanceof Error ? e.message : String(e)));
  }
  return ok(argv);
}

const CONNECTION_NOTICE = /^error: (?:Reconnected to the hypervisor|Disconnected from \S+ due to .*)(?:\n|$)/gm;

/**
 * One command's stderr as one-shot virsh would print it (without the session's connection notices), and the exit
 * status: 1 when an `error:` line remains, else 0 (see the module comment).
 */
export function virshStderr(raw: string): { readonly stderr: string; readonly exitCode: 0 | 1 } {
  const stderr = raw.replace(CONNECTION_NOTICE, '');
  return { stderr, exitCode: /^error: /m.test(stderr) ? 1 : 0 };
}

export function virshProtocol(token: string, uri?: string): SessionProtocol {
  const env = ['env', 'LC_ALL=C', 'INPUTRC=/dev/null', 'XDG_CACHE_HOME=/nonexistent/ferry'];
  return {
    startCommand: `exec ${shJoin([...env, 'virsh', ...(uri === undefined ? [] : ['-c', uri])])}`,
    validate: (command) => {
      const v = validateVirsh(command);
      return v.ok ? ok(undefined) : v;
    },
    // virsh started while libvirtd is down prints libvirt's error and exits: that is the answer, not a lost session.
    ended: (stderr) => virshError(stderr),
    frame: (command, seq) => {
      const errTok = `${token}E${seq}`;
      const outTok = `${token}o${seq}`;
      const line = command === 'handshake' ? '' : (command as readonly string[]).map(shQuote).join(' ');
      const text = `${line === '' ? '' : `${line}\n`}${errTok}\necho ${outTok}''z\n`;
      return {
        text,
        stdoutMarker: `${outTok}z`,
        stdoutNeedsLine: true,
        stderrMarker: errTok,
        stderrNeedsLine: true,
        finish: (stdoutBuf, _line, stderrBuf) => {
          let out = stdoutBuf.toString('utf8');
          // The prompt and virsh's echo of our command line.
          const echo = /^virsh [#>] /.exec(out);
          if (echo && line !== '') {
            const nl = out.indexOf('\n');
            out = out.startsWith(`${echo[0]}${line}\n`) ? out.slice(echo[0].length + line.length + 1) : nl >= 0 ? out.slice(nl + 1) : '';
          }
          // Up to the prompt before the echo of the stderr sentinel's line.
          const at = out.lastIndexOf(errTok);
          if (at >= 0) {
            const head = out.slice(0, at);
            out = head.replace(PROMPT_TAIL, '');
          }
          // stderr ends with "error: unknown command: '" of the sentinel's own line.
          const errText = stderrBuf.toString('utf8');
          const cut = errText.lastIndexOf('\n');
          return ok({ stdout: out, ...virshStderr(cut >= 0 ? errText.slice(0, cut + 1) : '') });
        },
      };
    },
  };
}

export interface VirshSessionOptions extends SessionOptions {
  /** `-c URI`; default: virsh's own default for the user (qemu:///system for root). */
  readonly uri?: string;
  /** Only for tests: a fixed token. */
  readonly token?: string;
}

/** `run(['domjobinfo', 'vm1'], { timeoutMs })`: argv of a virsh command, without "virsh". */
export class VirshSession extends SentinelSession {
  constructor(opts: VirshSessionOptions) {
    super(virshProtocol(opts.token ?? newSessionToken(), opts.uri), opts, 'virsh session');
  }
}
