/** The two hosts a migration channel's request names, as every such channel checks them. */
import { ferryError, type FerryError } from '../../../shared/errors';
import type { HostView } from '../../../shared/inventory/types';
import { err, ok, type Result } from '../../../shared/result';

export function resolveRoute(hosts: readonly HostView[], sourceId: string, destinationId: string): Result<{ source: HostView; destination: HostView }, FerryError> {
  const source = hosts.find((h) => h.record.id === sourceId);
  const destination = hosts.find((h) => h.record.id === destinationId);
  if (!source || !destination) return err(ferryError('inventory.not-found', `No such host: ${!source ? sourceId : destinationId}.`));
  if (source.record.id === destination.record.id) return err(ferryError('input.invalid', 'The source and the destination are the same host.'));
  return ok({ source, destination });
}
