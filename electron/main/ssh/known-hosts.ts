/**
 * OpenSSH known_hosts: parse, look up, verify, append. Follows sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" and OpenSSH's
 * hostfile.c:
 * - a line is `[@marker] hostpatterns keytype base64-key [comment]`; blank lines and `#` comments are skipped;
 * - hostpatterns is a comma list of names with `*`/`?` wildcards and `!` negation, compared case-insensitively, or one
 *   hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` (what `ssh-keygen -H` and HashKnownHosts write);
 * - the name looked up is `host` for port 22 and `[host]:port` for any other port;
 * - `@revoked` marks a key that must never be accepted for the matching hosts; `@cert-authority` lines name a CA for
 *   host certificates: they never match a plain host key, and ssh2 cannot verify host certificates, so a host the
 *   file vouches for only through a CA line (no plain key of the presented type) is "cert-authority": unsupported,
 *   never "unknown", which would offer to trust the host's plain key on first use behind the CA's back;
 * - a key is "changed" when the file holds a key of the same type for the host and none equals the presented one.
 *   Keys of other types for the same host do not count (OpenSSH's rule); the pool prefers the known types when it
 *   negotiates, so a host that suddenly offers only another type shows up as "unknown" with `otherKeyTypes` set, and
 *   a UI should say so.
 * Bad lines are reported in `problems` and skipped, never fatal.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { nodeAtomicFileOps, writeFileAtomic } from '../atomic-file';

export type HostPatterns =
  | { readonly kind: 'patterns'; readonly patterns: readonly string[] }
  | { readonly kind: 'hashed'; readonly salt: Buffer; readonly hash: Buffer };

export interface KnownHostEntry {
  /** 1-based line number in the file, for messages ("see line 12 of ~/.ssh/known_hosts"). */
  readonly line: number;
  readonly marker: 'revoked' | 'cert-authority' | undefined;
  readonly hosts: HostPatterns;
  readonly keyType: string;
  readonly keyBlob: Buffer;
  readonly comment: string | undefined;
}

export interface KnownHostsProblem {
  readonly line: number;
  readonly reason: string;
}

export interface KnownHostsFile {
  readonly entries: readonly KnownHostEntry[];
  readonly problems: readonly KnownHostsProblem[];
}

export type HostKeyStatus =
  | { readonly status: 'match'; readonly line: number }
  | { readonly status: 'unknown'; readonly otherKeyTypes: readonly string[] }
  | { readonly status: 'changed'; readonly knownFingerprint: string; readonly line: number }
  | { readonly status: 'revoked'; readonly line: number }
  | { readonly status: 'cert-authority'; readonly line: number };

/** `SHA256:<base64 without padding>` of the public key blob, exactly as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first string), or undefined if the blob is malformed. */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const type = blob.toString('latin1', 4, 4 + len);
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** The name OpenSSH looks up and writes: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

const MARKERS: Record<string, KnownHostEntry['marker']> = { '@revoked': 'revoked', '@cert-authority': 'cert-authority' };
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text) || text.length % 4 === 1) return undefined;
  const buf = Buffer.from(text, 'base64');
  return buf.length > 0 ? buf : undefined;
}

function parseHostField(field: string): HostPatterns | string {
  if (field.startsWith('|')) {
    const parts = field.split('|');
    if (parts.length !== 4 || parts[1] !== '1') return 'unsupported hashed host format (only |1| is known)';
    const salt = decodeBase64(parts[2] ?? '');
    const hash = decodeBase64(parts[3] ?? '');
    if (!salt || !hash || hash.length !== 20) return 'malformed hashed host';
    return { kind: 'hashed', salt, hash };
  }
  const patterns = field.split(',').filter((p) => p.length > 0);
  if (patterns.length === 0) return 'empty host list';
  return { kind: 'patterns', patterns: patterns.map((p) => p.toLowerCase()) };
}

export function parseKnownHosts(text: string): KnownHostsFile {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.replace(/\r$/, '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift() ?? '';
      if (!(m in MARKERS)) {
        problems.push({ line, reason: `unknown marker ${JSON.stringify(m.slice(0, 32))}` });
        return;
      }
      marker = MARKERS[m];
    }
    const [hostField, keyType, keyText, ...rest] = fields;
    if (hostField === undefined || keyType === undefined || keyText === undefined) {
      problems.push({ line, reason: 'expected "hosts keytype key"' });
      return;
    }
    if (/^\d+$/.test(keyType)) {
      problems.push({ line, reason: 'SSH-1 RSA key lines are not supported' });
      return;
    }
    const hosts = parseHostField(hostField);
    if (typeof hosts === 'string') {
      problems.push({ line, reason: hosts });
      return;
    }
    const keyBlob = decodeBase64(keyText);
    if (!keyBlob) {
      problems.push({ line, reason: 'key is not valid base64' });
      return;
    }
    const inner = keyTypeOfBlob(keyBlob);
    if (inner !== keyType) {
      problems.push({ line, reason: `key type ${JSON.stringify(keyType.slice(0, 40))} does not match the key (${inner ?? 'unreadable'})` });
      return;
    }
    entries.push({ line, marker, hosts, keyType, keyBlob, comment: rest.length > 0 ? rest.join(' ') : undefined });
  });
  return { entries, problems };
}

/** OpenSSH's match_pattern: `*` any run, `?` any one character; whole-string match. */
function globMatch(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Does this entry's host field name `host:port`? A negated pattern that matches wins over any positive one. */
export function entryMatchesHost(entry: Pick<KnownHostEntry, 'hosts'>, host: string, port: number): boolean {
  const name = hostLookupName(host, port);
  if (entry.hosts.kind === 'hashed') {
    const mac = createHmac('sha1', entry.hosts.salt).update(name).digest();
    return mac.length === entry.hosts.hash.length && timingSafeEqual(mac, entry.hosts.hash);
  }
  let positive = false;
  for (const pattern of entry.hosts.patterns) {
    if (pattern.startsWith('!')) {
      if (globMatch(name, pattern.slice(1))) return false;
    } else if (globMatch(name, pattern)) {
      positive = true;
    }
  }
  return positive;
}

/** Key types the file holds for a host (plain keys only), in file order: the pool prefers them when negotiating. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = new Set<string>();
  for (const e of entries) if (e.marker === undefined && entryMatchesHost(e, host, port)) types.add(e.keyType);
  return [...types];
}

export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyStatus {
  const forHost = entries.filter((e) => entryMatchesHost(e, host, port));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const plain = forHost.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.keyType === keyType && e.keyBlob.equals(keyBlob));
  if (same) return { status: 'match', line: same.line };
  const sameType = plain.find((e) => e.keyType === keyType);
  if (sameType) return { status: 'changed', knownFingerprint: fingerprintSha256(sameType.keyBlob), line: sameType.line };
  const ca = forHost.find((e) => e.marker === 'cert-authority');
  if (ca) return { status: 'cert-authority', line: ca.line };
  return { status: 'unknown', otherKeyTypes: [...new Set(plain.map((e) => e.keyType))] };
}

/**
 * Refuses what a known_hosts line cannot carry literally. In the host field whitespace or a newline would split the
 * line, a comma add a pattern, and `* ? ! [ ] | # @ \` have meanings of their own: written as is, a host of
 * "10.0.0.5\n* ssh-ed25519 KEY" would make one trusted key good for every host. The key type must be the one named in
 * the key (which is printable ASCII without spaces).
 */
export function checkKnownHostsEntry(host: string, keyType: string, keyBlob: Buffer): Result<void, FerryError> {
  if (host === '' || /[\s,*?!|#@[\]\\]|[\x00-\x1f\x7f]/.test(host)) {
    return err(ferryError('input.invalid', `${JSON.stringify(host.slice(0, 80))} is not a host name or address a known hosts file can record.`));
  }
  if (keyTypeOfBlob(keyBlob) !== keyType) return err(ferryError('input.invalid', 'The key to record is malformed or does not match its type.'));
  return ok(undefined);
}

export interface FormatOptions {
  /** Write the host name hashed, as `ssh-keygen -H` / HashKnownHosts do. */
  readonly hash?: boolean;
  /** Only for tests: a fixed 20-byte salt. */
  readonly salt?: Buffer;
  readonly comment?: string;
}

/** One known_hosts line (without newline) in OpenSSH's format. */
export function formatKnownHostsLine(host: string, port: number, keyType: string, keyBlob: Buffer, opts: FormatOptions = {}): string {
  const name = hostLookupName(host, port);
  let field = name;
  if (opts.hash === true) {
    const salt = opts.salt ?? randomBytes(20);
    field = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  const line = `${field} ${keyType} ${keyBlob.toString('base64')}`;
  return opts.comment === undefined ? line : `${line} ${opts.comment.replace(/[\r\n]/g, ' ')}`;
}

function ioError(action: string, path: string, e: unknown): FerryError {
  const code = (e as { code?: unknown }).code;
  return ferryError('ssh.known-hosts-io', `Could not ${action} the known hosts file ${path}${typeof code === 'string' ? ` (${code})` : ''}.`, e instanceof Error ? e.message : String(e));
}

export async function readKnownHostsFile(path: string): Promise<Result<KnownHostsFile, FerryError>> {
  try {
    return ok(parseKnownHosts(await readFile(path, 'utf8')));
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return ok({ entries: [], problems: [] });
    return err(ioError('read', path, e));
  }
}

const appendChains = new Map<string, Promise<unknown>>();

/**
 * Appends one line atomically: the whole new content goes to a temporary file in the same directory, which is
 * fsynced and renamed over the original (readers see the old file or the new one, never half a line). A symlinked
 * file is followed, so the link survives. Appends from this process are serialised per file; another process
 * writing the same file at the same instant can still lose its line (OpenSSH itself appends without locking).
 */
export function appendKnownHost(
  path: string,
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
  opts: FormatOptions = {},
): Promise<Result<void, FerryError>> {
  const valid = checkKnownHostsEntry(host, keyType, keyBlob);
  if (!valid.ok) return Promise.resolve(valid);
  const run = async (): Promise<Result<void, FerryError>> => {
    let target = path;
    let existing = '';
    let mode = 0o600;
    try {
      target = await realpath(path);
      existing = await readFile(target, 'utf8');
      mode = (await stat(target)).mode & 0o777;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ENOENT') return err(ioError('read', path, e));
      try {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      } catch (e2) {
        return err(ioError('create the folder of', path, e2));
      }
    }
    const sep = existing === '' || existing.endsWith('\n') ? '' : '\n';
    const content = `${existing}${sep}${formatKnownHostsLine(host, port, keyType, keyBlob, opts)}\n`;
    try {
      await writeFileAtomic(target, content, nodeAtomicFileOps, mode);
      return ok(undefined);
    } catch (e) {
      return err(ioError('write', path, e));
    }
  };
  const prev = appendChains.get(path) ?? Promise.resolve();
  const next = prev.then(run, run);
  appendChains.set(path, next);
  void next.finally(() => {
    if (appendChains.get(path) === next) appendChains.delete(path);
  });
  return next;
}

/** A verdict on a presented key and, when a line decided it, the file that line is in (for messages). */
export type HostKeyVerdict = HostKeyStatus & { readonly file?: string };

/** Where the pool reads host keys from and writes newly trusted ones to. */
export interface KnownHostsStore {
  /** A description for messages, e.g. the file path. */
  readonly name: string;
  load(): Promise<Result<KnownHostsFile, FerryError>>;
  append(host: string, port: number, keyType: string, keyBlob: Buffer): Promise<Result<void, FerryError>>;
  /**
   * Optional: judges a presented key itself. A store made of several files needs this (a key that one file records
   * and another contradicts must be refused, which one merged entry list cannot express). Without it the pool runs
   * checkHostKey over load().
   */
  check?(host: string, port: number, keyType: string, keyBlob: Buffer): Promise<Result<HostKeyVerdict, FerryError>>;
}

export function fileKnownHostsStore(path: string, opts: { readonly hash?: boolean } = {}): KnownHostsStore {
  return {
    name: path,
    load: () => readKnownHostsFile(path),
    append: (host, port, keyType, keyBlob) => appendKnownHost(path, host, port, keyType, keyBlob, opts.hash === undefined ? {} : { hash: opts.hash }),
  };
}

/** An in-memory store (tests, or a session-only trust list). `text()` shows what a file would hold. */
export function memoryKnownHostsStore(initial = ''): KnownHostsStore & { text(): string } {
  let text = initial;
  return {
    name: 'memory',
    load: () => Promise.resolve(ok(parseKnownHosts(text))),
    append: (host, port, keyType, keyBlob) => {
      const valid = checkKnownHostsEntry(host, keyType, keyBlob);
      if (!valid.ok) return Promise.resolve(valid);
      const sep = text === '' || text.endsWith('\n') ? '' : '\n';
      text = `${text}${sep}${formatKnownHostsLine(host, port, keyType, keyBlob)}\n`;
      return Promise.resolve(ok(undefined));
    },
    text: () => text,
  };
}
