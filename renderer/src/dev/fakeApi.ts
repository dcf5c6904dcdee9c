/**
 * An in-memory back end implementing Ferry's IPC contract, for unit tests and for looking at the UI without hosts.
 * Dev only: main.tsx loads it for `?fake=1` when import.meta.env.DEV, so it never reaches the production bundle.
 *
 * Behaviour by address (see docs/ui.md): an address Ferry has not seen presents a new key (host-key-unknown);
 * 10.77.0.66 presents a key other than the trusted one (host-key-changed); 10.99.x.x or a name containing
 * "unreachable" times out; user "nobody" fails authentication; a key path containing "encrypted" needs the
 * passphrase "secret".
 */
import { describeSchemaError, type RequestDef } from '../../../shared/ipc/define';
import * as c from '../../../shared/ipc/contract';
import type { FerryError } from '../../../shared/errors';
import type { HostDraft, HostRecord, HostView } from '../../../shared/inventory/types';
import { err, ok, type Result } from '../../../shared/result';
import { BUILT_IN_PROFILES, removeProfileFrom, saveProfileInto, type MigrationProfile } from '../../../shared/migration/options';
import type { FerryApi } from '../store/ports';
import { createFakeMigrations } from './fakeMigrations';
import type { MigrationPort } from '../store/migrationPort';
import { fakeFingerprint, makeFacts, makeVms, pick, prng, randomState } from './fakeData';

export interface FakeOptions {
  /** 'lab': hvA, hvB, hvC connected; 'problems': those plus one host in each troubled state; 'empty': nothing. */
  readonly scenario?: 'lab' | 'problems' | 'empty';
  /** VMs on each lab host (default 800, 700, 500: 2,000 in all). */
  readonly vmsPerHost?: readonly number[];
  /** Delay of every answer; 0 answers on the next microtask (tests). */
  readonly latencyMs?: number;
  /** Period of simulated VM state changes while subscribed; 0 turns them off. */
  readonly tickMs?: number;
  readonly seed?: number;
  readonly now?: () => Date;
}

export interface FakeApi extends FerryApi {
  /** What the fake holds, for tests. */
  readonly hosts: Map<string, HostView>;
  /** Pushes an event to every subscriber as main would. */
  emit(event: c.InventoryEvent): void;
  subscriberCount(): number;
  /** Scripted migrations (dev/fakeMigrations.ts), the store's migration seam until the contract's channels land. */
  readonly migrations: MigrationPort;
}

type Handler = (input: unknown) => Result<unknown, FerryError>;

export function createFakeApi(o: FakeOptions = {}): FakeApi {
  const rand = prng(o.seed ?? 7);
  const latency = o.latencyMs ?? 250;
  const now = o.now ?? (() => new Date());
  const iso = () => now().toISOString();
  const hosts = new Map<string, HostView>();
  const trusted = new Map<string, string>(); // "address:port" -> fingerprint
  const presented = new Map<string, string>();
  const subscribers = new Set<(e: c.InventoryEvent) => void>();
  let settings: c.Settings = { trustUserKnownHosts: false, refreshIntervalSec: 10 };
  let nextId = 1;
  let ticker: ReturnType<typeof setTimeout> | undefined;

  const later = <T>(value: T): Promise<T> =>
    latency === 0 ? Promise.resolve(value) : new Promise((resolve) => setTimeout(() => resolve(value), latency));
  const emit = (event: c.InventoryEvent) => {
    const checked = c.inventoryWatch.event.parse(event);
    for (const s of subscribers) s(checked);
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
    add('hvD', '10.77.0.14', { state: 'unreachable', reason: 'No answer from 10.77.0.14:22 within 10 s.', detail: 'connect ETIMEDOUT 10.77.0.14:22' }, { ...(stale.facts ? { facts: stale.facts } : {}), vms: stale.vms ?? [], refreshedAt: new Date(now().getTime() - 7 * 60_000).toISOString() });
    const key = { host: '10.77.0.66', port: 22, keyType: 'ssh-ed25519', fingerprint: fingerprintOf('10.77.0.66', 22) };
    add('hvE', '10.77.0.66', { state: 'host-key-changed', reason: 'The host presented a different key than the one Ferry trusts.', key, knownFingerprint: fakeFingerprint('the old key'), knownIn: 'known_hosts line 4' });
    add('hvF', '10.77.0.16', { state: 'passphrase-needed', reason: 'The key /root/.ssh/id_encrypted is encrypted.' });
    add('hvG', '10.77.0.17', { state: 'host-key-unknown', reason: 'Ferry has never seen this host’s key.', key: { host: '10.77.0.17', port: 22, keyType: 'ssh-ed25519', fingerprint: fingerprintOf('10.77.0.17', 22) } });
    add('hvH', '10.77.0.18', { state: 'auth-failed', reason: 'The server refused the key for root.', detail: 'All configured authentication methods failed' });
  }

  function test(draft: HostDraft, passphrase: string | undefined): Result<c.HostTestOutcome, FerryError> {
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

  function refresh(h: HostView): HostView {
    if (h.connection.state !== 'connected' || h.vms === undefined) return h;
    const vms = h.vms.map((vm) => (rand() < 0.01 ? { ...vm, state: randomState(rand) } : vm));
    return { ...h, vms, refreshedAt: iso() };
  }

  const handlers = new Map<string, Handler>();
  function on<I, O>(def: RequestDef<I, O>, h: (input: I) => Result<O, FerryError>) {
    handlers.set(def.id, h as Handler);
  }
  on(c.appInfo, () => ok({ version: '0.1.0-fake', mode: 'web', dataDir: '/tmp/ferry-fake', platform: 'linux', problems: [] }));
  on(c.hostsList, () => ok([...hosts.values()]));
  on(c.hostsTest, ({ draft, passphrase }) => test(draft, passphrase));
  on(c.hostsTrustKey, (k) => {
    if (presented.get(keyOf(k.host, k.port)) !== k.fingerprint) return err({ code: 'input.invalid', message: 'That key was not presented by this host.' });
    trusted.set(keyOf(k.host, k.port), k.fingerprint);
    return ok({});
  });
  on(c.hostsAdd, ({ draft, source, passphrase }) => {
    if ([...hosts.values()].some((h) => h.record.name.toLowerCase() === draft.name.toLowerCase())) {
      return err({ code: 'inventory.duplicate', message: `A host named ${draft.name} already exists.` });
    }
    const t = test(draft, passphrase);
    if (!t.ok) return t;
    if (t.value.outcome !== 'ok') return err({ code: 'ssh.handshake-failed', message: `The host did not pass its test (${t.value.outcome}).` });
    const h = connected(record(draft, source), 24);
    hosts.set(h.record.id, h);
    setTimeout(() => emit({ type: 'host', host: h }), latency);
    return ok(h.record);
  });
  on(c.hostsUpdate, ({ id, draft }) => {
    const h = hosts.get(id);
    if (!h) return err({ code: 'inventory.not-found', message: 'No such host.' });
    // As main does: a host reached another way must answer first; NIC roles the admin set replace the inferred ones.
    const r = h.record;
    if (draft.address !== r.address || draft.port !== r.port || draft.user !== r.user) {
      const t = test(draft, undefined);
      if (!t.ok) return t;
      if (t.value.outcome !== 'ok') return err({ code: 'ssh.handshake-failed', message: `The host did not pass its test (${t.value.outcome}).` });
    }
    const roles = draft.nicRoles ?? {};
    const facts = h.facts && { ...h.facts, nics: h.facts.nics.map((n) => ({ ...n, role: roles[n.name] ?? n.role })) };
    const next = { ...h, record: { ...h.record, ...draft }, ...(facts ? { facts } : {}) };
    hosts.set(id, next);
    emit({ type: 'host', host: next });
    return ok(next.record);
  });
  on(c.hostsRemove, ({ id }) => {
    if (!hosts.delete(id)) return err({ code: 'inventory.not-found', message: 'No such host.' });
    setTimeout(() => emit({ type: 'removed', id }), 0);
    return ok({});
  });
  on(c.hostsRefresh, ({ id }) => {
    for (const h of hosts.values()) {
      if (id !== undefined && h.record.id !== id) continue;
      const next = refresh(h);
      hosts.set(h.record.id, next);
      setTimeout(() => emit({ type: 'host', host: next }), latency);
    }
    return ok({});
  });
  on(c.hostsUnlock, ({ id, passphrase }) => {
    const h = hosts.get(id);
    if (!h) return err({ code: 'inventory.not-found', message: 'No such host.' });
    if (passphrase !== 'secret') return err({ code: 'ssh.auth-failed', message: 'That passphrase does not unlock the key.' });
    const next = connected(h.record, 12);
    hosts.set(id, next);
    setTimeout(() => emit({ type: 'host', host: next }), latency);
    return ok({});
  });
  on(c.sshConfigImport, ({ path }) => {
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
  });
  on(c.settingsGet, () => ok(settings));
  on(c.settingsSet, (patch) => {
    settings = { ...settings, ...(patch as Partial<c.Settings>) };
    return ok(settings);
  });

  // Saved migration profiles, in memory, decided by the same pure rules as main's store.
  let userProfiles: MigrationProfile[] = [];
  on(c.profilesList, () => ok({ profiles: [...BUILT_IN_PROFILES, ...userProfiles], problems: [] }));
  on(c.profilesSave, (req) => {
    const r = saveProfileInto(userProfiles, req);
    if (!r.ok) return r;
    userProfiles = r.value.profiles;
    return ok(r.value.saved);
  });
  on(c.profilesRemove, ({ id }) => {
    const r = removeProfileFrom(userProfiles, id);
    if (!r.ok) return r;
    userProfiles = r.value;
    return ok({});
  });

  function tick() {
    const live = [...hosts.values()].filter((h) => h.connection.state === 'connected');
    if (live.length > 0) {
      const h = refresh(pick(rand, live));
      hosts.set(h.record.id, h);
      emit({ type: 'host', host: h });
    }
    ticker = setTimeout(tick, o.tickMs);
  }

  const migrations = createFakeMigrations(hosts, { tickMs: latency === 0 ? 0 : 1000, now, seed: o.seed ?? 7 });

  return {
    hosts,
    emit,
    migrations,
    subscriberCount: () => subscribers.size,
    async invoke<I, O>(def: RequestDef<I, O>, input: I): Promise<Result<O, FerryError>> {
      const handler = handlers.get(def.id);
      if (handler === undefined) return later(err({ code: 'ipc.unknown-channel', message: `Unknown channel ${def.id}.` }));
      const parsed = def.input.safeParse(input);
      if (!parsed.success) return later(err(describeSchemaError(`The input of ${def.id}`, parsed.error)));
      const r = handler(parsed.data);
      // The fake checks its own answers against the contract, so a UI built on it is built on real shapes.
      return later(r.ok ? ok(def.output.parse(r.value)) : r);
    },
    subscribe(def, params, onEvent) {
      if (def.id !== c.inventoryWatch.id) throw new Error(`fake: unknown stream ${def.id}`);
      def.params.parse(params);
      const listener = onEvent as (e: c.InventoryEvent) => void;
      let open = true;
      const start = () => {
        if (!open) return;
        subscribers.add(listener);
        listener(c.inventoryWatch.event.parse({ type: 'snapshot', hosts: [...hosts.values()] }));
        if (ticker === undefined && (o.tickMs ?? 0) > 0) ticker = setTimeout(tick, o.tickMs);
      };
      if (latency === 0) queueMicrotask(start);
      else setTimeout(start, latency);
      return () => {
        open = false;
        subscribers.delete(listener);
        if (subscribers.size === 0 && ticker !== undefined) {
          clearTimeout(ticker);
          ticker = undefined;
        }
      };
    },
  };
}

/**
 * Options from the page's query string: `?fake=1` (lab: 3 hosts, 2,000 VMs), `?fake=problems` (plus one host in
 * each troubled state), `?fake=empty`; `&vms=5000` spreads that many VMs over the lab hosts; `&tick=2000` changes
 * a few VM states that often; `&latency=800` slows every answer.
 */
export function fakeOptionsFromQuery(search: string): FakeOptions {
  const q = new URLSearchParams(search);
  const mode = q.get('fake');
  const vms = Number(q.get('vms') ?? '');
  const tick = Number(q.get('tick') ?? '3000');
  const latency = Number(q.get('latency') ?? '250');
  return {
    scenario: mode === 'problems' || mode === 'empty' ? mode : 'lab',
    tickMs: Number.isFinite(tick) ? tick : 3000,
    latencyMs: Number.isFinite(latency) ? latency : 250,
    ...(Number.isInteger(vms) && vms > 0 ? { vmsPerHost: [Math.ceil(vms * 0.4), Math.ceil(vms * 0.35), Math.floor(vms * 0.25)] } : {}),
  };
}
