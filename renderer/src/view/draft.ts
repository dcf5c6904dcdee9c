/**
 * The add-host form: its fields as typed (strings), and their validation against the contract's hostDraftSchema
 * with one message per field, worded for a person.
 */
import { formatJumpHop, formatJumpText, parseJumpText } from '../../../shared/inventory/jump';
import type { HostAuth, HostDraft, JumpHop, NicRole } from '../../../shared/inventory/types';
import { hostDraftSchema } from '../../../shared/inventory/types';

export interface DraftFields {
  readonly name: string;
  readonly address: string;
  readonly port: string;
  readonly user: string;
  readonly authKind: 'agent' | 'key';
  readonly keyPath: string;
  /** NIC roles the admin set (edit host); empty: Ferry infers them all. */
  readonly nicRoles: Readonly<Record<string, NicRole>>;
  /** Jump hosts as ProxyJump writes them: `user@host:port`, comma-separated, first hop first; '' for none. */
  readonly jump: string;
}
export type DraftField = keyof DraftFields;
export type FieldErrors = Partial<Record<DraftField, string>>;

export const EMPTY_FIELDS: DraftFields = { name: '', address: '', port: '22', user: 'root', authKind: 'agent', keyPath: '', nicRoles: {}, jump: '' };

export function fieldsFromDraft(d: HostDraft): DraftFields {
  return {
    name: d.name,
    address: d.address,
    port: String(d.port),
    user: d.user,
    authKind: d.auth.kind,
    keyPath: d.auth.kind === 'key' ? d.auth.keyPath : '',
    nicRoles: d.nicRoles ?? {},
    jump: formatJumpText(d.jump),
  };
}

/**
 * Whether the fields reach the host another way than `original` (address, port, user or credentials): such an edit
 * must pass a connection test before it is saved; a new name or NIC role need not.
 */
export function connectionChanged(f: DraftFields, original: HostDraft): boolean {
  const o = fieldsFromDraft(original);
  return (
    f.address.trim() !== o.address ||
    f.port.trim() !== o.port ||
    f.user.trim() !== o.user ||
    f.authKind !== o.authKind ||
    (f.authKind === 'key' && f.keyPath.trim() !== o.keyPath) ||
    f.jump.trim() !== o.jump
  );
}

const PORT_MESSAGE = 'The port is a number from 1 to 65535.';

function fieldOf(path: readonly PropertyKey[]): DraftField | undefined {
  const [head, second] = path;
  if (head === 'auth') return second === 'keyPath' ? 'keyPath' : 'authKind';
  if (head === 'jump') return 'jump';
  if (head === 'name' || head === 'address' || head === 'port' || head === 'user') return head;
  return undefined;
}

export type DraftValidation = { ok: true; draft: HostDraft } | { ok: false; errors: FieldErrors };

/**
 * The hops of the jump field: a hop without `user@` takes the host's user, without `:port` port 22. A hop that
 * `known` holds (the ssh config resolved it, with its own key) keeps its credentials; any other uses the host's.
 */
function jumpHops(text: string, user: string, auth: HostAuth, known: readonly JumpHop[]): { ok: true; hops: JumpHop[] } | { ok: false; error: string } {
  const specs = parseJumpText(text);
  if (!specs.ok) return { ok: false, error: specs.error };
  const hops = specs.value.map((s) => {
    const hop = { address: s.host, port: s.port ?? 22, user: s.user ?? user.trim() };
    const same = known.find((k) => formatJumpHop(k).toLowerCase() === formatJumpHop(hop).toLowerCase());
    return { ...hop, auth: same?.auth ?? auth };
  });
  return { ok: true, hops };
}

/**
 * Validates the form. `takenNames` are the names of hosts already saved (a second "hvA" would be confusing in
 * every list); the comparison ignores case. `knownHops`: jump hosts whose own credentials are known (see jumpHops).
 */
export function validateDraft(f: DraftFields, takenNames: readonly string[] = [], knownHops: readonly JumpHop[] = []): DraftValidation {
  const errors: FieldErrors = {};
  const portText = f.port.trim();
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (Number.isNaN(port) || port < 1 || port > 65535) errors.port = PORT_MESSAGE;
  if (f.authKind === 'key' && f.keyPath.trim() === '') errors.keyPath = 'Give the path of the private key file on this machine.';

  const auth: HostAuth = f.authKind === 'agent' ? { kind: 'agent' } : { kind: 'key', keyPath: f.keyPath.trim() };
  const jump = jumpHops(f.jump, f.user, auth, knownHops);
  if (!jump.ok) errors.jump = jump.error;
  const candidate = {
    name: f.name,
    address: f.address,
    port: Number.isNaN(port) ? 0 : port,
    user: f.user,
    auth,
    ...(Object.keys(f.nicRoles).length > 0 ? { nicRoles: f.nicRoles } : {}),
    ...(jump.ok && jump.hops.length > 0 ? { jump: jump.hops } : {}),
  };
  const parsed = hostDraftSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = fieldOf(issue.path);
      if (field === undefined || errors[field] !== undefined) continue;
      errors[field] = field === 'port' ? PORT_MESSAGE : friendly(field, issue.message);
    }
  }
  const name = f.name.trim().toLowerCase();
  if (errors.name === undefined && name !== '' && takenNames.some((n) => n.toLowerCase() === name)) {
    errors.name = `A host named "${f.name.trim()}" is already in Ferry. Pick another name.`;
  }
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, draft: parsed.data };
}

/** zod's generic size messages ("Too big: expected string to have <=253 characters") reworded per field. */
function friendly(field: DraftField, message: string): string {
  if (!/^Too (big|small)/.test(message)) return message;
  switch (field) {
    case 'address':
      return 'An address is at most 253 characters.';
    case 'user':
      return 'A user name is at most 32 characters.';
    case 'keyPath':
      return 'Give the path of the private key file on this machine.';
    default:
      return message;
  }
}
