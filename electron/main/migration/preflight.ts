/**
 * Pre-flight checks before a migration: all at once, each with its own timeout; one failing (or hanging) check never
 * hides the others. Each result says pass / warn / fail / skipped, with the facts in a sentence, what to do and
 * where (fix), and the raw evidence (detail).
 *
 * Side effects come in as parameters (`exec` runs an argv on a host, e.g. SshPool.exec; `now` is the clock), so
 * this runs in plain Node tests. Facts several checks need (the domain's XML from the source, each host's
 * qemu.conf) are fetched once and shared.
 */
import { setMaxListeners } from 'node:events';
import type { Result } from '../../../shared/result';
import { ferryError, type FerryError } from '../../../shared/errors';
import { stdoutThenStderr, virshDominfo, virshVersion, ipLink, ipRouteGet, type Command } from '../../../shared/commands';
import {
  dumpxmlMigratable,
  hypervisorCpuCompare,
  nodeMemStats,
  pathProbe,
  portProbe,
  qemuConf,
  rdmaProbe,
  readCertificate,
  remoteVirshVersion,
  type CommandWithInput,
  type PreflightCheckId,
  type PreflightRemedy,
  type PreflightResult,
  type PreflightStatus,
} from '../../../shared/commands/preflight';
import { destinationUri } from '../../../shared/commands/migrate';
import { parseMigrateUri, type MigrationOptions } from '../../../shared/migration/options';
import { migrationTlsDir, type PathState, type PortProbe, type QemuDriverConfig } from '../../../shared/parsers/preflight-probes';
import type { DumpedDomain } from '../../../shared/parsers/virsh-dumpxml';
import type { NamedVersion } from '../../../shared/parsers/virsh-host';
import { withEnv, type RunOutput } from '../remote/run-command';
import type { SshTarget } from '../ssh/errors';
import { examineTlsCertificates } from './preflight-tls';
import { portRanges } from '../../../shared/network/path-analysis';
import { measurePath, pathDetail, pathSentence } from './preflight-path';
import { compareVersions } from '../../../shared/versions';
import { shLine } from '../../../shared/shell/quote';

// ---- API ----------------------------------------------------------------------------------------------------------

export type { PreflightCheckId, PreflightResult, PreflightStatus } from '../../../shared/commands/preflight';

/** Pre-flight's checks that concern moving memory: nothing to check for an offline migration (definition only). */
const MEMORY_TRANSFER_CHECKS: ReadonlySet<PreflightCheckId> = new Set(['memory', 'ports', 'mtu', 'tls', 'rdma']);

export interface PreflightHost {
  /** How Ferry reaches the host over SSH. */
  readonly target: SshTarget;
  /** Its name (hvB): what libvirt puts in the migration URI, what a certificate should carry. */
  readonly name: string;
  /** Its IP address as the other host reaches it. */
  readonly address: string;
}

/** The options pre-flight looks at; a MigrationOptions value fits as it is. */
export type PreflightOptions = Pick<
  MigrationOptions,
  'p2p' | 'tunnelled' | 'tls' | 'tlsDestination' | 'rdmaPinAll' | 'migrateUri' | 'copyStorageAll' | 'copyStorageInc' | 'dname' | 'live' | 'offline' | 'persistent'
>;

export interface PreflightInput {
  readonly vm: string;
  readonly source: PreflightHost;
  readonly destination: PreflightHost;
  /** User in the qemu+ssh URI the source's libvirtd uses (default: the destination's SSH user). */
  readonly destinationUser?: string;
  readonly options: PreflightOptions;
}

export interface PreflightExecOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly stdin?: string;
}

export interface PreflightDeps {
  /** Runs an argv on a host (SshPool.exec fits). A non-zero exit is an answer, not an error. */
  readonly exec: (target: SshTarget, argv: readonly string[], options: PreflightExecOptions) => Promise<Result<RunOutput, FerryError>>;
  /** Wall clock in ms (certificate validity). Default Date.now. */
  readonly now?: () => number;
  /** Budget per check, ms. Default 20 s. */
  readonly checkTimeoutMs?: number;
}

export const CHECK_TITLES: Readonly<Record<PreflightCheckId, string>> = {
  state: 'VM state on the source',
  p2p: "Source reaches the destination's libvirt",
  versions: 'libvirt and QEMU versions',
  cpu: 'CPU compatibility',
  name: 'Name on the destination',
  memory: 'Free memory on the destination',
  storage: 'Storage',
  ports: 'Migration ports',
  mtu: 'MTU of both ends',
  tls: 'TLS certificates',
  rdma: 'RDMA',
};

// ---- running ------------------------------------------------------------------------------------------------------

class CheckError extends Error {
  constructor(readonly error: FerryError) {
    super(error.message);
  }
}

type Verdict = Omit<PreflightResult, 'check' | 'title'>;

interface Ctx {
  readonly input: PreflightInput;
  readonly deps: PreflightDeps;
  readonly signal: AbortSignal;
  run<T>(host: PreflightHost, cmd: Command<T> | CommandWithInput<T>): Promise<T>;
  readonly domain: () => Promise<DumpedDomain>;
  readonly conf: (host: PreflightHost) => Promise<QemuDriverConfig>;
}

function unwrapBuild<T>(r: Result<T, FerryError>): T {
  if (!r.ok) throw new CheckError(r.error);
  return r.value;
}

function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}

async function execCommand<T>(deps: PreflightDeps, host: PreflightHost, cmd: Command<T> | CommandWithInput<T>, signal: AbortSignal): Promise<T> {
  const stdin = 'stdin' in cmd ? cmd.stdin : undefined;
  const out = await deps.exec(host.target, withEnv(cmd.env, cmd.argv), {
    timeoutMs: cmd.timeoutMs,
    signal,
    ...(stdin !== undefined ? { stdin } : {}),
  });
  if (!out.ok) throw new CheckError(out.error);
  const parsed = cmd.parse(stdoutThenStderr(out.value));
  if (!parsed.ok) throw new CheckError(parsed.error);
  return parsed.value;
}

/** Runs every check at once; resolves when all have an answer (at the latest after the per-check timeout). */
export async function runPreflight(input: PreflightInput, deps: PreflightDeps): Promise<PreflightResult[]> {
  const budget = deps.checkTimeoutMs ?? 20_000;
  const shared = new AbortController();
  // Every command of every check listens to it (~25 at once).
  setMaxListeners(100, shared.signal);
  const ctx: Ctx = {
    input,
    deps,
    signal: shared.signal,
    run: (host, cmd) => execCommand(deps, host, cmd, shared.signal),
    domain: once(() => execCommand(deps, input.source, unwrapBuild(dumpxmlMigratable(input.vm)), shared.signal)),
    conf: (() => {
      const src = once(() => execCommand(deps, input.source, qemuConf(), shared.signal));
      const dst = once(() => execCommand(deps, input.destination, qemuConf(), shared.signal));
      return (h: PreflightHost) => (h === input.source ? src() : dst());
    })(),
  };
  const offline = input.options.offline === true;
  const results = await Promise.all(
    (Object.keys(CHECKS) as PreflightCheckId[]).map((id) =>
      offline && MEMORY_TRANSFER_CHECKS.has(id)
        ? Promise.resolve<PreflightResult>({ check: id, title: CHECK_TITLES[id], status: 'skipped', message: 'An offline migration moves only the definition: no memory crosses the network.' })
        : runOne(id, CHECKS[id], ctx, budget),
    ),
  );
  shared.abort();
  return results;
}

async function runOne(id: PreflightCheckId, check: (c: Ctx) => Promise<Verdict>, ctx: Ctx, budget: number): Promise<PreflightResult> {
  const head = { check: id, title: CHECK_TITLES[id] };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Verdict>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'fail',
          message: `The check did not finish within ${budget >= 1000 ? `${Math.round(budget / 1000)} s` : `${budget} ms`}.`,
          fix: 'Check that both hosts answer over SSH and that libvirtd is responsive, then run the checks again.',
          // No answer is not a "no": an admin who knows better may start anyway.
          overridable: true,
        }),
      budget,
    );
  });
  try {
    const running = check(ctx);
    // A check that loses the race may still fail later: that rejection is expected, not unhandled.
    running.catch(() => undefined);
    const v = await Promise.race([running, timeout]);
    return { ...head, ...v };
  } catch (e) {
    const error = e instanceof CheckError ? e.error : ferryError('command.failed', e instanceof Error ? e.message : String(e));
    return {
      ...head,
      status: 'fail',
      message: `Could not check: ${error.message}`,
      ...(error.detail !== undefined ? { detail: error.detail } : {}),
      // A command that timed out says nothing certain; a refusal (libvirt's error, no such domain) does.
      ...(error.code === 'ssh.timeout' || error.code === 'command.timeout' ? { overridable: true } : {}),
    };
  } finally {
    clearTimeout(timer);
  }
}

// ---- helpers ------------------------------------------------------------------------------------------------------

interface VerdictExtra {
  fix?: string | undefined;
  detail?: string | undefined;
  /** Only for a failure that is not certain (see PreflightResult.overridable). */
  overridable?: boolean;
  remedy?: PreflightRemedy;
}

const verdict = (status: PreflightStatus, message: string, extra: VerdictExtra = {}): Verdict => ({
  status,
  message,
  ...(extra.fix !== undefined ? { fix: extra.fix } : {}),
  ...(extra.detail !== undefined ? { detail: extra.detail } : {}),
  ...(extra.overridable === true && status === 'fail' ? { overridable: true } : {}),
  ...(extra.remedy !== undefined ? { remedy: extra.remedy } : {}),
});

const mib = (kib: number): string => `${Math.round(kib / 1024).toLocaleString('en-US')} MiB`;


const showVersion = (v: NamedVersion | undefined): string => (v ? `${v.name} ${v.version}` : 'unknown');

function migrateUriHost(o: PreflightOptions): { scheme: 'tcp' | 'rdma'; host: string; port?: number } | undefined {
  return o.migrateUri === undefined ? undefined : parseMigrateUri(o.migrateUri);
}

const isIpv4 = (s: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(s);

// ---- the checks ---------------------------------------------------------------------------------------------------

/**
 * A live (or paused-copy) migration moves a domain that runs: libvirt refuses a shut-off one only after connecting
 * ("Requested operation is not valid: domain is not running"). A persistent stopped domain can move its definition
 * instead (--offline --persistent). Certain either way: never overridable.
 */
async function checkState(c: Ctx): Promise<Verdict> {
  const { source, vm } = { source: c.input.source, vm: c.input.vm };
  const o = c.input.options;
  let info;
  try {
    info = await c.run(source, virshDominfo(vm));
  } catch (e) {
    if (e instanceof CheckError && e.error.code === 'libvirt.no-domain') {
      return verdict('fail', `${source.name} has no domain named ${vm}: there is nothing to migrate.`, { fix: `Refresh the inventory; ${vm} may have been undefined or moved by someone else.`, detail: e.error.detail });
    }
    throw e;
  }
  const persistent = info.persistent === true;
  const runs = info.state === 'running' || info.state === 'paused' || info.state === 'idle';
  const state = info.state.replace('-', ' ');
  if (o.offline === true) {
    if (!persistent) {
      return verdict('fail', `${vm} is transient on ${source.name}: it has no definition for --offline to move.`, { fix: 'Migrate it live while it runs, or define it first (`virsh define`).' });
    }
    if (runs) {
      return verdict('warn', `${vm} is ${state} on ${source.name}: --offline moves only its definition, and the guest keeps running on ${source.name}.`, { fix: 'Shut the guest down first, or migrate it live.' });
    }
    return verdict('pass', `${vm} is ${state} and persistent on ${source.name}: its definition moves, no memory does.`);
  }
  if (runs) return verdict('pass', `${vm} is ${state} on ${source.name}.`);
  const said = 'libvirt refuses: "Requested operation is not valid: domain is not running"';
  if (persistent) {
    return verdict('fail', `${vm} is ${state} on ${source.name}: a live migration moves a running guest (${said}).`, {
      fix: `Start ${vm} first, or move its definition: --offline --persistent (no --live), which needs no running guest.`,
      remedy: 'offline',
    });
  }
  return verdict('fail', `${vm} is ${state} and transient on ${source.name}: there is nothing to migrate (${said}).`, { fix: `Start ${vm} on ${source.name} first.` });
}

async function checkP2p(c: Ctx): Promise<Verdict> {
  const { source, destination } = c.input;
  const user = c.input.destinationUser ?? destination.target.user;
  const port = destination.target.port;
  const uri = unwrapBuild(destinationUri(destination.address, user, port));
  const cmd = unwrapBuild(remoteVirshVersion(destination.address, user, port));
  try {
    const v = await c.run(source, cmd);
    return verdict('pass', `${source.name}'s libvirt connected to ${destination.name} over ${uri} (libvirt ${v.library.version} there).`);
  } catch (e) {
    if (!(e instanceof CheckError) || !e.error.code.startsWith('libvirt.')) throw e;
    const said = (e.error.detail ?? '').split('\n').filter((l) => l.trim() !== '').at(-1) ?? '';
    return verdict('fail', `${e.error.message} libvirt on ${source.name} said: "${said.replace(/^error: /, '')}"`, {
      fix: `On ${source.name}, as root: \`${shLine`virsh -c ${uri} version`}\` must work without a prompt: ${destination.name}'s host key in root's ~/.ssh/known_hosts, root's key in ${destination.name}'s authorized_keys, sshd and libvirtd running on ${destination.name}.`,
      detail: e.error.detail,
    });
  }
}

async function checkVersions(c: Ctx): Promise<Verdict> {
  const { source, destination } = c.input;
  const [s, d] = await Promise.all([c.run(source, virshVersion()), c.run(destination, virshVersion())]);
  const facts = `${source.name}: libvirt ${s.library.version}, ${showVersion(s.hypervisor)}; ${destination.name}: libvirt ${d.library.version}, ${showVersion(d.hypervisor)}.`;
  const older: string[] = [];
  if (compareVersions(d.library.version, s.library.version) < 0) older.push('libvirt');
  if (s.hypervisor && d.hypervisor && compareVersions(d.hypervisor.version, s.hypervisor.version) < 0) older.push('QEMU');
  if (older.length > 0) {
    return verdict('warn', `${facts} The destination's ${older.join(' and ')} is older than the source's: migrating to an older version is not guaranteed to work (machine types, device state).`, {
      fix: `Upgrade ${destination.name}, or keep the domain on a machine type both versions know.`,
    });
  }
  return verdict('pass', facts);
}

async function checkCpu(c: Ctx): Promise<Verdict> {
  const { destination } = c.input;
  const dom = await c.domain();
  const cmp = await c.run(destination, unwrapBuild(hypervisorCpuCompare(dom.definition, dom.xml)));
  const model = dom.definition.cpuModel ?? dom.definition.cpuMode ?? 'default';
  if (cmp.verdict === 'incompatible') {
    return verdict('fail', `${destination.name} cannot provide ${c.input.vm}'s CPU (${model}, ${dom.definition.virtType}): ${cmp.message}.`, {
      fix: `Give the domain a CPU model both hosts provide (e.g. a named model from \`virsh domcapabilities\` on ${destination.name}), or migrate to a host with the missing features.`,
      detail: cmp.message,
    });
  }
  return verdict('pass', `${destination.name} provides ${c.input.vm}'s CPU (${model}, ${dom.definition.virtType}): ${cmp.message.replace('/dev/stdin', "the domain's definition")}.`);
}

async function checkName(c: Ctx): Promise<Verdict> {
  const { destination } = c.input;
  const name = c.input.options.dname ?? c.input.vm;
  const dom = await c.domain();
  try {
    const info = await c.run(destination, virshDominfo(name));
    if (info.uuid.toLowerCase() !== dom.definition.uuid.toLowerCase()) {
      return verdict('fail', `${destination.name} already has a domain named ${name} with another UUID (${info.uuid}, ${info.state}); libvirt refuses: "domain '${name}' already exists with uuid ${info.uuid}".`, {
        fix: `Rename or undefine the other ${name} on ${destination.name}, or migrate under another name (--dname).`,
      });
    }
    if (info.state === 'shut-off') {
      return verdict('warn', `${destination.name} holds an inactive definition of ${name} with the same UUID; the migration will replace it with the running domain.`, {
        fix: `Nothing is required; undefine the stale copy on ${destination.name} if it is not wanted.`,
      });
    }
    return verdict('fail', `${name} is already ${info.state} on ${destination.name} (same UUID).`, {
      fix: `Check where the domain really runs; it cannot run on both hosts.`,
    });
  } catch (e) {
    if (e instanceof CheckError && e.error.code === 'libvirt.no-domain') {
      return verdict('pass', `No domain named ${name} on ${destination.name}.`);
    }
    throw e;
  }
}

async function checkMemory(c: Ctx): Promise<Verdict> {
  const { destination } = c.input;
  const [dom, mem] = await Promise.all([c.domain(), c.run(destination, nodeMemStats())]);
  const need = dom.definition.memoryKiB;
  const reclaimable = (mem.buffersKiB ?? 0) + (mem.cachedKiB ?? 0);
  const facts = `${c.input.vm} needs ${mib(need)}; ${destination.name} has ${mib(mem.freeKiB)} free (+${mib(reclaimable)} page cache) of ${mib(mem.totalKiB)}.`;
  if (need > mem.freeKiB + reclaimable) {
    return verdict('fail', `${facts} Not enough memory.`, { fix: `Free memory on ${destination.name} (stop or move guests), or choose another destination.` });
  }
  if (need > mem.freeKiB) {
    return verdict('warn', `${facts} The kernel must reclaim page cache to fit it.`, { fix: `Watch ${destination.name}'s memory; prefer a destination with more free memory.` });
  }
  return verdict('pass', facts);
}

async function checkStorage(c: Ctx): Promise<Verdict> {
  const { destination } = c.input;
  const o = c.input.options;
  const copy = o.copyStorageAll === true || o.copyStorageInc === true;
  const def = (await c.domain()).definition;
  const wanted: { path: string; what: string }[] = [];
  const notes: string[] = [];
  for (const d of def.disks) {
    const label = `${d.device} ${d.target ?? '?'}`;
    if (d.path === undefined) {
      if (d.kind === 'network') notes.push(`${label} is a network disk (${d.network ?? 'network'}), reached by the destination itself`);
      continue;
    }
    const copied = copy && d.device === 'disk' && !d.readonly && !d.shareable;
    if (copied) notes.push(`${label} (${d.path}) will be copied (${o.copyStorageAll ? '--copy-storage-all' : '--copy-storage-inc'})`);
    else wanted.push({ path: d.path, what: `${label}` });
  }
  if (def.kernel !== undefined) wanted.push({ path: def.kernel, what: 'kernel' });
  if (def.initrd !== undefined) wanted.push({ path: def.initrd, what: 'initrd' });
  const diskWord = def.disks.length === 0 ? 'no disks' : `${def.disks.length} disk(s)`;
  if (wanted.length === 0) return verdict('pass', `${c.input.vm} has ${diskWord}${notes.length ? `: ${notes.join('; ')}` : ''}.`);
  const states: PathState[] = await c.run(destination, unwrapBuild(pathProbe(wanted.map((w) => w.path))));
  const missing = wanted.filter((_, i) => states[i] === 'missing' || states[i] === 'unreadable');
  const facts = `${c.input.vm} has ${diskWord}; ${wanted.map((w) => `${w.what} ${w.path}`).join(', ')}`;
  if (missing.length > 0) {
    return verdict('fail', `${facts}: missing on ${destination.name}: ${missing.map((m) => `${m.what} ${m.path}`).join(', ')}.`, {
      fix: copy
        ? `Create these files on ${destination.name} (kernel/initrd and read-only images are not copied).`
        : `Mount the shared storage at the same path on ${destination.name}, or choose --copy-storage-all to copy the disks.`,
      detail: wanted.map((w, i) => `${w.path}: ${states[i] ?? '?'}`).join('\n'),
    });
  }
  return verdict('pass', `${facts}: all present on ${destination.name}${notes.length ? `; ${notes.join('; ')}` : ''}.`);
}

const LIBVIRT_PORTS = [16509, 16514] as const;

async function checkPorts(c: Ctx): Promise<Verdict> {
  const { source, destination } = c.input;
  const o = c.input.options;
  const conf = await c.conf(destination).catch((): QemuDriverConfig => ({}));
  const min = conf.migrationPortMin ?? 49152;
  const max = conf.migrationPortMax ?? 49215;
  const uri = migrateUriHost(o);
  const target = uri?.scheme === 'tcp' ? uri.host : destination.address;
  // The whole range (QEMU takes the next free port in it for each incoming migration), at most 126 of it, plus a
  // port named in the migrate URI; all probed at once from the source.
  const range = Array.from({ length: Math.max(0, Math.min(max, min + 125) - min + 1) }, (_, i) => min + i);
  const migration = [...new Set([...range, ...(uri?.port !== undefined ? [uri.port] : [])])];
  const probes = await c.run(source, unwrapBuild(portProbe(target, [...migration, ...LIBVIRT_PORTS])));
  const show = (ps: readonly PortProbe[]) => {
    const byState = new Map<string, number[]>();
    for (const p of ps) byState.set(p.state, [...(byState.get(p.state) ?? []), p.port]);
    return [...byState].map(([state, ports]) => `${portRanges(ports)} ${state}`).join('; ');
  };
  const mig = probes.filter((p) => !(LIBVIRT_PORTS as readonly number[]).includes(p.port));
  const lib = probes.filter((p) => (LIBVIRT_PORTS as readonly number[]).includes(p.port));
  const blocked = (p: PortProbe) => p.state === 'timeout' || p.state === 'unreachable' || p.state === 'error';
  const semantics =
    'Nothing listens on a migration port until QEMU opens it for a migration, so "refused" (the destination answered with a reset) means reachable and not filtered; a timeout means a firewall drops the packets.';
  const facts = `From ${source.name} to ${target}: migration ports (${min}-${max}) ${show(mig)}; libvirt TCP/TLS ${show(lib)}.`;
  const detail = probes.map((p) => `${p.port} ${p.state}${p.message ? ` (${p.message})` : ''}`).join('\n');
  const migBlocked = mig.filter(blocked);
  const fix = `Allow TCP ${min}-${max} from ${source.address} to ${target} in the firewalls between them (and on ${destination.name}).`;
  if (migBlocked.length > 0 && o.tunnelled !== true) {
    // Timeouts only: a 2-s probe that got no answer (a firewall, or a loaded host) is not a certain "no".
    const overridable = migBlocked.every((p) => p.state === 'timeout');
    return verdict(migBlocked.length === mig.length ? 'fail' : 'warn', `${facts} ${semantics}`, { fix, detail, overridable });
  }
  if (migBlocked.length > 0) {
    return verdict('warn', `${facts} With --tunnelled the data goes through libvirt's own connection, so these ports are not needed. ${semantics}`, { fix, detail });
  }
  if (lib.some(blocked)) {
    return verdict('warn', `${facts} 16509/16514 are only used by qemu+tcp:// and qemu+tls:// connections (Ferry connects over ssh). ${semantics}`, {
      fix: `Only if you use qemu+tcp/qemu+tls: allow TCP 16509/16514 to ${destination.name}.`,
      detail,
    });
  }
  return verdict('pass', `${facts} ${semantics}`, { detail });
}

async function checkMtu(c: Ctx): Promise<Verdict> {
  const { source, destination } = c.input;
  const uri = migrateUriHost(c.input.options);
  const towardDest = uri?.scheme === 'tcp' && isIpv4(uri.host) ? uri.host : destination.address;
  const side = async (host: PreflightHost, to: string) => {
    const route = await c.run(host, unwrapBuild(ipRouteGet(to)));
    const links = await c.run(host, unwrapBuild(ipLink(route.dev)));
    const link = links.find((l) => l.ifname === route.dev) ?? links[0];
    if (!link) throw new CheckError(ferryError('parse.missing-field', `ip link printed nothing for ${route.dev} on ${host.name}.`));
    return { dev: route.dev, mtu: link.mtu, pmtu: route.mtu, gateway: route.gateway, prefsrc: route.prefsrc };
  };
  // The ends' MTUs, and the path between them measured (DF probes, tracepath, the hop that clips it) at once.
  const [s, path] = await Promise.all([side(source, towardDest), measurePath({ source: c.input.source, destination: c.input.destination, exec: c.deps.exec, signal: c.signal, ...(c.deps.now ? { now: c.deps.now } : {}) }, towardDest)]);
  // The return path ends at the source's address on the network the data takes: with a migrate URI on a migration
  // network, the address the source's kernel sends from toward it (10.77.2.11 toward 10.77.2.12), not the
  // management address.
  const back = towardDest !== destination.address && s.prefsrc !== undefined && isIpv4(s.prefsrc) ? s.prefsrc : source.address;
  const d = await side(destination, back);
  const describe = (h: PreflightHost, x: typeof s, to: string) =>
    `${h.name} reaches ${to} through ${x.dev} (MTU ${x.mtu}${x.gateway ? `, via ${x.gateway}` : ''}${x.pmtu !== undefined ? `, cached path MTU ${x.pmtu}` : ''})`;
  const facts = `${describe(source, s, towardDest)}; ${describe(destination, d, back)}.`;
  const measured = pathSentence(path);
  const worst = path.flags[0];
  const detail = pathDetail(path);
  if (worst?.id === 'black-hole' && worst.severity === 'error') {
    // Inferred from lost probes, not seen: the admin may know the path (e.g. the data takes another route).
    return verdict('fail', `${facts} ${worst.facts}`, { fix: worst.fix, detail, overridable: true });
  }
  if (s.mtu !== d.mtu) {
    return verdict('warn', `${facts} The MTUs differ (${s.mtu} vs ${d.mtu}): packets of the larger size need the path to fragment or PMTU discovery to work, and a switch in between that drops them silently stalls the migration.${measured}`, {
      fix: `Use the same MTU on both ends (${Math.min(s.mtu, d.mtu)} unless every hop carries ${Math.max(s.mtu, d.mtu)}); ${path.flags.find((f) => f.id === 'path-mtu-drop')?.fix ?? 'the network path view locates the hop that clips it.'}`,
      detail,
    });
  }
  if (worst !== undefined && (worst.id === 'black-hole' || worst.id === 'path-mtu-drop')) {
    return verdict('warn', `${facts} ${worst.facts}`, { fix: worst.fix, detail });
  }
  return verdict('pass', `${facts} Both ends use MTU ${s.mtu}.${measured}`, detail !== undefined ? { detail } : {});
}

const SERVER_FILES = ['ca-cert.pem', 'server-cert.pem', 'server-key.pem'] as const;
const CLIENT_FILES = ['ca-cert.pem', 'client-cert.pem', 'client-key.pem'] as const;

async function checkTls(c: Ctx): Promise<Verdict> {
  const { source, destination } = c.input;
  const o = c.input.options;
  if (o.tls !== true) return verdict('skipped', 'TLS is not chosen for this migration.');
  const [srcConf, dstConf] = await Promise.all([c.conf(source), c.conf(destination)]);
  const srcDir = migrationTlsDir(srcConf);
  const dstDir = migrationTlsDir(dstConf);
  const files = (dir: string, names: readonly string[]) => [dir, ...names.map((n) => `${dir.replace(/\/$/, '')}/${n}`)];
  const [srcStates, dstStates] = await Promise.all([
    c.run(source, unwrapBuild(pathProbe(files(srcDir, CLIENT_FILES)))),
    c.run(destination, unwrapBuild(pathProbe(files(dstDir, SERVER_FILES)))),
  ]);
  const missing: string[] = [];
  const look = (host: PreflightHost, dir: string, conf: QemuDriverConfig, names: readonly string[], states: readonly PathState[]) => {
    const where = conf.migrateTlsX509CertDir !== undefined ? 'migrate_tls_x509_cert_dir' : conf.defaultTlsX509CertDir !== undefined ? 'default_tls_x509_cert_dir' : 'the default';
    if (states[0] !== 'directory') {
      missing.push(`${dir} (${where}) does not exist on ${host.name}`);
      return;
    }
    names.forEach((n, i) => {
      const st = states[i + 1];
      if (st !== 'present') missing.push(`${n} is ${st === 'unreadable' ? 'unreadable' : 'missing'} on ${host.name} (in ${dir})`);
    });
  };
  look(source, srcDir, srcConf, CLIENT_FILES, srcStates);
  look(destination, dstDir, dstConf, SERVER_FILES, dstStates);
  const dirs = `migrate_tls_x509_cert_dir: ${source.name} ${srcDir}, ${destination.name} ${dstDir}`;
  if (missing.length > 0) {
    return verdict('fail', `${missing.join('; ')}.`, {
      fix: `Put the CA certificate, ${destination.name}'s server certificate and key (${SERVER_FILES.join(', ')}) in ${dstDir} on ${destination.name}, and ${source.name}'s client certificate and key (${CLIENT_FILES.join(', ')}) in ${srcDir} on ${source.name}; the directory is migrate_tls_x509_cert_dir in /etc/libvirt/qemu.conf (default /etc/pki/qemu).`,
      detail: dirs,
    });
  }
  const cat = (h: PreflightHost, path: string) => c.run(h, unwrapBuild(readCertificate(path)));
  const [serverCert, destinationCa, sourceCa, clientCert] = await Promise.all([
    cat(destination, `${dstDir.replace(/\/$/, '')}/server-cert.pem`),
    cat(destination, `${dstDir.replace(/\/$/, '')}/ca-cert.pem`),
    cat(source, `${srcDir.replace(/\/$/, '')}/ca-cert.pem`),
    cat(source, `${srcDir.replace(/\/$/, '')}/client-cert.pem`),
  ]);
  const explicit = o.tlsDestination !== undefined;
  const found = examineTlsCertificates(
    {
      destinationHost: destination.name,
      sourceHost: source.name,
      serverCert,
      destinationCa,
      sourceCa,
      clientCert,
      expectedNames: explicit ? [o.tlsDestination ?? ''] : [destination.name, destination.address],
      explicitName: explicit,
    },
    (c.deps.now ?? Date.now)(),
  );
  if (found.problems.length > 0) {
    return verdict('fail', found.problems.join(' '), {
      fix: `Re-issue the certificates from one CA: ${destination.name}'s server certificate with subjectAltName DNS:${destination.name},IP:${destination.address}; copy that CA's ca-cert.pem to both hosts.`,
      detail: dirs,
    });
  }
  if (found.warnings.length > 0) {
    return verdict('warn', found.warnings.join(' '), { fix: `Add the missing name to the certificate's subjectAltName, or pass --tls-destination with a name it carries.`, detail: dirs });
  }
  return verdict('pass', `All TLS files present (${dirs}); ${found.facts.join('; ')}; issued by the CA both hosts trust.`);
}

async function checkRdma(c: Ctx): Promise<Verdict> {
  const { source, destination } = c.input;
  const o = c.input.options;
  const uri = migrateUriHost(o);
  if (o.rdmaPinAll !== true && uri?.scheme !== 'rdma') return verdict('skipped', 'RDMA is not chosen for this migration.');
  const [s, d, dom] = await Promise.all([c.run(source, rdmaProbe()), c.run(destination, rdmaProbe()), c.domain()]);
  const problems: string[] = [];
  for (const [host, r] of [
    [source, s],
    [destination, d],
  ] as const) {
    if (r.devices.length === 0) {
      const kernel =
        r.configInfiniband === false
          ? `; CONFIG_INFINIBAND is not set in its kernel ${r.kernel ?? ''}`.trimEnd()
          : r.configInfiniband === undefined
            ? '; its kernel config could not be read'
            : '';
      problems.push(`no RDMA device on ${host.name} (/sys/class/infiniband is empty or absent${kernel})`);
    }
  }
  if (uri?.scheme !== 'rdma') problems.push(`the migrate URI is ${o.migrateUri === undefined ? 'not set' : o.migrateUri}, not rdma://${destination.address}`);
  if (dom.definition.hardLimitKiB === undefined) {
    problems.push(`${c.input.vm} has no memory hard limit (<memtune><hard_limit>); libvirt refuses: "cannot start RDMA migration with no memory hard limit set"`);
  }
  if (problems.length > 0) {
    return verdict('fail', `RDMA cannot work: ${problems.join('; ')}.`, {
      fix: `RDMA needs an RDMA-capable NIC and driver on both hosts, --migrateuri rdma://<destination RDMA address>, and a hard limit on the domain (\`${shLine`virsh memtune --domain ${c.input.vm}`} --hard-limit <KiB> --config\`, above its memory plus QEMU's overhead).`,
      detail: [s, d].map((r, i) => `${i === 0 ? source.name : destination.name}: devices [${r.devices.join(' ')}], CONFIG_INFINIBAND ${r.configInfiniband === undefined ? 'unknown' : String(r.configInfiniband)} (${r.configSource ?? 'no config'})`).join('\n'),
    });
  }
  return verdict('pass', `RDMA devices on both hosts (${s.devices.join(', ')} / ${d.devices.join(', ')}), ${o.migrateUri ?? ''}, hard limit ${mib(dom.definition.hardLimitKiB ?? 0)}.`);
}

const CHECKS: Readonly<Record<PreflightCheckId, (c: Ctx) => Promise<Verdict>>> = {
  state: checkState,
  p2p: checkP2p,
  versions: checkVersions,
  cpu: checkCpu,
  name: checkName,
  memory: checkMemory,
  storage: checkStorage,
  ports: checkPorts,
  mtu: checkMtu,
  tls: checkTls,
  rdma: checkRdma,
};

/** Whether the results allow starting: no check failed. */
export function preflightPassed(results: readonly PreflightResult[]): boolean {
  return results.every((r) => r.status !== 'fail');
}

/** `exec` for PreflightDeps from anything shaped like SshPool.exec. */
export function preflightExec(pool: {
  exec(target: SshTarget, argv: readonly string[], opts: PreflightExecOptions): Promise<Result<RunOutput, FerryError>>;
}): PreflightDeps['exec'] {
  return (target, argv, options) => pool.exec(target, argv, options);
}

