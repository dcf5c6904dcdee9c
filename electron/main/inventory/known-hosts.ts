/**
 * The host keys Ferry trusts: its own `<dataDir>/known_hosts` (OpenSSH format; where newly trusted keys go) and,
 * when the setting `trustUserKnownHosts` is on, the user's `~/.ssh/known_hosts` too (hashed entries included),
 * which Ferry only ever reads.
 *
 * Verdict over both files (the pool asks through KnownHostsStore.check):
 * - a key either file marks @revoked is refused;
 * - a key CHANGED according to either file (that file records another key of the same type for the host) is refused,
 *   even if the other file records it: two files that disagree are a reason to stop, not to pick one;
 * - otherwise a key either file records is accepted; else the host is unknown.
 */
import { checkHostKey, fileKnownHostsStore, readKnownHostsFile, type HostKeyVerdict, type KnownHostsStore } from '../ssh/known-hosts';
import { ok, type Result } from '../../../shared/result';
import type { FerryError } from '../../../shared/errors';

export interface FerryKnownHostsOptions {
  /** `<dataDir>/known_hosts`. */
  readonly ferryPath: string;
  /** `~/.ssh/known_hosts`. */
  readonly userPath: string;
  /** Read at every check, so the setting applies at once. */
  readonly trustUserKnownHosts: () => boolean;
}

export function ferryKnownHostsStore(o: FerryKnownHostsOptions): KnownHostsStore {
  const own = fileKnownHostsStore(o.ferryPath);
  return {
    name: o.ferryPath,
    async load() {
      const mine = await readKnownHostsFile(o.ferryPath);
      if (!mine.ok || !o.trustUserKnownHosts()) return mine;
      const user = await readKnownHostsFile(o.userPath);
      // The user's file is a convenience: if it cannot be read, Ferry's own still works.
      if (!user.ok) return mine;
      return ok({ entries: [...mine.value.entries, ...user.value.entries], problems: mine.value.problems });
    },
    append: (host, port, keyType, keyBlob) => own.append(host, port, keyType, keyBlob),
    async check(host, port, keyType, keyBlob): Promise<Result<HostKeyVerdict, FerryError>> {
      const mine = await readKnownHostsFile(o.ferryPath);
      if (!mine.ok) return mine;
      const verdicts: HostKeyVerdict[] = [{ ...checkHostKey(mine.value.entries, host, port, keyType, keyBlob), file: o.ferryPath }];
      if (o.trustUserKnownHosts()) {
        const user = await readKnownHostsFile(o.userPath);
        if (user.ok) verdicts.push({ ...checkHostKey(user.value.entries, host, port, keyType, keyBlob), file: o.userPath });
      }
      return ok(combineVerdicts(verdicts));
    },
  };
}

/**
 * Revoked anywhere > changed anywhere > matched anywhere > vouched for only by a @cert-authority line (unsupported)
 * > unknown (with every other key type seen).
 */
export function combineVerdicts(verdicts: readonly HostKeyVerdict[]): HostKeyVerdict {
  const first = (s: HostKeyVerdict['status']) => verdicts.find((v) => v.status === s);
  const decided = first('revoked') ?? first('changed') ?? first('match') ?? first('cert-authority');
  if (decided) return decided;
  const other = new Set<string>();
  for (const v of verdicts) if (v.status === 'unknown') for (const t of v.otherKeyTypes) other.add(t);
  return { status: 'unknown', otherKeyTypes: [...other] };
}
