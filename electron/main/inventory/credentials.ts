/**
 * Turning a saved HostAuth into what the SSH pool needs, and keeping passphrases.
 *
 * - Passphrases of encrypted keys live in this object's memory only, per key file: never written, never logged,
 *   never returned to the renderer. One unlock serves every host that uses the key. A passphrase that stops
 *   working (the key file was re-encrypted) is forgotten.
 * - A key is checked here before any connection is attempted, so "needs a passphrase", "wrong passphrase" and
 *   "unreadable file" are told apart plainly instead of surfacing as a generic authentication failure. A key file
 *   others can read is refused as OpenSSH refuses it.
 */
import { isAbsolute, join } from 'node:path';
import ssh2 from 'ssh2';
import type { HostAuth } from '../../../shared/inventory/types';
import { KeyFileTooOpenError, readPrivateKeyFile } from '../ssh/key-file';
import type { SshAuth } from '../ssh/pool';

const { utils } = ssh2;

export type CredentialProblem =
  | { readonly state: 'passphrase-needed'; readonly reason: string }
  | { readonly state: 'auth-failed'; readonly reason: string; readonly detail?: string };

export type Resolved = { readonly ok: true; readonly auth: SshAuth; readonly encrypted: boolean } | { readonly ok: false; readonly problem: CredentialProblem };

export interface CredentialsOptions {
  readonly homeDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readKey?: (path: string) => Promise<Buffer>;
}

/** `~` and `~/x` are the home directory; a relative path is taken from the home directory too (as OpenSSH does). */
export function expandHome(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  if (path.startsWith('~/')) return join(homeDir, path.slice(2));
  return isAbsolute(path) ? path : join(homeDir, path);
}

const NEEDS_PASSPHRASE = /no passphrase given/i;
const BAD_PASSPHRASE = /bad passphrase|integrity check failed|Bad passphrase/i;

export class Credentials {
  private readonly passphrases = new Map<string, string>();
  /** Key files that parsed, with the passphrase that unlocked them (a copy of `passphrases`, never anything else). */
  private readonly verified = new Map<string, { readonly key: Buffer; readonly passphrase: string | undefined }>();
  private readonly readKey: (path: string) => Promise<Buffer>;

  constructor(private readonly opts: CredentialsOptions) {
    this.readKey = opts.readKey ?? ((p) => readPrivateKeyFile(p));
  }

  /** Is a passphrase held for this key file? (Never the passphrase itself.) */
  isUnlocked(keyPath: string): boolean {
    return this.passphrases.has(expandHome(keyPath, this.opts.homeDir));
  }

  forget(keyPath: string): void {
    const path = expandHome(keyPath, this.opts.homeDir);
    this.passphrases.delete(path);
    this.verified.delete(path);
  }

  /**
   * The pool credentials for `auth`. `passphrase`, when given, is tried for this call and, if it unlocks the key,
   * kept for later ones.
   */
  async resolve(auth: HostAuth, passphrase?: string): Promise<Resolved> {
    if (auth.kind === 'agent') {
      const socketPath = auth.socketPath ?? this.opts.env['SSH_AUTH_SOCK'];
      if (socketPath === undefined || socketPath === '') {
        return {
          ok: false,
          problem: { state: 'auth-failed', reason: 'No SSH agent is available to Ferry (SSH_AUTH_SOCK is not set). Start an agent with your key, or use a key file.' },
        };
      }
      return { ok: true, auth: { kind: 'agent', socketPath: expandHome(socketPath, this.opts.homeDir) }, encrypted: false };
    }
    const path = expandHome(auth.keyPath, this.opts.homeDir);
    let key: Buffer;
    try {
      key = await this.readKey(path);
    } catch (e) {
      if (e instanceof KeyFileTooOpenError) return { ok: false, problem: { state: 'auth-failed', reason: e.message } };
      const code = (e as { code?: unknown }).code;
      return {
        ok: false,
        problem: {
          state: 'auth-failed',
          reason: `Ferry cannot read the key file ${path}${typeof code === 'string' ? ` (${code})` : ''}.`,
          detail: e instanceof Error ? e.message : String(e),
        },
      };
    }
    // Unlocking an OpenSSH key runs bcrypt_pbkdf in JavaScript (~0.1-0.2 s): a key already checked, unchanged on
    // disk and with the same passphrase, is not checked again on every refresh.
    const known = this.verified.get(path);
    if (known && known.key.equals(key) && (passphrase === undefined || passphrase === known.passphrase)) {
      const remembered = known.passphrase;
      if (remembered === undefined) return { ok: true, auth: { kind: 'key', privateKey: key }, encrypted: false };
      if (this.passphrases.get(path) === remembered) return { ok: true, auth: { kind: 'key', privateKey: key, passphrase: remembered }, encrypted: true };
    }
    const plain = utils.parseKey(key);
    if (!(plain instanceof Error)) {
      this.verified.set(path, { key, passphrase: undefined });
      return { ok: true, auth: { kind: 'key', privateKey: key }, encrypted: false };
    }
    if (!NEEDS_PASSPHRASE.test(plain.message)) {
      return { ok: false, problem: { state: 'auth-failed', reason: `${path} is not a private key Ferry can use.`, detail: plain.message } };
    }
    const offered = passphrase ?? this.passphrases.get(path);
    if (offered === undefined) {
      return { ok: false, problem: { state: 'passphrase-needed', reason: `The key ${path} is encrypted: enter its passphrase to unlock it for this session.` } };
    }
    const unlocked = utils.parseKey(key, offered);
    if (unlocked instanceof Error) {
      if (passphrase === undefined) this.passphrases.delete(path);
      const wrong = BAD_PASSPHRASE.test(unlocked.message);
      return {
        ok: false,
        problem: {
          state: 'passphrase-needed',
          reason: wrong ? `That passphrase does not unlock ${path}.` : `${path} could not be unlocked with that passphrase.`,
        },
      };
    }
    this.passphrases.set(path, offered);
    this.verified.set(path, { key, passphrase: offered });
    return { ok: true, auth: { kind: 'key', privateKey: key, passphrase: offered }, encrypted: true };
  }
}
