/**
 * Pre-flight's rules: pure functions from what main gathered on the hosts (preflight-facts.ts) to each check's
 * result: pass / warn / fail / skipped, the facts in a sentence, what to do and where (fix), the raw evidence
 * (detail), whether an admin may start despite a failure (overridable) and a one-click change of options (remedy).
 * The network checks (ports, MTU, TLS) are in preflight-network-rules.ts.
 */
import type { FerryError } from '../errors';
import type { NamedVersion } from '../parsers/virsh-host';
import type { PreflightCheckId, PreflightResult } from '../commands/preflight';
import { compareVersions } from '../versions';
import { shLine } from '../shell/quote';
import { mib, verdict, type Verdict } from './preflight-verdict';
import { mtuRule, portsRule, tlsRule } from './preflight-network-rules';
import {
  MEMORY_TRANSFER_CHECKS,
  migrateUriHost,
  rdmaChosen,
  storagePlan,
  type CpuFacts,
  type MemoryFacts,
  type NameFacts,
  type P2pFacts,
  type PreflightFacts,
  type PreflightSetting,
  type RdmaFacts,
  type StateFacts,
  type StorageFacts,
  type VersionsFacts,
} from './preflight-facts';

export type { Verdict } from './preflight-verdict';

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

/** The result of a check that needs no host: skipped for an offline migration when it concerns moving memory. */
export function offlineSkip(id: PreflightCheckId, s: PreflightSetting): PreflightResult | undefined {
  if (s.options.offline !== true || !MEMORY_TRANSFER_CHECKS.has(id)) return undefined;
  return { check: id, title: CHECK_TITLES[id], status: 'skipped', message: 'An offline migration moves only the definition: no memory crosses the network.' };
}

/** A check that ran out of its budget. */
export function timedOut(budgetMs: number): Verdict {
  return {
    status: 'fail',
    message: `The check did not finish within ${budgetMs >= 1000 ? `${Math.round(budgetMs / 1000)} s` : `${budgetMs} ms`}.`,
    fix: 'Check that both hosts answer over SSH and that libvirtd is responsive, then run the checks again.',
    // No answer is not a "no": an admin who knows better may start anyway.
    overridable: true,
  };
}

/** A check whose facts could not be gathered. */
export function couldNotCheck(error: FerryError): Verdict {
  return {
    status: 'fail',
    message: `Could not check: ${error.message}`,
    ...(error.detail !== undefined ? { detail: error.detail } : {}),
    // A command that timed out says nothing certain; a refusal (libvirt's error, no such domain) does.
    ...(error.code === 'ssh.timeout' || error.code === 'command.timeout' ? { overridable: true } : {}),
  };
}

const showVersion = (v: NamedVersion | undefined): string => (v ? `${v.name} ${v.version}` : 'unknown');

/**
 * A live (or paused-copy) migration moves a domain that runs: libvirt refuses a shut-off one only after connecting
 * ("Requested operation is not valid: domain is not running"). A persistent stopped domain can move its definition
 * instead (--offline --persistent). Certain either way: never overridable.
 */
export function stateRule(s: PreflightSetting, f: StateFacts): Verdict {
  const { source, vm, options: o } = s;
  if (!f.found) {
    return verdict('fail', `${source.name} has no domain named ${vm}: there is nothing to migrate.`, { fix: `Refresh the inventory; ${vm} may have been undefined or moved by someone else.`, detail: f.detail });
  }
  const persistent = f.info.persistent === true;
  const runs = f.info.state === 'running' || f.info.state === 'paused' || f.info.state === 'idle';
  const state = f.info.state.replace('-', ' ');
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

export function p2pRule(s: PreflightSetting, f: P2pFacts): Verdict {
  const { source, destination } = s;
  if (f.reached.ok) {
    return verdict('pass', `${source.name}'s libvirt connected to ${destination.name} over ${f.uri} (libvirt ${f.reached.value.library.version} there).`);
  }
  const e = f.reached.error;
  const said = (e.detail ?? '').split('\n').filter((l) => l.trim() !== '').at(-1) ?? '';
  return verdict('fail', `${e.message} libvirt on ${source.name} said: "${said.replace(/^error: /, '')}"`, {
    fix: `On ${source.name}, as root: \`${shLine`virsh -c ${f.uri} version`}\` must work without a prompt: ${destination.name}'s host key in root's ~/.ssh/known_hosts, root's key in ${destination.name}'s authorized_keys, sshd and libvirtd running on ${destination.name}.`,
    detail: e.detail,
  });
}

export function versionsRule(s: PreflightSetting, f: VersionsFacts): Verdict {
  const { source, destination } = s;
  const { source: v, destination: d } = f;
  const facts = `${source.name}: libvirt ${v.library.version}, ${showVersion(v.hypervisor)}; ${destination.name}: libvirt ${d.library.version}, ${showVersion(d.hypervisor)}.`;
  const older: string[] = [];
  if (compareVersions(d.library.version, v.library.version) < 0) older.push('libvirt');
  if (v.hypervisor && d.hypervisor && compareVersions(d.hypervisor.version, v.hypervisor.version) < 0) older.push('QEMU');
  if (older.length > 0) {
    return verdict('warn', `${facts} The destination's ${older.join(' and ')} is older than the source's: migrating to an older version is not guaranteed to work (machine types, device state).`, {
      fix: `Upgrade ${destination.name}, or keep the domain on a machine type both versions know.`,
    });
  }
  return verdict('pass', facts);
}

export function cpuRule(s: PreflightSetting, f: CpuFacts): Verdict {
  const { destination, vm } = s;
  const { definition: def, comparison: cmp } = f;
  const model = def.cpuModel ?? def.cpuMode ?? 'default';
  if (cmp.verdict === 'incompatible') {
    return verdict('fail', `${destination.name} cannot provide ${vm}'s CPU (${model}, ${def.virtType}): ${cmp.message}.`, {
      fix: `Give the domain a CPU model both hosts provide (e.g. a named model from \`virsh domcapabilities\` on ${destination.name}), or migrate to a host with the missing features.`,
      detail: cmp.message,
    });
  }
  return verdict('pass', `${destination.name} provides ${vm}'s CPU (${model}, ${def.virtType}): ${cmp.message.replace('/dev/stdin', "the domain's definition")}.`);
}

export function nameRule(s: PreflightSetting, f: NameFacts): Verdict {
  const { destination } = s;
  const { name, existing: info } = f;
  if (info === undefined) return verdict('pass', `No domain named ${name} on ${destination.name}.`);
  if (info.uuid.toLowerCase() !== f.uuid.toLowerCase()) {
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
}

export function memoryRule(s: PreflightSetting, f: MemoryFacts): Verdict {
  const { destination } = s;
  const { needKiB: need, destination: mem } = f;
  const reclaimable = (mem.buffersKiB ?? 0) + (mem.cachedKiB ?? 0);
  const facts = `${s.vm} needs ${mib(need)}; ${destination.name} has ${mib(mem.freeKiB)} free (+${mib(reclaimable)} page cache) of ${mib(mem.totalKiB)}.`;
  if (need > mem.freeKiB + reclaimable) {
    return verdict('fail', `${facts} Not enough memory.`, { fix: `Free memory on ${destination.name} (stop or move guests), or choose another destination.` });
  }
  if (need > mem.freeKiB) {
    return verdict('warn', `${facts} The kernel must reclaim page cache to fit it.`, { fix: `Watch ${destination.name}'s memory; prefer a destination with more free memory.` });
  }
  return verdict('pass', facts);
}

export function storageRule(s: PreflightSetting, f: StorageFacts): Verdict {
  const { destination, options: o } = s;
  const copy = o.copyStorageAll === true || o.copyStorageInc === true;
  const { wanted, notes } = storagePlan(f.definition, o);
  const diskWord = f.definition.disks.length === 0 ? 'no disks' : `${f.definition.disks.length} disk(s)`;
  if (wanted.length === 0) return verdict('pass', `${s.vm} has ${diskWord}${notes.length ? `: ${notes.join('; ')}` : ''}.`);
  const states = f.states;
  const missing = wanted.filter((_, i) => states[i] === 'missing' || states[i] === 'unreadable');
  const facts = `${s.vm} has ${diskWord}; ${wanted.map((w) => `${w.what} ${w.path}`).join(', ')}`;
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

export function rdmaRule(s: PreflightSetting, f: RdmaFacts): Verdict {
  const { source, destination, options: o } = s;
  if (!f.chosen || !rdmaChosen(o)) return verdict('skipped', 'RDMA is not chosen for this migration.');
  const uri = migrateUriHost(o);
  const problems: string[] = [];
  for (const [host, r] of [
    [source, f.source],
    [destination, f.destination],
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
  if (f.hardLimitKiB === undefined) {
    problems.push(`${s.vm} has no memory hard limit (<memtune><hard_limit>); libvirt refuses: "cannot start RDMA migration with no memory hard limit set"`);
  }
  if (problems.length > 0) {
    return verdict('fail', `RDMA cannot work: ${problems.join('; ')}.`, {
      fix: `RDMA needs an RDMA-capable NIC and driver on both hosts, --migrateuri rdma://<destination RDMA address>, and a hard limit on the domain (\`${shLine`virsh memtune --domain ${s.vm}`} --hard-limit <KiB> --config\`, above its memory plus QEMU's overhead).`,
      detail: [f.source, f.destination]
        .map((r, i) => `${i === 0 ? source.name : destination.name}: devices [${r.devices.join(' ')}], CONFIG_INFINIBAND ${r.configInfiniband === undefined ? 'unknown' : String(r.configInfiniband)} (${r.configSource ?? 'no config'})`)
        .join('\n'),
    });
  }
  return verdict('pass', `RDMA devices on both hosts (${f.source.devices.join(', ')} / ${f.destination.devices.join(', ')}), ${o.migrateUri ?? ''}, hard limit ${mib(f.hardLimitKiB ?? 0)}.`);
}

/** Each check's rule, by id. */
export const PREFLIGHT_RULES: { readonly [K in PreflightCheckId]: (s: PreflightSetting, f: PreflightFacts[K]) => Verdict } = {
  state: stateRule,
  p2p: p2pRule,
  versions: versionsRule,
  cpu: cpuRule,
  name: nameRule,
  memory: memoryRule,
  storage: storageRule,
  ports: portsRule,
  mtu: mtuRule,
  tls: tlsRule,
  rdma: rdmaRule,
};

/** One check's result from its facts. */
export function judgeCheck<K extends PreflightCheckId>(id: K, s: PreflightSetting, facts: PreflightFacts[K]): PreflightResult {
  const rule: (s: PreflightSetting, f: PreflightFacts[K]) => Verdict = PREFLIGHT_RULES[id];
  return { check: id, title: CHECK_TITLES[id], ...rule(s, facts) };
}

/** Whether the results allow starting: no check failed. */
export function preflightPassed(results: readonly PreflightResult[]): boolean {
  return results.every((r) => r.status !== 'fail');
}
