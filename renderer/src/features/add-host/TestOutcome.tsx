/** What "Test connection" found: the host's facts, a key to trust, a changed key (refused), or a locked key. */
import type { HostTestOutcome } from '../../../../shared/ipc/contract';
import { formatMemory } from '../../view/format';
import { HostKeyChanged } from '../host/HostKeyChanged';
import { HostKeyPrompt } from '../host/HostKeyPrompt';

interface Props {
  readonly outcome: HostTestOutcome;
  readonly trusting: boolean;
  readonly onTrust: () => void;
  /** The address being added: a key presented by another host is a jump host's. */
  readonly address?: string;
}

export function TestOutcome({ outcome, trusting, onTrust, address }: Props) {
  switch (outcome.outcome) {
    case 'ok': {
      const f = outcome.facts;
      const migration = f.nics.filter((n) => n.role === 'migration').length;
      return (
        <section className="outcome outcome--ok" role="status" aria-label="Connection test result">
          <h3>
            <span aria-hidden="true">✓ </span>Connection works
          </h3>
          <dl className="key-facts">
            <dt>Hostname</dt>
            <dd className="mono">{f.hostname}</dd>
            <dt>libvirt</dt>
            <dd>
              {f.libvirtVersion}, {f.hypervisor}
            </dd>
            <dt>CPU</dt>
            <dd>
              {f.cpuCount} × {f.cpuModel}
            </dd>
            <dt>Memory</dt>
            <dd>{formatMemory(f.memoryBytes)}</dd>
            <dt>VMs</dt>
            <dd>{outcome.vmCount}</dd>
            <dt>NICs</dt>
            <dd>
              {f.nics.length} ({migration} migration)
            </dd>
          </dl>
        </section>
      );
    }
    case 'host-key-unknown':
      return (
        <HostKeyPrompt hostKey={outcome.key} busy={trusting} onTrust={onTrust} jumpHost={address !== undefined && outcome.key.host.toLowerCase() !== address.trim().toLowerCase()} />
      );
    case 'host-key-changed':
      return <HostKeyChanged hostKey={outcome.key} knownFingerprint={outcome.knownFingerprint} knownIn={outcome.knownIn} />;
    case 'passphrase-needed':
      return (
        <p className="outcome outcome--info" role="status">
          The key file is encrypted. Type its passphrase above, then test again.
        </p>
      );
  }
}
