/**
 * Proposes hosts from an OpenSSH client config (default `~/.ssh/config`), parsed and evaluated by the ssh-config
 * library (Host/Match blocks, first value wins, as ssh does). Nothing is saved: the dialog shows the candidates.
 *
 * - One candidate per concrete Host alias; wildcard (`*`, `?`) and negated patterns are skipped, and aliases that
 *   end up at the same user@address:port are merged into one candidate (the others named in its warnings).
 * - HostName, Port, User, IdentityFile (`~`, `%d`, `%u`, `%h`, `%r`, `%%` expanded; only the first one is used).
 *   Without IdentityFile: the SSH agent when there is one, else the first default key that exists.
 * - ProxyJump is followed as ssh does (`a,b` chains, `user@host:port`, `ProxyJump none`): each hop is looked up in
 *   the config like a host of its own (its HostName, User, Port, IdentityFile), an explicit user or port in the
 *   ProxyJump text winning; the first hop's own ProxyJump is followed too (ssh reaches it with a nested ssh). The
 *   candidate carries the chain in `jump`.
 * - ProxyCommand is never run: such a candidate says so, and says which ProxyJump would do the same when the command
 *   is the usual `ssh -W %h:%p bastion`.
 * - `Include` (which the library does not follow) is expanded here at the top level: `~` and paths relative to
 *   ~/.ssh, `*`/`?` in the file name, files in lexical order, 16 levels at most, as ssh does. An Include inside a
 *   Host or Match block is not followed; the candidates of that block say so.
 * - `Match exec` is never run (matchExec: false), and CanonicalizeHostName is ignored (the library would run
 *   nslookup): evaluating a config must not execute anything.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import SSHConfig, { type Line, type Section } from 'ssh-config';
import { parseJumpText } from '../../../shared/inventory/jump';
import { hostDraftSchema, jumpHopSchema, MAX_JUMP_HOPS, type HostAuth, type HostDraft, type JumpHop, type SshConfigCandidate } from '../../../shared/inventory/types';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { expandHome } from './credentials';
import { recordKey } from './target';

export interface SshConfigReadOptions {
  readonly path: string;
  readonly homeDir: string;
  /** The local user name: ssh's default remote user. */
  readonly localUser: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readText?: (path: string) => Promise<string>;
  readonly listDir?: (path: string) => Promise<string[]>;
  readonly exists?: (path: string) => Promise<boolean>;
}

const DIRECTIVE = 1; // SSHConfig.DIRECTIVE, without importing the value for a type test
const MAX_INCLUDE_DEPTH = 16;
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

const isDirective = (l: Line): l is Section => l.type === DIRECTIVE && 'param' in l;
const isSection = (l: Line): l is Section => isDirective(l) && 'config' in l;

function values(v: Section['value']): string[] {
  return typeof v === 'string' ? v.split(/\s+/).filter((x) => x !== '') : v.map((x) => x.val);
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

interface Expansion {
  readonly lines: Line[];
  /** Include lines inside Host/Match blocks, by the block's first value. */
  readonly nestedIncludes: Set<Section>;
}

async function expandIncludes(text: string, o: SshConfigReadOptions, depth: number, warnings: string[]): Promise<Expansion> {
  const parsed = SSHConfig.parse(text);
  const out: Line[] = [];
  const nestedIncludes = new Set<Section>();
  const readText = o.readText ?? ((p: string) => readFile(p, 'utf8'));
  const listDir = o.listDir ?? ((p: string) => readdir(p));
  for (const line of parsed) {
    if (isSection(line)) {
      if (line.config.some((l) => isDirective(l) && /^include$/i.test(l.param))) nestedIncludes.add(line);
      out.push(line);
      continue;
    }
    if (!isDirective(line) || !/^include$/i.test(line.param)) {
      out.push(line);
      continue;
    }
    if (depth >= MAX_INCLUDE_DEPTH) {
      warnings.push(`Include nested more than ${MAX_INCLUDE_DEPTH} levels deep was not followed.`);
      continue;
    }
    for (const pattern of values(line.value)) {
      const full = expandHome(pattern.startsWith('~') || pattern.startsWith('/') ? pattern : join('.ssh', pattern), o.homeDir);
      let files: string[];
      if (/[*?]/.test(basename(full)) && !/[*?]/.test(dirname(full))) {
        const re = globToRegExp(basename(full));
        files = (await listDir(dirname(full)).catch(() => [] as string[]))
          .filter((n) => re.test(n) && !n.startsWith('.'))
          .sort()
          .map((n) => join(dirname(full), n));
      } else if (/[*?]/.test(full)) {
        warnings.push(`Include ${pattern}: wildcards in folder names are not followed.`);
        continue;
      } else {
        files = [full];
      }
      for (const f of files) {
        let inner: string;
        try {
          inner = await readText(f);
        } catch {
          continue; // ssh ignores an Include that matches nothing readable
        }
        const sub = await expandIncludes(inner, o, depth + 1, warnings);
        out.push(...sub.lines);
        for (const s of sub.nestedIncludes) nestedIncludes.add(s);
      }
    }
  }
  return { lines: out, nestedIncludes };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** ssh_config TOKENS for IdentityFile / HostName: %% %d %u %h %r. Undefined when another token is used. */
function expandTokens(s: string, t: { home: string; localUser: string; host: string; remoteUser: string }): string | undefined {
  let bad = false;
  const out = s.replace(/%(.)/g, (_m, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'd':
        return t.home;
      case 'u':
        return t.localUser;
      case 'h':
        return t.host;
      case 'r':
        return t.remoteUser;
      default:
        bad = true;
        return '';
    }
  });
  return bad ? undefined : out;
}

type Computed = Record<string, string | string[]>;
type Tokens = { home: string; localUser: string; host: string; remoteUser: string };

/** IdentityFile, else IdentityAgent / SSH_AUTH_SOCK, else the first default key that exists (ssh's order). */
async function authOf(c: Computed, tokens: Tokens, o: SshConfigReadOptions, exists: (p: string) => Promise<boolean>, warnings: string[]): Promise<HostAuth> {
  const identityFiles = (c['identityfile'] === undefined ? [] : ([] as string[]).concat(c['identityfile'])).filter((f) => f.toLowerCase() !== 'none');
let auth: HostAuth | undefined;
  if (identityFiles.length > 0) {
    const f = expandTokens(identityFiles[0] ?? '', tokens);
    if (f !== undefined) auth = { kind: 'key', keyPath: expandHome(f, o.homeDir) };
    else warnings.push(`IdentityFile ${identityFiles[0] ?? ''} uses a token Ferry does not expand; choose the key by hand.`);
    if (identityFiles.length > 1) warnings.push(`Several IdentityFile lines: Ferry uses the first (${f === undefined ? (identityFiles[0] ?? '') : expandHome(f, o.homeDir)}).`);
  }
  if (!auth) {
    const agentSetting = first(c['identityagent']);
    const agent = agentSetting === undefined || agentSetting === 'SSH_AUTH_SOCK' ? o.env['SSH_AUTH_SOCK'] : agentSetting.toLowerCase() === 'none' ? undefined : agentSetting;
    if (agent !== undefined && agent !== '') {
      const socketPath = expandTokens(agent, tokens);
      auth = socketPath === undefined || agentSetting === undefined || agentSetting === 'SSH_AUTH_SOCK' ? { kind: 'agent' } : { kind: 'agent', socketPath: expandHome(socketPath, o.homeDir) };
    } else {
      for (const k of DEFAULT_KEYS) {
        const p = join(o.homeDir, '.ssh', k);
        if (await exists(p)) {
          auth = { kind: 'key', keyPath: p };
          warnings.push(`No IdentityFile and no SSH agent: Ferry will use ${p}, the first default key that exists.`);
          break;
        }
      }
    }
  }
  if (!auth) {
    auth = { kind: 'agent' };
    warnings.push('No IdentityFile, no default key and no SSH agent: choose a key before adding this host.');
  }
  return auth;
}

function proxyJumpOf(c: Computed): string | undefined {
  const v = first(c['proxyjump']);
  return v === undefined || v.toLowerCase() === 'none' ? undefined : v;
}

function proxyCommandOf(c: Computed): string | undefined {
  const v = first(c['proxycommand']);
  return v === undefined || v.toLowerCase() === 'none' ? undefined : v;
}

function proxyCommandWarning(command: string, where: string): string {
  const w = /^ssh\s+(?:-W\s+%h:%p\s+(\S+)|(\S+)\s+-W\s+%h:%p)\s*$/.exec(command.trim());
  const bastion = w?.[1] ?? w?.[2];
  const hint = bastion === undefined ? '' : ` This command is what "ProxyJump ${bastion}" does: write that instead, or give ${bastion} as the jump host.`;
  return `ProxyCommand is never run by Ferry: as written, it would connect directly to ${where}.${hint}`;
}

/**
 * The hops of a ProxyJump value, each looked up in the config as ssh does; the first hop's own ProxyJump before it.
 * What cannot be followed is a warning and no chain (the candidate then says it would connect directly).
 */
async function chainOf(config: SSHConfig, value: string, o: SshConfigReadOptions, exists: (p: string) => Promise<boolean>, warnings: string[], depth: number): Promise<JumpHop[]> {
  const specs = parseJumpText(value);
  if (!specs.ok) {
    warnings.push(`ProxyJump ${value} cannot be followed (${specs.error}); Ferry would connect directly.`);
    return [];
  }
  const hops: JumpHop[] = [];
  for (const [i, spec] of specs.value.entries()) {
    const c = config.compute(spec.host, { ignoreCase: true, matchExec: false });
    const address = expandTokens(first(c['hostname']) ?? spec.host, { home: o.homeDir, localUser: o.localUser, host: spec.host, remoteUser: '' }) ?? spec.host;
    const port = spec.port ?? Number(first(c['port']) ?? '22');
    const user = spec.user ?? first(c['user']) ?? o.localUser;
    const hopWarnings: string[] = [];
    const auth = await authOf(c, { home: o.homeDir, localUser: o.localUser, host: address, remoteUser: user }, o, exists, hopWarnings);
    warnings.push(...hopWarnings.map((w) => `Jump host ${spec.host}: ${w}`));
    if (i === 0) {
      const own = proxyJumpOf(c);
      if (own !== undefined) {
        if (depth >= MAX_JUMP_HOPS) {
          warnings.push(`ProxyJump ${value} loops or nests too deep; Ferry would connect directly.`);
          return [];
        }
        const before = await chainOf(config, own, o, exists, warnings, depth + 1);
        if (before.length === 0) return [];
        hops.push(...before);
      } else {
        const command = proxyCommandOf(c);
        if (command !== undefined) warnings.push(`Jump host ${spec.host}: ${proxyCommandWarning(command, `${address}:${port}`)}`);
      }
    }
    const hop = jumpHopSchema.safeParse({ address, port, user, auth });
    if (!hop.success) {
      warnings.push(`Jump host ${spec.host} (${user}@${address}:${String(port)}) is not a host Ferry can connect to; Ferry would connect directly.`);
      return [];
    }
    hops.push(hop.data);
  }
  if (hops.length > MAX_JUMP_HOPS) {
    warnings.push(`ProxyJump ${value} has more than ${MAX_JUMP_HOPS} hops; Ferry would connect directly.`);
    return [];
  }
  return hops;
}

export async function readSshConfig(o: SshConfigReadOptions): Promise<Result<{ path: string; candidates: SshConfigCandidate[] }, FerryError>> {
  const readText = o.readText ?? ((p: string) => readFile(p, 'utf8'));
  const exists = o.exists ?? ((p: string) => readFile(p).then(() => true, () => false));
  let text: string;
  try {
    text = await readText(o.path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return err(
      ferryError(
        'ssh-config.unreadable',
        code === 'ENOENT' ? `There is no SSH client config at ${o.path}.` : `Ferry cannot read the SSH client config ${o.path}.`,
        e instanceof Error ? e.message : String(e),
      ),
    );
  }
  const globalWarnings: string[] = [];
  let expansion: Expansion;
  try {
    expansion = await expandIncludes(text, o, 0, globalWarnings);
  } catch (e) {
    return err(ferryError('ssh-config.unreadable', `${o.path} is not an SSH client config Ferry can read.`, e instanceof Error ? e.message : String(e)));
  }
  const config = SSHConfig.parse('');
  let canonicalize = false;
  for (const line of expansion.lines) {
    if (isSection(line)) {
      const kept = line.config.filter((l) => !(isDirective(l) && /^canonicalizehostname$/i.test(l.param)));
      if (kept.length !== line.config.length) canonicalize = true;
      line.config.splice(0, line.config.length, ...kept);
    } else if (isDirective(line) && /^canonicalizehostname$/i.test(line.param)) {
      canonicalize = true;
      continue;
    }
    config.push(line);
  }
  if (canonicalize) globalWarnings.push('CanonicalizeHostName is ignored: Ferry uses the names as written.');

  const aliases: { alias: string; section: Section }[] = [];
  for (const line of config) {
    if (!isSection(line) || !/^host$/i.test(line.param)) continue;
    for (const p of values(line.value)) {
      if (/[*?]/.test(p) || p.startsWith('!')) continue;
      if (!aliases.some((a) => a.alias === p)) aliases.push({ alias: p, section: line });
    }
  }

  const byTarget = new Map<string, SshConfigCandidate>();
  const candidates: SshConfigCandidate[] = [];
  for (const { alias, section } of aliases) {
    const c = config.compute(alias, { ignoreCase: true, matchExec: false });
    const warnings = [...globalWarnings];
    if (expansion.nestedIncludes.has(section)) warnings.push('An Include inside this Host block was not followed.');
    const hostName = expandTokens(first(c['hostname']) ?? alias, { home: o.homeDir, localUser: o.localUser, host: alias, remoteUser: '' }) ?? alias;
    const portText = first(c['port']) ?? '22';
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) continue;
    const user = first(c['user']) ?? o.localUser;
    const proxyJump = proxyJumpOf(c);
    const proxyCommand = proxyCommandOf(c);
    if (proxyCommand !== undefined && proxyJump === undefined) warnings.push(proxyCommandWarning(proxyCommand, `${hostName}:${port}`));
    const tokens = { home: o.homeDir, localUser: o.localUser, host: hostName, remoteUser: user };
    const auth = await authOf(c, tokens, o, exists, warnings);
    const jump = proxyJump === undefined ? [] : await chainOf(config, proxyJump, o, exists, warnings, 0);
    const draft = hostDraftSchema.safeParse({ name: alias.slice(0, 64), address: hostName, port, user, auth, ...(jump.length > 0 ? { jump } : {}) });
    if (!draft.success) continue;
    const d: HostDraft = draft.data;
    const key = recordKey(d);
    const same = byTarget.get(key);
    if (same) {
      same.warnings.push(`Also named ${alias} in the config.`);
      continue;
    }
    const candidate: SshConfigCandidate = { alias, draft: d, warnings };
    byTarget.set(key, candidate);
    candidates.push(candidate);
  }
  return ok({ path: o.path, candidates });
}
