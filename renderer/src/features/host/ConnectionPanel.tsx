/** What a saved host's connection state asks of the admin, shown above its tabs: trust, unlock, resolve, or a reason. */
import { useActions, useFerry } from '../../store/react';
import { connectionBadge } from '../../view/connection';
import { ErrorBanner } from '../common/ErrorBanner';
import { HostKeyChanged } from './HostKeyChanged';
import { HostKeyPrompt } from './HostKeyPrompt';
import { UnlockForm } from './UnlockForm';

export function ConnectionPanel({ id }: { id: string }) {
  const connection = useFerry((s) => s.inventory.hosts[id]?.connection);
  const problem = useFerry((s) => s.inventory.hosts[id]?.problem);
  const address = useFerry((s) => s.inventory.hosts[id]?.record.address);
  const trusting = useFerry((s) => s.inventory.pending[id] === 'trusting');
  const { trustSavedHostKey } = useActions();
  if (connection === undefined) return null;

  const problemBanner = problem !== undefined && (
    <ErrorBanner tone="warning" message={`Last refresh failed: ${problem.message}`} {...(problem.detail !== undefined ? { detail: problem.detail } : {})} />
  );
  switch (connection.state) {
    case 'host-key-changed':
      return <HostKeyChanged hostKey={connection.key} knownFingerprint={connection.knownFingerprint} knownIn={connection.knownIn} />;
    case 'host-key-unknown':
      return (
        <HostKeyPrompt
          hostKey={connection.key}
          busy={trusting}
          onTrust={() => void trustSavedHostKey(id)}
          jumpHost={address !== undefined && connection.key.host.toLowerCase() !== address.toLowerCase()}
        />
      );
    case 'passphrase-needed':
      return <UnlockForm id={id} />;
    case 'unreachable':
    case 'auth-failed':
    case 'error': {
      const b = connectionBadge(connection);
      return (
        <>
          <ErrorBanner tone="warning" message={`${b.label}: ${connection.reason}`} {...(connection.detail !== undefined ? { detail: connection.detail } : {})} />
          {problemBanner}
        </>
      );
    }
    default:
      return problemBanner || null;
  }
}
