/**
 * A migration that ended (completed, failed, aborted, a trial pre-copy aborted on purpose) changed what runs where:
 * its two hosts are read again at once, not at the inventory's next refresh, so the inventory never shows the VM on
 * both hosts (or neither) for the rest of a refresh period.
 */
import type { MigrationEngine } from './engine';

export interface RefreshingInventory {
  refreshOne(id: string): Promise<unknown>;
}

/** Returns the function that stops it. */
export function refreshHostsOnMigrationEnd(engine: Pick<MigrationEngine, 'onUpdate' | 'record'>, inventory: RefreshingInventory): () => void {
  return engine.onUpdate((u) => {
    if (u.kind !== 'ended') return;
    const start = engine.record(u.id)?.start;
    if (!start) return;
    for (const id of new Set([start.source.id, start.destination.id])) void inventory.refreshOne(id).catch(() => undefined);
  });
}
