/** A host's connection state as a coloured badge; the reason is its tooltip (and its accessible description). */
import type { ConnectionState } from '../../../../shared/inventory/types';
import { connectionBadge } from '../../view/connection';

export function StateBadge({ connection }: { connection: ConnectionState }) {
  const b = connectionBadge(connection);
  return (
    <span className={`badge badge--${b.tone}`} data-state={b.state} title={b.reason}>
      <span className="badge__dot" aria-hidden="true" />
      {b.label}
    </span>
  );
}
