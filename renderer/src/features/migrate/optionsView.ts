/** Pure rules of the options form (no React), so they are tested without a DOM. */
import type { MigrationOptionKey, MigrationOptions } from '../../../../shared/migration/options';

/** The options that live in the Advanced fold: the network, the streams, the rarely used flags. */
export const ADVANCED_OPTIONS: readonly MigrationOptionKey[] = ['migrateUri', 'listenAddress', 'parallel', 'parallelConnections', 'compressed', 'compMethods', 'offline', 'direct'];

/** Whether a dependent setting is on screen: its parent is on, or it is set anyway (so a flagged value can be cleared). */
export const shows = (o: MigrationOptions, parent: MigrationOptionKey, ...children: MigrationOptionKey[]): boolean =>
  o[parent] === true || children.some((k) => o[k] !== undefined);

/** "vda vdb" or "vda, vdb" -> ['vda', 'vdb']; nothing -> undefined (every writable disk). */
export function parseDiskList(text: string): string[] | undefined {
  const disks = text.split(/[\s,]+/).filter((d) => d !== '');
  return disks.length === 0 ? undefined : disks;
}
