/**
 * `virsh help COMMAND`: the options a virsh command accepts, from its OPTIONS section. Ferry checks every argv it
 * builds for virsh against a captured help text (test/fixtures/virsh/help-*.txt), so a misspelt option fails a unit
 * test instead of a migration.
 *
 * The OPTIONS lines look like (virsh 9.0):
 *     [--domain] <string>  domain name, id or uuid          (may be given by position or after --domain)
 *     --live           live migration                       (a flag)
 *     --migrateuri <string>  migration URI, usually ...     (takes a value)
 */
import { err, ok, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { splitLines } from './text';
import { virshError } from './virsh-error';

export interface VirshHelpOption {
  /** Without the leading `--`. */
  readonly name: string;
  /** The kind of value it takes (`string`, `number`); absent for a flag. */
  readonly argument?: string;
  /** `[--name] <value>`: also accepted by position. */
  readonly positional: boolean;
  readonly description: string;
}

export interface VirshHelp {
  readonly command: string;
  readonly options: readonly VirshHelpOption[];
}

const OPTION = /^\s+(\[--([a-z0-9-]+)\]|--([a-z0-9-]+))(?:\s+<([a-z]+)>)?(?:\s+(.*))?$/;

export function parseVirshHelp(text: string): Result<VirshHelp, FerryError> {
  const failure = virshError(text);
  if (failure) return err(failure);
  const lines = splitLines(text);
  const nameAt = lines.findIndex((l) => l.trim() === 'NAME');
  const name = /^\s*([a-z][a-z0-9-]*)\s+-\s/.exec(lines[nameAt + 1] ?? '')?.[1];
  if (nameAt < 0 || name === undefined) {
    return err(ferryError('parse.unrecognised', 'This is not virsh help output: no "NAME" section naming a command.', lines[0] ?? ''));
  }
  const optionsAt = lines.findIndex((l) => l.trim() === 'OPTIONS');
  const options: VirshHelpOption[] = [];
  if (optionsAt >= 0) {
    for (const line of lines.slice(optionsAt + 1)) {
      if (line.trim() === '') continue;
      if (/^\S/.test(line)) break; // the next section
      const m = OPTION.exec(line);
      if (!m) return err(ferryError('parse.unrecognised', 'A virsh help OPTIONS line is not "--name [<type>] description".', line));
      const positional = m[2] !== undefined;
      const optionName = m[2] ?? m[3] ?? '';
      const option: VirshHelpOption = { name: optionName, positional, description: (m[5] ?? '').trim() };
      options.push(m[4] === undefined ? option : { ...option, argument: m[4] });
    }
  }
  return ok({ command: name, options });
}
