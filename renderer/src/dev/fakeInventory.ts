/**
 * The dev fake's inventory: an in-memory stand-in for main's InventoryService and its watch, served through the
 * real inventory handlers (electron/main/inventory/handlers.ts).
 *
 * Behaviour by address (see docs/ui.md): an address Ferry has not seen presents a new key (host-key-unknown);
 * 10.77.0.66 presents a key other than the trusted one (host-key-changed); 10.99.x.x or a name containing
 * "unreachable" times out; user "nobody" fails authentication; a key path containing "encrypted" needs the
 * passphrase "secret".
 */
import type { HostTestOutcome, InventoryEvent, Settings, sshConfigImport } from '../../../shared/ipc/contract';
import type { OutputOf } from '../../../shared/ipc/define';
import type { FerryError } from '../../../shared/errors';
import type { HostDraft, HostRecord, HostView } from '../../../shared/inventory/types';
import { err, ok, type Result } from '../../../shared/result';
import type { InventoryPort } from '../../../electron/main/inventory/handlers';
import type { InventoryWatch } from '../../../electron/main/inventory/watch';
import { fakeFingerprint, makeFacts, makeVms, pick, prng, randomState } from './fakeData';

export interface FakeInventoryOptions {
  /** 'lab': hvA, hvB, hvC connected; 'problems': those plus one host in each troubled state; 'empty': nothing. */
  readonly scenario?: 'lab' | 'problems' | 'empty';
  /** VMs on each lab host (default 800, 700, 500: 2,000 in all). */
  readonly vmsPerHost?: readonly number[];
  /** Period of simulated VM state changes while subscribed; 0 turns them off. */
  readonly tickMs?: number;
  readonly seed?: number;
  readonly now: () => Date;
  /** Runs work that main would do after answering (events that follow a request). */
  readonly later: (fn: () => void) => void;
}

export interface FakeInventory {
  readonly service: InventoryPort;
  readonly watch: Pick<InventoryWatch, 'subscribe'>;
  readonly hosts: Map<string, HostView>;
  /** Pushes an event to every subscriber as main would. */
  emit(event: InventoryEvent): void;
  subscriberCount(): number;
  readSshConfig(path: string | undefined): Result<OutputOf<typeof sshConfigImport>, FerryError>;
}

const notFound = (): FerryError => ({ code: 'inventory.not-found', message: 'No such host.' });

export function createFakeInventory(o: FakeInventoryOptions): FakeInventory {
  const rand = prng(o.seed ?? 7);
  const iso = () => o.now().toISOString();
  const hosts = new Map<string, HostView>();
  const trusted = new Map<string, string>(); // "address:port" -> fingerprint
  const presented = new Map<string, string>();
  const subscribers = new Set<(e: InventoryEvent) => void>();
  let settings: Settings = { trustUserKnownHosts: false, refreshIntervalSec: 10 };
  let nextId = 1;
  let ticker: ReturnType<typeof setTimeout> | undefined;

  const emit = (event: InventoryEvent) => {
    for (const s of [...subscribers]) s(event);
  };
  const keyOf = (address: string, port: number) => `${address}:${port}`;
  const fingerprintOf = (address: string, port: number) => fakeFingerprint(`${address}:${port}`);

  function record(draft: HostDraft, source: HostRecord['source'] = 'manual'): HostRecord {
    return { ...draft, id: `h${nextId++}`, addedAt: iso(), source };
  }
  function connected(r: HostRecord, vmCount: number): HostView {
    return { record: r, connection: { state: 'connected', since: iso() }, facts: makeFacts(rand, r, iso()), vms: makeVms(rand, r.name.slice(-1).toLowerCase(), vmCount), refreshedAt: iso() };
  }
  const agent = { kind: 'agent' } as const;
  const draftOf = (name: string, address: string): HostDraft => ({ name, address, port: 22, user: 'root', auth: agent });

  if (o.scenario !== 'empty') {
    const counts = o.vmsPerHost ?? [800, 700, 500];
    (['hvA:10.77.0.11', 'hvB:10.77.0.12', 'hvC:10.77.1.13'] as const).forEach((s, i) => {
      const [name = '', address = ''] = s.split(':');
      trusted.set(keyOf(address, 22), fingerprintOf(address, 22));
      const h = connected(record(draftOf(name, address)), counts[i] ?? 0);
      hosts.set(h.record.id, h);
    });
    trusted.set(keyOf('10.77.0.66', 22), fakeFingerprint('the old key'));
  }
  if (o.scenario === 'problems') {
    const add = (name: string, address: string, connection: HostView['connection'], extra: Partial<HostView> = {}) => {
      const r = record(draftOf(name, address));
      hosts.set(r.id, { record: r, connection, ...extra });
    };
    const stale = connected(record(draftOf('hvD', '10.77.0.14')), 40);
    add('hvD', '10.77.0.14', { state: 'unreachable', reason: 'No answer from 10.77.0.14:22 within 10 s.', detail: 'connect ETIMEDOUT 10.77.0.14:22' }, { ...(stale.facts ? { facts: stale.facts } : {}), vms: stale.vms ?? [], refreshedAt: new Date(o.now().getTime() - 7 * 60_000).toISOString() });
    const key = { host: '10.77.0.66', port: 22, keyType: 'ssh-ed25519', fingerprint: fingerprintOf('10.77.0.66', 22) };
    add('hvE', '10.77.0.66', { state: 'host-key-changed', reason: 'The host presented a different key than the one Ferry trusts.', key, knownFingerprint: fakeFingerprint('the old key'), knownIn: 'known_hosts line 4' });
    add('hvF', '10.77.0.16', { state: 'passphrase-needed', reason: 'The key /root/.ssh/id_encrypted is encrypted.' });
    add('hvG', '10.77.0.17', { state: 'host-key-unknown', reason: 'Ferry has never seen this host’s key.', key: { host: '10.77.0.17', port: 22, keyType: 'ssh-ed25519', fingerprint: fingerprintOf('10.77.0.17', 22) } });
    add('hvH', '10.77.0.18', { state: 'auth-failed', reason: 'The server refused the key for root.', detail: 'All configured authentication methods failed' });
  }

  function test(draft: HostDraft, passphrase: string | undefined): Result<HostTestOutcome, FerryError> {
    if (/unreachable/i.test(draft.address) || draft.address.startsWith('10.99.')) {
      return err({ code: 'ssh.unreachable', message: `${draft.address}:${draft.port} did not answer within 10 s. Check the address and that sshd runs.`, detail: `connect ETIMEDOUT ${draft.address}:${draft.port}` });
    }
    const fingerprint = fingerprintOf(draft.address, draft.port);
    const key = { host: draft.address, port: draft.port, keyType: 'ssh-ed25519', fingerprint };
    presented.set(keyOf(draft.address, draft.port), fingerprint);
    const known = trusted.get(keyOf(draft.address, draft.port));
    if (known === undefined) return ok({ outcome: 'host-key-unknown', key });
    if (known !== fingerprint) return ok({ outcome: 'host-key-changed', key, knownFingerprint: known, knownIn: '/root/.local/share/ferry/known_hosts:4' });
    if (draft.user === 'nobody') return err({ code: 'ssh.auth-failed', message: `The server refused authentication for ${draft.user}.`, detail: 'All configured authentication methods failed' });
    if (draft.auth.kind === 'key' && draft.auth.keyPath.includes('encrypted') && passphrase !== 'secret') return ok({ outcome: 'passphrase-needed' });
    const r = { ...draft, id: 'probe', addedAt: iso(), source: 'manual' as const };
    return ok({ outcome: 'ok', facts: makeFacts(rand, r, iso()), vmCount: 24 });
  }
  /** As main does: a draft must pass its test before it is saved. */
  function passes(draft: HostDraft, passphrase: string | undefined): Result<true, FerryError> {
    const t = test(draft, passphrase);
    if (!t.ok) return t;
    if (t.value.outcome !== 'ok') return err({ code: 'ssh.handshake-failed', message: `The host did not pass its test (${t.value.outcome}).` });
    return ok(true);
  }

  function refresh(h: HostView): HostView {
    if (h.connection.state !== 'connected' || h.vms === undefined) return h;
    const vms = h.vms.map((vm) => (rand() < 0.01 ? { ...vm, state: randomState(rand) } : vm));
    return { ...h, vms, refreshedAt: iso() };
  }
  function refreshLater(h: HostView) {
    const next = refresh(h);
    hosts.set(h.record.id, next);
    o.later(() => emit({ type: 'host', host: next }));
  }

  const service: InventoryPort = {
    views: () => [...hosts.values()],
    settings: () => settings,
    test: async (draft, passphrase) => test(draft, passphrase),
    trustKey: async (k) => {
      if (presented.get(keyOf(k.host, k.port)) !== k.fingerprint) return err({ code: 'input.invalid', message: 'That key was not presented by this host.' });
      trusted.set(keyOf(k.host, k.port), k.fingerprint);
      return ok({});
    },
    add: async (draft, source = 'manual', passphrase) => {
      if ([...hosts.values()].some((h) => h.record.name.toLowerCase() === draft.name.toLowerCase())) {
        return err({ code: 'inventory.duplicate', message: `A host named ${draft.name} already exists.` });
      }
      const t = passes(draft, passphrase);
      if (!t.ok) return t;
      const h = connected(record(draft, source), 24);
      hosts.set(h.record.id, h);
      o.later(() => emit({ type: 'host', host: h }));
      return ok(h.record);
    },
    update: async (id, draft) => {
      const h = hosts.get(id);
      if (!h) return err(notFound());
      // As main does: a host reached another way must answer first; NIC roles the admin set replace the inferred ones.
      const r = h.record;
      if (draft.address !== r.address || draft.port !== r.port || draft.user !== r.user) {
        const t = passes(draft, undefined);
        if (!t.ok) return t;
      }
      const roles = draft.nicRoles ?? {};
      const facts = h.facts && { ...h.facts, nics: h.facts.nics.map((n) => ({ ...n, role: roles[n.name] ?? n.role })) };
      const next = { ...h, record: { ...h.record, ...draft }, ...(facts ? { facts } : {}) };
      hosts.set(id, next);
      emit({ type: 'host', host: next });
      return ok(next.record);
    },
    remove: async (id) => {
      if (!hosts.delete(id)) return err(notFound());
      o.later(() => emit({ type: 'removed', id }));
      return ok({});
    },
    refreshOne: async (id) => {
      const h = hosts.get(id);
      if (!h) return err(notFound());
      refreshLater(h);
      return ok({});
    },
    refreshAll: async () => {
      for (const h of [...hosts.values()]) refreshLater(h);
    },
    unlock: async (id, passphrase) => {
      const h = hosts.get(id);
      if (!h) return err(notFound());
      if (passphrase !== 'secret') return err({ code: 'ssh.auth-failed', message: 'That passphrase does not unlock the key.' });
      const next = connected(h.record, 12);
      hosts.set(id, next);
      o.later(() => emit({ type: 'host', host: next }));
      return ok({});
    },
    updateSettings: async (patch) => {
      settings = { ...settings, ...(patch as Partial<Settings>) };
      return ok(settings);
    },
  };

  function tick() {
    const live = [...hosts.values()].filter((h) => h.connection.state === 'connected');
    if (live.length > 0) {
      const h = refresh(pick(rand, live));
      hosts.set(h.record.id, h);
      emit({ type: 'host', host: h });
    }
    ticker = setTimeout(tick, o.tickMs);
  }

  const watch: FakeInventory['watch'] = {
    subscribe(listener) {
      subscribers.add(listener);
      listener({ type: 'snapshot', hosts: [...hosts.values()] });
      if (ticker === undefined && (o.tickMs ?? 0) > 0) ticker = setTimeout(tick, o.tickMs);
      return () => {
        subscribers.delete(listener);
        if (subscribers.size === 0 && ticker !== undefined) {
          clearTimeout(ticker);
          ticker = undefined;
        }
      };
    },
  };

  function readSshConfig(path: string | undefined): Result<OutputOf<typeof sshConfigImport>, FerryError> {
    if (path?.includes('missing')) return err({ code: 'ssh-config.unreadable', message: `Ferry could not read ${path}.`, detail: `ENOENT: no such file or directory, open '${path}'` });
    const keyAuth = { kind: 'key', keyPath: '/var/tmp/ferry-lab/keys/client_ed25519' } as const;
    return ok({
      path: path ?? '/root/.ssh/config',
      candidates: [
        { alias: 'hvC', draft: { ...draftOf('hvC', '10.77.1.13'), auth: keyAuth }, warnings: [] },
        { alias: 'hvx', draft: { ...draftOf('hvx', '10.77.0.14'), auth: keyAuth }, warnings: [] },
        { alias: 'edge-1', draft: { ...draftOf('edge-1', '10.77.0.66'), user: 'admin' }, warnings: ['ProxyJump bastion is not followed: Ferry connects to 10.77.0.66 directly.'] },
      ],
    });
  }

  return { service, watch, hosts, emit, subscriberCount: () => subscribers.size, readSshConfig };
}
