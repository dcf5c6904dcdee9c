/**
 * Checking the host key a server presents against Ferry's known hosts (one store, or several files behind its own
 * `check`), for every connection the pool makes: targets and jump hosts alike. unknown, changed and revoked keys are
 * errors that carry the presented key (see HostKeyError); a changed key is never accepted. A host vouched for only by
 * a @cert-authority line is ssh.host-certificate-unsupported, with no key to trust.
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import { shLine } from '../../../shared/shell/quote';
import { err, ok, type Result } from '../../../shared/result';
import { targetPort, type HostKeyError, type SshHop } from './errors';
import { checkHostKey, fingerprintSha256, hostLookupName, keyTypeOfBlob, type HostKeyVerdict, type KnownHostsFile, type KnownHostsStore } from './known-hosts';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The store's content; a store that throws (a bug in an injected store) is reported, not left to hang a connect. */
export async function loadKnownHosts(store: KnownHostsStore): Promise<Result<KnownHostsFile, FerryError>> {
  try {
    return await store.load();
  } catch (e) {
    return err(ferryError('ssh.known-hosts-io', `Could not read the known hosts from ${store.name}.`, errorText(e)));
  }
}

/** The store's verdict: its own `check` when it has one (several files), else checkHostKey over its entries. */
async function verdict(store: KnownHostsStore, host: string, port: number, keyType: string, blob: Buffer): Promise<Result<HostKeyVerdict, FerryError>> {
  if (store.check) {
    try {
      return await store.check(host, port, keyType, blob);
    } catch (e) {
      return err(ferryError('ssh.known-hosts-io', `Could not check the host key against ${store.name}.`, errorText(e)));
    }
  }
  const file = await loadKnownHosts(store);
  if (!file.ok) return file;
  return ok(checkHostKey(file.value.entries, host, port, keyType, blob));
}

/** The presented key against the store: ok on a match, else the host-key error a person can act on. */
export async function checkPresentedKey(store: KnownHostsStore, target: SshHop, blob: Buffer): Promise<Result<void, FerryError>> {
  const host = target.host;
  const port = targetPort(target);
  const keyType = keyTypeOfBlob(blob) ?? 'unknown';
  const checked = await verdict(store, host, port, keyType, blob);
  if (!checked.ok) return checked;
  const v = checked.value;
  const fileName = v.file ?? store.name;
  const presented = { host, port, keyType, fingerprint: fingerprintSha256(blob), keyBase64: blob.toString('base64'), knownHostsFile: fileName };
  const hp = `${host}:${port}`;
  switch (v.status) {
    case 'match':
      return ok(undefined);
    case 'unknown': {
      const other =
        v.otherKeyTypes.length > 0
          ? ` Note: ${fileName} holds a ${v.otherKeyTypes.join('/')} key for this host, yet it offered ${keyType}; be suspicious.`
          : '';
      const e: HostKeyError = {
        code: 'ssh.host-key-unknown',
        message: `${hp} is not a known host. Trust it only if its ${keyType} key fingerprint is ${presented.fingerprint} (on the host: ssh-keygen -lf on its /etc/ssh/ssh_host_*_key.pub).${other}`,
        hostKey: { ...presented, otherKeyTypes: v.otherKeyTypes },
      };
      return err(e);
    }
    case 'changed': {
      const e: HostKeyError = {
        code: 'ssh.host-key-changed',
        message:
          `The host key of ${hp} has CHANGED: it now presents ${keyType} ${presented.fingerprint}, but ${fileName} line ${v.line} records ${v.knownFingerprint}. ` +
          `Either the host was reinstalled or someone is intercepting the connection. Ferry will not connect until the old entry is removed ` +
          `(${shLine`ssh-keygen -R ${hostLookupName(host, port)} -f ${fileName}`}) after you have checked the new fingerprint.`,
        hostKey: { ...presented, knownFingerprint: v.knownFingerprint, knownLine: v.line },
      };
      return err(e);
    }
    case 'revoked': {
      const e: HostKeyError = {
        code: 'ssh.host-key-revoked',
        message: `${hp} presented the ${keyType} key ${presented.fingerprint}, which ${fileName} line ${v.line} marks @revoked. Ferry refuses it.`,
        hostKey: { ...presented, knownLine: v.line },
      };
      return err(e);
    }
    case 'cert-authority':
      // Not a HostKeyError: there is no key to offer for trust, the file says this host is trusted by certificate.
      return err(
        ferryError(
          'ssh.host-certificate-unsupported',
          `${fileName} line ${v.line} trusts ${hp} through a @cert-authority line (host certificates), which Ferry cannot verify. ` +
            `Ferry will not connect, nor trust the host's plain ${keyType} key ${presented.fingerprint} on first use. ` +
            `To manage this host with Ferry, add its plain host key to ${fileName} once you have checked that fingerprint.`,
          `${fileName}:${v.line}: @cert-authority`,
        ),
      );
  }
}
