/**
 * The host inventory: saved hosts (InventoryStore), what each one is now (connection state, facts, VMs), and the
 * operations behind the hosts.* / settings.* channels.
 *
 * - Adding a host tests it first, over a throw-away connection made with the draft's own credentials: a saved host
 *   is one that answered. A host key seen for the first time (or a changed one) is an answer for the dialog, not an
 *   error; trustKey then accepts ONLY the key Ferry itself was last shown for that host:port, named by fingerprint.
 * - Refresh: every host at once, each with its own time budget; a host whose previous refresh is still running is
 *   skipped, never queued; one dead host holds up nobody. Facts and VMs of a host that stops answering are kept
 *   (refreshedAt says how old they are) while its state says why.
 * - Change events: a host is announced in full only when what the renderer shows changed; a routine refresh that
 *   changed nothing sends a small `refreshed` event (id and time), so an unchanged inventory never resends its VMs
 *   and "last refresh" stays true.
 *
 * Testing a draft and the keys it was shown: probe.ts; one refresh of a host: refresh.ts; a host's live state:
 * runtime.ts; the rules for a saved record (duplicates, same connection): records.ts. Here: the directory of hosts, key trust, settings and the refresh loop.
 */
import { randomUUID } from 'node:crypto';
import type { FerryError } from '../../../shared/errors';
import { ferryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import type { HostDraft, HostRecord, HostView } from '../../../shared/inventory/types';
import type { HostTestOutcome, InventoryEvent, Settings } from '../../../shared/ipc/contract';
import type { Clock } from '../clock';
import { targetKey, type SshTarget } from '../ssh/errors';
import type { SshAuth, SshLogger } from '../ssh/pool';
import type { SshBackend } from './backend';
import { applyNicRoles } from './collect';
import type { Credentials } from './credentials';
import { hostPort, PresentedKeys, probeDraft, type Probed } from './probe';
import { refreshHost, type RefreshDeps } from './refresh';
import { duplicateOf, notAnswered, reaches, sameConnection, sameTarget, withEncryptedFlag } from './records';
import { signature, type Runtime } from './runtime';
import type { InventoryData, InventoryStore } from './store';
import { jumpTargetsOf, recordKey, sshTargetOf } from './target';

export interface InventoryServiceOptions {
  readonly store: InventoryStore;
  readonly credentials: Credentials;
  /**
   * The long-lived connections of saved hosts. `auth` is what the service answers for a target (the pool asks on
   * every connection attempt).
   */
  readonly backend: (auth: (target: SshTarget) => Promise<SshAuth>) => SshBackend;
  /** A throw-away backend for testing a draft with its own credentials (its jump hosts' too, by target). */
  readonly probeBackend: (auth: (target: SshTarget) => SshAuth) => SshBackend;
  readonly clock: Clock;
  /** Wall-clock ms since the epoch, for the ISO times the renderer shows. */
  readonly wallClock?: () => number;
  readonly logger?: SshLogger;
  /** TCP + SSH handshake + authentication. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** A whole refresh of one host. Default 30 s (a cold libvirt's first virsh call can take ~8 s). */
  readonly hostTimeoutMs?: number;
  /**
   * How old a host's facts (versions, CPU, memory, NICs) may get before a routine refresh collects them again;
   * VMs are read on every refresh. Facts are also read on (re)connection and on an explicit refresh. Default 60 s.
   */
  readonly factsIntervalMs?: number;
}

const noopLogger: SshLogger = { debug: () => undefined, warn: () => undefined };

const targetOf = sshTargetOf;
export class InventoryService {
  private readonly runtimes = new Map<string, Runtime>();
  private readonly presented = new PresentedKeys();
  private readonly listeners = new Set<(e: InventoryEvent) => void>();
  private readonly releaseListeners = new Set<(target: SshTarget) => Promise<void>>();
  private readonly backend: SshBackend;
  private readonly clock: Clock;
  private readonly wallClock: () => number;
  private readonly logger: SshLogger;
  private readonly connectTimeoutMs: number;
  private readonly hostTimeoutMs: number;
  private readonly factsIntervalMs: number;
  private disposed = false;
  private readonly refreshDeps: RefreshDeps;

  constructor(private readonly o: InventoryServiceOptions) {
    this.clock = o.clock;
    this.wallClock = o.wallClock ?? Date.now;
    this.logger = o.logger ?? noopLogger;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
    this.hostTimeoutMs = o.hostTimeoutMs ?? 30_000;
    this.factsIntervalMs = o.factsIntervalMs ?? 60_000;
    this.backend = o.backend((t) => this.authFor(t));
    this.refreshDeps = {
      credentials: o.credentials,
      backend: this.backend,
      clock: this.clock,
      connectTimeoutMs: this.connectTimeoutMs,
      hostTimeoutMs: this.hostTimeoutMs,
      factsIntervalMs: this.factsIntervalMs,
      iso: () => this.iso(),
      presented: this.presented,
      publish: (rt) => this.publish(rt),
      disposed: () => this.disposed,
      current: (rt) => this.runtimes.get(rt.record.id) === rt,
    };
    for (const record of o.store.value.hosts) this.runtimes.set(record.id, { record, connection: { state: 'idle' }, generation: 0 });
  }

  // ---- reading -------------------------------------------------------------------------------------------------

  views(): HostView[] {
    return [...this.runtimes.values()].map((rt) => this.view(rt));
  }

  settings(): Settings {
    return this.o.store.value.settings;
  }

  /** Problems met while opening the store (a corrupt inventory set aside...). */
  problems(): readonly FerryError[] {
    return this.o.store.problems;
  }

  /** Change events (`host`, `removed`); snapshots are the watcher's business. Returns the unsubscribe. */
  onEvent(listener: (e: InventoryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Called when no saved host uses a target any more (the host was removed, or its address, port or user changed),
   * after the inventory's own connection to it is closed: the other pools (migrations, network tools) close theirs,
   * so no SSH session to a host Ferry no longer knows stays open. Returns the unsubscribe.
   */
  onTargetReleased(listener: (target: SshTarget) => Promise<void>): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  private view(rt: Runtime): HostView {
    const v: HostView = { record: rt.record, connection: rt.connection };
    if (rt.facts) v.facts = applyNicRoles(rt.facts, rt.record.nicRoles);
    if (rt.vms) v.vms = rt.vms;
    if (rt.refreshedAt !== undefined) v.refreshedAt = rt.refreshedAt;
    if (rt.problem) v.problem = rt.problem;
    return v;
  }

  private publish(rt: Runtime): void {
    if (this.disposed || this.runtimes.get(rt.record.id) !== rt) return;
    const view = this.view(rt);
    const sig = signature(view);
    if (sig === rt.announced) {
      // Nothing shown changed; say only that the host answered, so "last refresh" stays true without resending its VMs.
      if (view.refreshedAt !== undefined && view.refreshedAt !== rt.announcedRefreshedAt) {
        rt.announcedRefreshedAt = view.refreshedAt;
        this.emit({ type: 'refreshed', id: rt.record.id, at: view.refreshedAt });
      }
      return;
    }
    rt.announced = sig;
    rt.announcedRefreshedAt = view.refreshedAt;
    this.emit({ type: 'host', host: view });
  }

  private emit(e: InventoryEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (error) {
        this.logger.warn('inventory.listener-threw', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private iso(): string {
    return new Date(this.wallClock()).toISOString();
  }

  // ---- credentials for the pool ----------------------------------------------------------------------------------

  /**
   * Credentials for a saved host's target or for one of the jump hosts on the way to it (also used by the other
   * SSH pools); throws when there are none. A jump host named by several records uses the first one's credentials.
   */
  async authFor(target: SshTarget): Promise<SshAuth> {
    const key = targetKey(target).toLowerCase();
    const records = [...this.runtimes.values()].map((r) => r.record);
    const auth =
      records.find((r) => recordKey(r) === key)?.auth ??
      records.flatMap((r) => jumpTargetsOf(r)).find((j) => targetKey(j.target).toLowerCase() === key)?.hop.auth;
    if (!auth) throw new Error(`no saved host for ${targetKey(target)}`);
    const r = await this.o.credentials.resolve(auth);
    if (!r.ok) throw new Error(r.problem.reason);
    return r.auth;
  }

  // ---- testing, trusting ---------------------------------------------------------------------------------------

  private probe(draft: HostDraft, passphrase: string | undefined): Promise<Result<Probed, FerryError>> {
    return probeDraft(
      { credentials: this.o.credentials, probeBackend: this.o.probeBackend, clock: this.clock, connectTimeoutMs: this.connectTimeoutMs, hostTimeoutMs: this.hostTimeoutMs, iso: () => this.iso(), presented: this.presented },
      draft,
      passphrase,
    );
  }

  async test(draft: HostDraft, passphrase?: string): Promise<Result<HostTestOutcome, FerryError>> {
    const r = await this.probe(draft, passphrase);
    return r.ok ? ok(r.value.outcome) : r;
  }

  async trustKey(input: { host: string; port: number; keyType: string; fingerprint: string }): Promise<Result<Record<string, never>, FerryError>> {
    const hp = hostPort(input.host, input.port);
    const shown = this.presented.get(hp);
    if (!shown) {
      return err(ferryError('input.invalid', `Ferry has not been shown a host key for ${input.host}:${input.port}: test the connection first, then trust the key it shows.`));
    }
    if (shown.key.fingerprint !== input.fingerprint || shown.key.keyType !== input.keyType) {
      return err(
        ferryError(
          'input.invalid',
          `${input.host}:${input.port} last presented the ${shown.key.keyType} key ${shown.key.fingerprint}, not the ${input.keyType} key ${input.fingerprint}: nothing was trusted. Test the connection again and check the fingerprint it shows.`,
        ),
      );
    }
    const r = await this.backend.trustHostKey(shown.target, { keyType: shown.key.keyType, keyBase64: shown.key.keyBase64 });
    if (!r.ok) return r;
    this.presented.forget(hp);
    this.logger.debug('inventory.key-trusted', { host: hp, keyType: shown.key.keyType, fingerprint: shown.key.fingerprint });
    for (const rt of this.runtimes.values()) {
      if (reaches(rt.record, hp)) void this.refresh(rt);
    }
    return ok({});
  }

  // ---- CRUD ----------------------------------------------------------------------------------------------------

  async add(draft: HostDraft, source: 'manual' | 'ssh-config' = 'manual', passphrase?: string): Promise<Result<HostRecord, FerryError>> {
    const dup = duplicateOf(this.o.store.value.hosts, draft);
    if (dup) return err(dup);
    const probed = await this.probe(draft, passphrase);
    if (!probed.ok) return probed;
    if (probed.value.outcome.outcome !== 'ok') return err(notAnswered(probed.value.outcome, draft));
    const record: HostRecord = { ...withEncryptedFlag(draft, probed.value.encrypted), id: randomUUID(), addedAt: this.iso(), source };
    const saved = await this.o.store.update((cur) => {
      // Checked again: another add may have saved the same host while this one was testing.
      const again = duplicateOf(cur.hosts, draft);
      return again ? err(again) : ok({ next: { ...cur, hosts: [...cur.hosts, record] }, value: record });
    });
    if (!saved.ok) return saved;
    const now = this.iso();
    const rt: Runtime = { record, connection: { state: 'connected', since: now }, refreshedAt: now, generation: 0 };
    if (probed.value.facts) {
      rt.facts = probed.value.facts;
      rt.factsAt = this.clock.now();
    }
    if (probed.value.vms) rt.vms = probed.value.vms;
    this.runtimes.set(record.id, rt);
    this.publish(rt);
    return ok(record);
  }

  async update(id: string, draft: HostDraft): Promise<Result<HostRecord, FerryError>> {
    const rt = this.runtimes.get(id);
    if (!rt) return err(notFound(id));
    const dup = duplicateOf(this.o.store.value.hosts, draft, id);
    if (dup) return err(dup);
    const before = rt.record;
    const reconnect = !sameConnection(before, draft);
    let encrypted = before.auth.kind === 'key' && before.auth.encrypted === true;
    if (reconnect) {
      // A changed address, port, user or key must answer, as a new host must.
      const probed = await this.probe(draft, undefined);
      if (!probed.ok) return probed;
      if (probed.value.outcome.outcome !== 'ok') return err(notAnswered(probed.value.outcome, draft));
      encrypted = probed.value.encrypted;
    }
    // Editing a host leaves its maintenance mark alone: only setMaintenance sets or clears it.
    const record: HostRecord = {
      ...withEncryptedFlag(draft, encrypted),
      id,
      addedAt: before.addedAt,
      source: before.source,
      ...(before.maintenance !== undefined ? { maintenance: before.maintenance } : {}),
    };
    const saved = await this.o.store.update((cur) => {
      if (!cur.hosts.some((h) => h.id === id)) return err(notFound(id));
      const again = duplicateOf(cur.hosts, draft, id);
      if (again) return err(again);
      return ok({ next: { ...cur, hosts: cur.hosts.map((h) => (h.id === id ? record : h)) }, value: record });
    });
    if (!saved.ok) return saved;
    rt.record = record;
    if (reconnect) {
      await this.detach(rt, before);
      rt.connection = { state: 'idle' };
      delete rt.facts;
      delete rt.factsAt;
      delete rt.vms;
      delete rt.refreshedAt;
      delete rt.problem;
      void this.refresh(rt);
    }
    this.publish(rt);
    return ok(record);
  }

  /**
   * Maintenance mode on or off, saved with the host (it survives a restart). Setting it again keeps the first
   * `since`: the mark says when the host stopped taking VMs, not when someone last clicked.
   */
  async setMaintenance(id: string, on: boolean): Promise<Result<HostRecord, FerryError>> {
    const rt = this.runtimes.get(id);
    if (!rt) return err(notFound(id));
    const since = this.iso();
    const saved = await this.o.store.update((cur) => {
      const current = cur.hosts.find((h) => h.id === id);
      if (!current) return err(notFound(id));
      if (on === (current.maintenance !== undefined)) return ok({ next: cur, value: current });
      const { maintenance: _was, ...rest } = current;
      const record: HostRecord = on ? { ...rest, maintenance: { since } } : rest;
      return ok({ next: { ...cur, hosts: cur.hosts.map((h) => (h.id === id ? record : h)) }, value: record });
    });
    if (!saved.ok) return saved;
    rt.record = saved.value;
    this.publish(rt);
    return ok(saved.value);
  }

  async remove(id: string): Promise<Result<Record<string, never>, FerryError>> {
    const rt = this.runtimes.get(id);
    if (!rt) return err(notFound(id));
    const saved = await this.o.store.update((cur) =>
      cur.hosts.some((h) => h.id === id) ? ok({ next: { ...cur, hosts: cur.hosts.filter((h) => h.id !== id) }, value: undefined }) : err(notFound(id)),
    );
    if (!saved.ok) return saved;
    this.runtimes.delete(id);
    await this.detach(rt, rt.record);
    this.emit({ type: 'removed', id });
    return ok({});
  }

  /** Stops a runtime's work and closes what it held (the connection too, unless another host uses it). */
  private async detach(rt: Runtime, was: HostDraft): Promise<void> {
    rt.generation++;
    rt.abort?.abort();
    const session = rt.session;
    delete rt.session;
    await session?.close().catch(() => undefined);
    const stillUsed = [...this.runtimes.values()].some((r) => r !== rt && sameTarget(r.record, was));
    if (stillUsed) return;
    const target = targetOf(was);
    await this.backend.closeConnection(target);
    await Promise.all(
      [...this.releaseListeners].map((l) =>
        l(target).catch((e: unknown) => this.logger.warn('inventory.release-failed', { target: targetKey(target), error: e instanceof Error ? e.message : String(e) })),
      ),
    );
  }

  async unlock(id: string, passphrase: string): Promise<Result<Record<string, never>, FerryError>> {
    const rt = this.runtimes.get(id);
    if (!rt) return err(notFound(id));
    if (rt.record.auth.kind !== 'key') return err(ferryError('input.invalid', `${rt.record.name} authenticates with the SSH agent: there is no key to unlock.`));
    const r = await this.o.credentials.resolve(rt.record.auth, passphrase);
    if (!r.ok) return err(ferryError('ssh.auth-failed', r.problem.reason));
    await this.refresh(rt);
    return ok({});
  }

  async updateSettings(patch: { readonly [K in keyof Settings]?: Settings[K] | undefined }): Promise<Result<Settings, FerryError>> {
    return this.o.store.update((cur: InventoryData) => {
      const settings: Settings = { ...cur.settings, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
      return ok({ next: { ...cur, settings }, value: settings });
    });
  }

  // ---- refreshing ----------------------------------------------------------------------------------------------

  /**
   * Refreshes one host, facts included unless `full: false` (someone asked, so by default everything); resolves
   * when done. A refresh already running for it answers instead (not queued).
   */
  async refreshOne(id: string, opts: { readonly full?: boolean } = {}): Promise<Result<Record<string, never>, FerryError>> {
    const rt = this.runtimes.get(id);
    if (!rt) return err(notFound(id));
    await this.refresh(rt, opts.full !== false);
    return ok({});
  }

  /**
   * Starts a refresh of every host not already refreshing and resolves when all have finished or, with
   * `budgetMs`, when that much time has passed (the slow ones finish on their own and are skipped by the next round).
   * `full`: collect facts too, however recent (an explicit refresh); otherwise facts only when due.
   */
  refreshAll(opts: { readonly budgetMs?: number; readonly full?: boolean } = {}): Promise<void> {
    const all = Promise.all([...this.runtimes.values()].map((rt) => this.refresh(rt, opts.full === true))).then(() => undefined);
    const budgetMs = opts.budgetMs;
    if (budgetMs === undefined) return all;
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(resolve, budgetMs);
      void all.then(() => {
        this.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Is a refresh of this host running? (tests, benchmarks) */
  isRefreshing(id: string): boolean {
    return this.runtimes.get(id)?.inFlight !== undefined;
  }

  private refresh(rt: Runtime, full = false): Promise<void> {
    if (rt.inFlight) return rt.inFlight;
    const started = this.clock.now();
    const p: Promise<void> = refreshHost(this.refreshDeps, rt, full)
      .then((facts) => {
        // Every outcome, failures included: what a benchmark or a slow-host investigation needs.
        this.logger.debug('inventory.refreshed', { host: rt.record.name, state: rt.connection.state, facts, ms: Math.round(this.clock.now() - started) });
      })
      .catch((e: unknown) => this.logger.warn('inventory.refresh-crashed', { host: rt.record.name, error: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        if (rt.inFlight === p) delete rt.inFlight;
      });
    rt.inFlight = p;
    return p;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.listeners.clear();
    const all = [...this.runtimes.values()];
    for (const rt of all) rt.abort?.abort();
    await Promise.all(all.map((rt) => rt.session?.close().catch(() => undefined)));
    await this.backend.dispose();
  }
}

function notFound(id: string): FerryError {
  return ferryError('inventory.not-found', `There is no host with id ${id} in the inventory (it may have been removed).`);
}
