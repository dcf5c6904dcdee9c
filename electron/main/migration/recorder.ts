/**
 * What the engine writes and says: each line goes to the journal (durable, fdatasync per line), into the record
 * store that rebuilds the records from those lines, and to the listeners (the watch streams) as an update.
 */
import type { Journal, JournalLine } from './journal';
import {
  RecordStore,
  type MigrationEndPayload,
  type MigrationEventPayload,
  type MigrationSamplePayload,
  type MigrationStartPayload,
} from './record';

export type MigrationUpdate =
  | { readonly kind: 'started'; readonly id: string; readonly at: number; readonly start: MigrationStartPayload }
  | { readonly kind: 'sample'; readonly id: string; readonly at: number; readonly sample: MigrationSamplePayload }
  | { readonly kind: 'event'; readonly id: string; readonly at: number; readonly event: MigrationEventPayload }
  | { readonly kind: 'ended'; readonly id: string; readonly at: number; readonly end: MigrationEndPayload; readonly reconciled: boolean };

export interface EngineLogger {
  warn(event: string, fields?: Record<string, unknown>): void;
}

export class MigrationRecorder {
  readonly store = new RecordStore();
  private readonly listeners = new Set<(u: MigrationUpdate) => void>();

  constructor(
    private readonly journal: Journal,
    private readonly wallClock: () => number,
    private readonly logger?: EngineLogger,
  ) {
    for (const line of journal.initial.lines) this.store.apply(line);
  }

  onUpdate(listener: (u: MigrationUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(u: MigrationUpdate): void {
    for (const l of this.listeners) {
      try {
        l(u);
      } catch (e) {
        this.logger?.warn('migration.listener-threw', { error: String(e) });
      }
    }
  }

  /** Appends and applies one line; the returned promise resolves when it is durable. */
  private async write(type: JournalLine['type'], id: string, key: string, payload: object, at: number): Promise<void> {
    const line = await this.journal.append({ type, id, at, [key]: payload });
    this.store.apply(line);
  }

  private logFailure(id: string): (e: unknown) => void {
    return (e) => this.logger?.warn('migration.journal-write-failed', { id, error: String(e) });
  }

  async started(id: string, start: MigrationStartPayload, at: number): Promise<void> {
    await this.write('start', id, 'start', start, at);
    this.emit({ kind: 'started', id, at, start });
  }

  /** Announced at once; written without the sampler waiting for it (a failure is logged, never lost silently). */
  sample(id: string, at: number, sample: MigrationSamplePayload): void {
    this.emit({ kind: 'sample', id, at, sample });
    this.write('sample', id, 'sample', sample, at).catch(this.logFailure(id));
  }

  /** Announced, then written; a failed write is logged (the promise never rejects). */
  event(id: string, event: MigrationEventPayload, at = this.wallClock()): Promise<void> {
    this.emit({ kind: 'event', id, at, event });
    return this.write('event', id, 'event', event, at).catch(this.logFailure(id));
  }

  /** Written, then announced: a watcher reading the record on the update sees the state the event makes. */
  async durableEvent(id: string, event: MigrationEventPayload): Promise<void> {
    const at = this.wallClock();
    await this.write('event', id, 'event', event, at);
    this.emit({ kind: 'event', id, at, event });
  }

  /** The end of a run this Ferry followed to its end (`reconciled`: false), or of a refused attempt. */
  async ended(id: string, end: MigrationEndPayload, at = this.wallClock()): Promise<void> {
    await this.write('end', id, 'end', end, at);
    this.emit({ kind: 'ended', id, at, end, reconciled: false });
  }

  /** The end found by asking the hosts after a restart (a 'reconcile' line). */
  async reconciled(id: string, end: MigrationEndPayload): Promise<void> {
    const at = this.wallClock();
    await this.write('reconcile', id, 'reconcile', end, at);
    this.emit({ kind: 'ended', id, at, end, reconciled: true });
  }
}
