/**
 * Ferry's sysctl file (default /etc/sysctl.d/90-ferry-migration.conf): `key = value` lines that make applied buffer
 * sysctls survive a reboot. Pure: the text to write, from what the file held before and the settings to keep.
 */
import type { FileContent } from '../commands/tuning';

export const SYSCTL_FILE_HEADER =
  '# Written by Ferry (network tuning for live migration). Undo it from Ferry\'s Tuning tab, or delete this file.\n';

/**
 * The file's new text: the lines it held (settings for other keys and comments kept, Ferry's header once), with each
 * given key set to its new value (replaced where it was, appended otherwise).
 */
export function sysctlFileText(before: FileContent, settings: readonly { readonly key: string; readonly value: string }[]): string {
  const lines = before.present ? before.content.split('\n') : [];
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const body = lines.filter((l) => `${l}\n` !== SYSCTL_FILE_HEADER);
  const done = new Set<string>();
  const out = body.map((line) => {
    const m = /^\s*([A-Za-z0-9_.\-/]+)\s*=/.exec(line);
    const s = m ? settings.find((x) => x.key === m[1]) : undefined;
    if (!s) return line;
    done.add(s.key);
    return `${s.key} = ${s.value}`;
  });
  for (const s of settings) if (!done.has(s.key)) out.push(`${s.key} = ${s.value}`);
  return SYSCTL_FILE_HEADER + out.map((l) => `${l}\n`).join('');
}
