/**
 * A host presenting a key other than the trusted one. Ferry refuses to connect and offers no trust button: the
 * admin resolves it outside Ferry, after verifying the new key out of band.
 */
import type { PresentedHostKeyView } from '../../../../shared/inventory/types';
import { shLine } from '../../../../shared/shell/quote';
import { hostLabel } from './HostKeyPrompt';

interface Props {
  readonly hostKey: PresentedHostKeyView;
  readonly knownFingerprint: string;
  readonly knownIn?: string | undefined;
}

/** The command that forgets the old key, for the admin to paste (never run by Ferry). `~/` stays unquoted to expand. */
export function forgetKeyCommand(target: string, file: string): string {
  return file.startsWith('~/') ? shLine`ssh-keygen -R ${target} -f ~/${file.slice(2)}` : shLine`ssh-keygen -R ${target} -f ${file}`;
}

export function HostKeyChanged({ hostKey, knownFingerprint, knownIn }: Props) {
  const target = hostLabel(hostKey);
  // knownIn is the known_hosts file (maybe with ":line"); ssh-keygen -R wants the file, so only a path qualifies.
  const file = knownIn !== undefined && /^(\/|~\/|[A-Za-z]:\\)/.test(knownIn) ? knownIn.replace(/:\d+$/, '') : undefined;
  return (
    <section className="key-panel key-panel--changed" role="alert" aria-label="Host key changed">
      <h3>Host key changed: Ferry will not connect to {target}</h3>
      <p>
        This host presented a different key from the one Ferry trusts. Either the host was reinstalled or re-keyed, or
        something between Ferry and the host is impersonating it (a <strong>man-in-the-middle</strong>). Ferry cannot
        tell which, so it refuses the connection.
      </p>
      <dl className="key-facts">
        <dt>Trusted key</dt>
        <dd className="mono fingerprint" data-testid="known-fingerprint">
          {knownFingerprint}
          {knownIn !== undefined && <span className="key-source">from {knownIn}</span>}
        </dd>
        <dt>Presented key</dt>
        <dd className="mono fingerprint" data-testid="presented-fingerprint">
          {hostKey.keyType} {hostKey.fingerprint}
        </dd>
      </dl>
      <p>
        <strong>To resolve:</strong> check the presented fingerprint on the host itself (its console, not over this
        network): <code>ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub</code>. Only if it matches, remove the old key from
        Ferry’s known_hosts{file !== undefined ? ' ' : ''}
        {file !== undefined && (
          <code>{forgetKeyCommand(target, file)}</code>
        )}{' '}
        and connect again: Ferry will then show the new key for you to trust. If it does not match, do not connect, and
        investigate the network path.
      </p>
    </section>
  );
}
