/** First contact with a host: the key it presented, for the admin to compare out of band and trust (or not). */
import type { PresentedHostKeyView } from '../../../../shared/inventory/types';

interface Props {
  readonly hostKey: PresentedHostKeyView;
  readonly busy: boolean;
  readonly onTrust: () => void;
  readonly onCancel?: () => void;
  /** The key is a jump host's, met on the way to the host being added or refreshed. */
  readonly jumpHost?: boolean;
}

export function hostLabel(k: { host: string; port: number }): string {
  return k.port === 22 ? k.host : `[${k.host}]:${k.port}`;
}

/** The part of sshd's host key file name for a key type: ssh-ed25519 -> ed25519, ecdsa-sha2-nistp256 -> ecdsa. */
function keyFileKind(keyType: string): string {
  if (keyType.startsWith('ecdsa-')) return 'ecdsa';
  return keyType.replace(/^ssh-/, '');
}

export function HostKeyPrompt({ hostKey, busy, onTrust, onCancel, jumpHost = false }: Props) {
  return (
    <section className="key-panel key-panel--unknown" role="region" aria-label="Host key to trust">
      <h3>Trust this host’s key?</h3>
      <p>
        Ferry has never connected to {jumpHost ? 'the jump host ' : ''}
        <strong className="mono">{hostLabel(hostKey)}</strong>. It presented this key:
      </p>
      <dl className="key-facts">
        <dt>Key type</dt>
        <dd className="mono" data-testid="host-key-type">
          {hostKey.keyType}
        </dd>
        <dt>Fingerprint</dt>
        <dd className="mono fingerprint" data-testid="host-key-fingerprint">
          {hostKey.fingerprint}
        </dd>
      </dl>
      <p className="muted">
        Compare it with the host’s own fingerprint, read on its console or through a channel you trust:{' '}
        <code>ssh-keygen -lf /etc/ssh/ssh_host_{keyFileKind(hostKey.keyType)}_key.pub</code>
        . Ferry keeps trusted keys in its own known_hosts file.
      </p>
      <div className="button-row">
        <button type="button" className="button button--primary" onClick={onTrust} disabled={busy} aria-busy={busy}>
          {busy && <span className="spinner" aria-hidden="true" />}
          Trust this key
        </button>
        {onCancel !== undefined && (
          <button type="button" className="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
    </section>
  );
}
