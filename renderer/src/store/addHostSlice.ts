/**
 * The add-host flow (validate -> test -> trust a new key -> test again -> save) and the ~/.ssh/config import that
 * feeds candidates through the same flow one by one. Editing a saved host is the same flow on a filled form: a test
 * is needed before saving only when the address, port, user or key changed (a name or NIC role need not answer).
 */
import { hostsAdd, hostsTest, hostsTrustKey, hostsUpdate, sshConfigImport } from '../../../shared/ipc/contract';
import type { HostDraft, HostView, SshConfigCandidate } from '../../../shared/inventory/types';
import { connectionChanged, EMPTY_FIELDS, fieldsFromDraft, validateDraft, type DraftFields } from '../view/draft';
import { call } from './ports';
import type { AddHostDialog, DialogSlice, FerryState, ImportDialog, ImportQueue, SliceCreator, SetState } from './types';

type AddHostActions = Pick<
  DialogSlice,
  'openAddHost' | 'openEditHost' | 'editHostField' | 'setPassphrase' | 'testConnection' | 'trustPresentedKey' | 'saveHost' | 'skipCandidate'
>;
type ImportActions = Pick<DialogSlice, 'openImport' | 'setImportPath' | 'readSshConfig' | 'toggleCandidate' | 'importSelected'>;

/** Revisions are global so that an answer meant for a closed dialog never lands in a new one. */
let revCounter = 0;

function newAddHost(fields: DraftFields, from?: { queue: ImportQueue; candidate: SshConfigCandidate }): AddHostDialog {
  const base = { kind: 'add-host', rev: ++revCounter, fields, errors: {}, passphrase: '', askPassphrase: false, phase: 'editing' } as const;
  return from === undefined
    ? { ...base, source: 'manual', warnings: [] }
    : { ...base, source: 'ssh-config', warnings: from.candidate.warnings, queue: from.queue, ...(from.candidate.draft.jump ? { jumpHops: from.candidate.draft.jump } : {}) };
}

function fromQueue(queue: ImportQueue): AddHostDialog | null {
  const candidate = queue.candidates[queue.index];
  return candidate === undefined ? null : newAddHost(fieldsFromDraft(candidate.draft), { queue, candidate });
}

/** The dialog without its last answer (outcome, error): what an edit leaves. */
function clean(d: AddHostDialog): AddHostDialog {
  const { outcome: _o, error: _e, ...rest } = d;
  return rest;
}

/** Names of the other saved hosts (an edited host may keep its own). */
function takenNames(s: FerryState, exceptId?: string): string[] {
  return Object.values(s.inventory.hosts)
    .filter((h) => h.record.id !== exceptId)
    .map((h) => h.record.name);
}

/** Can this dialog save now? A new host, or an edit that reaches the host another way, only after a passing test. */
export function canSaveHost(d: AddHostDialog): boolean {
  if (d.outcome?.outcome === 'ok') return true;
  return d.edit !== undefined && d.outcome === undefined && !connectionChanged(d.fields, d.edit.original);
}

/** The draft to send for an edit: the saved credentials as they are (the agent socket, the key's encrypted flag) unless changed. */
function editedDraft(draft: HostDraft, d: AddHostDialog): HostDraft {
  const { nicRoles: _n, ...rest } = draft;
  const base = d.edit !== undefined && !connectionChanged(d.fields, d.edit.original) ? { ...rest, auth: d.edit.original.auth } : rest;
  // Sent even when empty, so clearing every role set earlier is saved too.
  return { ...base, nicRoles: draft.nicRoles ?? {} };
}

function addHostOf(s: FerryState): AddHostDialog | null {
  return s.dialog?.kind === 'add-host' ? s.dialog : null;
}

/** Updates the add-host dialog if it is still the one at revision `rev` (or any revision when omitted). */
function updateAddHost(set: SetState, f: (d: AddHostDialog) => AddHostDialog, rev?: number) {
  set((s) => {
    const d = addHostOf(s);
    return d === null || (rev !== undefined && d.rev !== rev) ? {} : { dialog: f(d) };
  });
}

function passphraseOf(d: AddHostDialog): { passphrase?: string } {
  return d.askPassphrase && d.passphrase !== '' ? { passphrase: d.passphrase } : {};
}

export const createAddHostActions: SliceCreator<AddHostActions> = (set, get, { api, now }) => ({
  openAddHost() {
    set(() => ({ dialog: newAddHost(EMPTY_FIELDS) }));
  },

  openEditHost(hostId) {
    const h = get().inventory.hosts[hostId];
    if (h === undefined) return;
    const { id: _i, addedAt: _a, source, ...draft } = h.record;
    set(() => ({ dialog: { ...newAddHost(fieldsFromDraft(draft)), source, edit: { hostId, original: h.record } } }));
  },

  editHostField(field, value) {
    updateAddHost(set, (d) => {
      const errors = { ...d.errors };
      delete errors[field];
      const fields = { ...d.fields, [field]: value };
      return { ...clean(d), rev: ++revCounter, fields, errors, askPassphrase: fields.authKind === 'key' && d.askPassphrase };
    });
  },

  setPassphrase(passphrase) {
    updateAddHost(set, (d) => {
      const { error: _e, ...rest } = d;
      return { ...rest, passphrase };
    });
  },

  async testConnection() {
    const d = addHostOf(get());
    if (d === null || d.phase !== 'editing') return;
    const v = validateDraft(d.fields, takenNames(get(), d.edit?.hostId), d.jumpHops);
    if (!v.ok) {
      updateAddHost(set, (x) => ({ ...clean(x), errors: v.errors }), d.rev);
      return;
    }
    updateAddHost(set, (x) => ({ ...clean(x), errors: {}, phase: 'testing' }), d.rev);
    const r = await call(api, hostsTest, { draft: v.draft, ...passphraseOf(d) });
    updateAddHost(
      set,
      (x) => {
        if (!r.ok) return { ...clean(x), phase: 'editing', error: r.error };
        const locked = r.value.outcome === 'passphrase-needed';
        const next: AddHostDialog = { ...clean(x), phase: 'editing', outcome: r.value, askPassphrase: x.askPassphrase || locked };
        return locked && x.passphrase !== ''
          ? { ...next, error: { code: 'ssh.auth-failed', message: 'That passphrase does not unlock the key. Type it again.' } }
          : next;
      },
      d.rev,
    );
  },

  async trustPresentedKey() {
    const d = addHostOf(get());
    if (d === null || d.phase !== 'editing' || d.outcome?.outcome !== 'host-key-unknown') return;
    const { key } = d.outcome;
    updateAddHost(set, (x) => ({ ...x, phase: 'trusting' }), d.rev);
    const r = await call(api, hostsTrustKey, { host: key.host, port: key.port, keyType: key.keyType, fingerprint: key.fingerprint });
    if (addHostOf(get())?.rev !== d.rev) return;
    if (!r.ok) {
      updateAddHost(set, (x) => ({ ...x, phase: 'editing', error: r.error }), d.rev);
      return;
    }
    updateAddHost(set, (x) => ({ ...x, phase: 'editing' }), d.rev);
    await get().testConnection();
  },

  async saveHost() {
    const d = addHostOf(get());
    if (d === null || d.phase !== 'editing' || !canSaveHost(d)) return;
    const v = validateDraft(d.fields, takenNames(get(), d.edit?.hostId), d.jumpHops);
    if (!v.ok) {
      updateAddHost(set, (x) => ({ ...clean(x), errors: v.errors }), d.rev);
      return;
    }
    updateAddHost(set, (x) => ({ ...x, phase: 'saving' }), d.rev);
    if (d.edit !== undefined) {
      const edited = await call(api, hostsUpdate, { id: d.edit.hostId, draft: editedDraft(v.draft, d) });
      if (addHostOf(get())?.rev !== d.rev) return;
      if (!edited.ok) {
        updateAddHost(set, (x) => ({ ...x, phase: 'editing', error: edited.error }), d.rev);
        return;
      }
      // The stream announces the new view (facts with the new roles, or a reconnect); the record shows at once.
      const record = edited.value;
      set((s) => {
        const known = s.inventory.hosts[record.id];
        return {
          ...(known === undefined ? {} : { inventory: { ...s.inventory, hosts: { ...s.inventory.hosts, [record.id]: { ...known, record } } } }),
          dialog: null,
        };
      });
      get().notify({ tone: 'info', message: `Saved the changes to ${record.name}.` });
      return;
    }
    if (d.outcome?.outcome !== 'ok') return;
    const facts = d.outcome.facts;
    const r = await call(api, hostsAdd, { draft: v.draft, source: d.source, ...passphraseOf(d) });
    if (addHostOf(get())?.rev !== d.rev) return;
    if (!r.ok) {
      updateAddHost(set, (x) => ({ ...x, phase: 'editing', error: r.error }), d.rev);
      return;
    }
    const record = r.value;
    set((s) => {
      // The stream announces the host too; until it does, show what the test found.
      const known = s.inventory.hosts[record.id];
      const view: HostView = known ?? { record, connection: { state: 'connecting', since: now().toISOString() }, facts };
      return {
        inventory: { ...s.inventory, hosts: { ...s.inventory.hosts, [record.id]: view } },
        ui: { ...s.ui, selectedHostId: record.id },
        dialog: d.queue === undefined ? null : fromQueue({ ...d.queue, index: d.queue.index + 1 }),
      };
    });
    get().notify({ tone: 'info', message: `Added ${record.name}.` });
  },

  skipCandidate() {
    const d = addHostOf(get());
    if (d === null) return;
    set(() => ({ dialog: d.queue === undefined ? null : fromQueue({ ...d.queue, index: d.queue.index + 1 }) }));
  },
});

function importOf(s: FerryState): ImportDialog | null {
  return s.dialog?.kind === 'import' ? s.dialog : null;
}
function updateImport(set: SetState, f: (d: ImportDialog) => ImportDialog) {
  set((s) => {
    const d = importOf(s);
    return d === null ? {} : { dialog: f(d) };
  });
}

export const createImportActions: SliceCreator<ImportActions> = (set, get, { api }) => ({
  openImport() {
    set(() => ({ dialog: { kind: 'import', path: '', phase: 'editing', selected: [] } }));
  },

  setImportPath(path) {
    updateImport(set, (d) => ({ ...d, path }));
  },

  async readSshConfig() {
    const d = importOf(get());
    if (d === null || d.phase === 'reading') return;
    const path = d.path.trim();
    updateImport(set, ({ error: _e, ...x }) => ({ ...x, phase: 'reading' }));
    const r = await call(api, sshConfigImport, path === '' ? {} : { path });
    const taken = new Set(takenNames(get()).map((n) => n.toLowerCase()));
    updateImport(set, (x) => {
      if (!r.ok) return { ...x, phase: x.result === undefined ? 'editing' : 'loaded', error: r.error };
      const selected = r.value.candidates.flatMap((c, i) => (taken.has(c.draft.name.toLowerCase()) ? [] : [i]));
      const { error: _e, ...rest } = x;
      return { ...rest, phase: 'loaded', result: r.value, selected };
    });
  },

  toggleCandidate(index) {
    updateImport(set, (d) => ({
      ...d,
      selected: d.selected.includes(index) ? d.selected.filter((i) => i !== index) : [...d.selected, index].sort((a, b) => a - b),
    }));
  },

  importSelected() {
    const d = importOf(get());
    if (d?.result === undefined) return;
    const candidates = d.selected.flatMap((i) => d.result?.candidates[i] ?? []);
    const next = fromQueue({ candidates, index: 0 });
    if (next !== null) set(() => ({ dialog: next }));
  },
});
