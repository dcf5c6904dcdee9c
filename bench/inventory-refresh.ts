/**
 * Inventory refresh over many hosts: N = 10, 50, 100 inventory entries on the lab's three hosts (hvA, hvB, hvC in
 * turn), refreshed by the real InventoryService (facts + VMs per host, over the pool, one virsh session per host).
 *
 * N separate connections, honestly: the pool keys connections by user@host:port and the lab's sshd listens on port
 * 22 only, so N entries naming the same address would share three connections. Each entry gets its own host name
 * instead (`hvA-7.bench`), which the benchmark's socket factory (the pool's `connectSocket` option) sends to that
 * host's real address, and Ferry's known_hosts holds the lab's keys under every name. So: one pool, one service,
 * N distinct targets, N real SSH connections, each capped at 10 channels by the pool (peak use is printed).
 *
 * Figures per N (one process, one run):
 *   cold   the first refresh: TCP + SSH handshake + auth + virsh session start + facts + VMs, all hosts at once
 *   warm   the routine refresh over the open connections (VMs; facts are due every 60 s), median of WARM_ROUNDS
 *   alone  the same kind of refresh of one host by itself, for the slowest of hvA/hvB/hvC (median of ALONE_ROUNDS):
 *          cold = a fresh service with that one entry, warm = that host's routine refresh with nothing else running
 * and the ratios full-refresh / slowest-host-in-the-same-round (what the orchestration adds; the goal is <= 1.5x)
 * and full-refresh / slowest-alone (what N hosts at once cost against one, on one shared machine). The three lab "hosts" are namespaces of this one
 * 2-core machine: their sshd, shells, ip, ethtool and libvirtd share its CPUs with Ferry, so the CPU figures show how
 * much of a round is Ferry's own work and how busy the machine was.
 *
 * Needs the lab: `npm run lab -- up` (as root). Run: `node --import tsx bench/inventory-refresh.ts`.
 * Writes bench/results/inventory-refresh.{txt,json}. Env: BENCH_NS=10,50,100 BENCH_WARM_ROUNDS=5 BENCH_ALONE_ROUNDS=5.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { labInfo, type LabHost } from '../test/lab/lab';
import { poolBackend } from '../electron/main/inventory/backend';
import { Credentials } from '../electron/main/inventory/credentials';
import { InventoryService } from '../electron/main/inventory/service';
import { InventoryStore } from '../electron/main/inventory/store';
import { formatKnownHostsLine, fileKnownHostsStore } from '../electron/main/ssh/known-hosts';
import { SshPool } from '../electron/main/ssh/pool';
import { systemClock } from '../electron/main/clock';
import type { HostRecord } from '../shared/inventory/types';
import { ok } from '../shared/result';

const NS = (process.env['BENCH_NS'] ?? '10,50,100').split(',').map(Number);
const WARM_ROUNDS = Number(process.env['BENCH_WARM_ROUNDS'] ?? 5);
const ALONE_ROUNDS = Number(process.env['BENCH_ALONE_ROUNDS'] ?? 5);

const found = labInfo();
if (!found) {
  console.error('bench: the lab is not up (run `npm run lab -- up` as root)');
  process.exit(2);
}
const lab = found;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const max = (xs: Iterable<number>): number => Math.max(...xs);

/** Busy fraction of all CPUs between two os.cpus() readings. */
function machineBusy(a: os.CpuInfo[], b: os.CpuInfo[]): number {
  let busy = 0;
  let total = 0;
  b.forEach((cpu, i) => {
    const before = a[i]!.times;
    const t = cpu.times;
    const idle = t.idle - before.idle;
    const all = t.user + t.nice + t.sys + t.irq + t.idle - (before.user + before.nice + before.sys + before.irq + before.idle);
    busy += all - idle;
    total += all;
  });
  return total > 0 ? busy / total : 0;
}

interface RoundFigures {
  readonly fullMs: number;
  readonly slowestHostMs: number;
  readonly medianHostMs: number;
  readonly ferryCpuMs: number;
  readonly machineBusy: number;
  readonly peakChannelsPerConnection: number;
  readonly peakQueued: number;
  readonly notConnected: number;
  /** Why hosts were not ok (state and reason, counted): the lab is shared, another test may change it mid-run. */
  readonly why: Record<string, number>;
}

interface Bench {
  readonly service: InventoryService;
  readonly pool: SshPool;
  readonly records: HostRecord[];
  readonly hostMs: Map<string, number>;
  readonly dir: string;
}

async function setUp(n: number, only?: string): Promise<Bench> {
  const dir = mkdtempSync(join(os.tmpdir(), 'ferry-bench-inv-'));
  const real = new Map<string, LabHost>();
  const records: HostRecord[] = [];
  const knownLines: string[] = [];
  const hosts = only === undefined ? lab.hosts : lab.hosts.filter((h) => h.name === only);
  for (let i = 0; i < n; i++) {
    const h = hosts[i % hosts.length]!;
    const alias = `${h.name}-${i}.bench`;
    real.set(alias.toLowerCase(), h);
    records.push({
      id: `bench-${i}`,
      name: alias,
      address: alias,
      port: h.port,
      user: h.user,
      auth: { kind: 'key', keyPath: lab.clientKey },
      addedAt: new Date().toISOString(),
      source: 'manual',
    });
    for (const line of [h.hostKeys.ed25519, h.hostKeys.rsa]) {
      const [type, b64] = line.split(' ');
      knownLines.push(formatKnownHostsLine(alias, h.port, type!, Buffer.from(b64!, 'base64')));
    }
  }
  writeFileSync(join(dir, 'known_hosts'), `${knownLines.join('\n')}\n`);
  const store = await InventoryStore.open({ dataDir: dir });
  await store.update((cur) => ok({ next: { ...cur, hosts: records }, value: undefined }));
  const hostMs = new Map<string, number>();
  let pool: SshPool | undefined;
  const service = new InventoryService({
    store,
    credentials: new Credentials({ homeDir: dir, env: {} }),
    backend: (auth) => {
      pool = new SshPool({
        knownHosts: fileKnownHostsStore(join(dir, 'known_hosts')),
        auth,
        connectSocket: (host, port) => {
          const h = real.get(host.toLowerCase());
          if (!h) throw new Error(`bench: unknown alias ${host}`);
          const s = net.connect({ host: h.ip, port, noDelay: true });
          s.setNoDelay(true);
          return s;
        },
      });
      return poolBackend(pool);
    },
    probeBackend: () => {
      throw new Error('the benchmark adds no hosts');
    },
    clock: systemClock,
    logger: {
      debug: (event, fields) => {
        if (event === 'inventory.refreshed' && typeof fields?.['host'] === 'string' && typeof fields['ms'] === 'number') hostMs.set(fields['host'], fields['ms']);
      },
      warn: (event, fields) => console.error(`warn ${event} ${JSON.stringify(fields)}`),
    },
  });
  return { service, pool: pool!, records, hostMs, dir };
}

async function round(b: Bench): Promise<RoundFigures> {
  b.hostMs.clear();
  let peakChannels = 0;
  let peakQueued = 0;
  const targets = b.records.map((r) => ({ host: r.address, port: r.port, user: r.user }));
  const sampler = setInterval(() => {
    for (const t of targets) {
      const s = b.pool.status(t);
      if (s.channelsInUse > peakChannels) peakChannels = s.channelsInUse;
      if (s.queued > peakQueued) peakQueued = s.queued;
    }
  }, 2);
  const cpus0 = os.cpus();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await b.service.refreshAll();
  const fullMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const busy = machineBusy(cpus0, os.cpus());
  clearInterval(sampler);
  const views = b.service.views();
  const bad = views.filter((v) => v.connection.state !== 'connected' || v.problem !== undefined);
  const why: Record<string, number> = {};
  for (const v of bad) {
    const c = v.connection;
    const reason = `${v.record.name.replace(/-\d+\.bench$/, '')}: ${c.state}${'reason' in c ? ` (${c.reason.slice(0, 80)})` : ''}${v.problem ? ` problem: ${v.problem.message.slice(0, 80)}` : ''}`;
    why[reason] = (why[reason] ?? 0) + 1;
  }
  return {
    fullMs,
    slowestHostMs: max(b.hostMs.values()),
    medianHostMs: median([...b.hostMs.values()]),
    ferryCpuMs: (cpu.user + cpu.system) / 1000,
    machineBusy: busy,
    peakChannelsPerConnection: peakChannels,
    peakQueued,
    notConnected: bad.length,
    why,
  };
}

interface Alone {
  readonly ms: number;
  readonly perHost: Record<string, number>;
}

/** Warm: each lab host's routine refresh by itself over its open connection, median of ALONE_ROUNDS; the slowest. */
async function slowestAloneWarm(b: Bench): Promise<Alone> {
  const perHost: Record<string, number> = {};
  for (const h of lab.hosts) {
    const rec = b.records.find((r) => r.name.startsWith(`${h.name}-`))!;
    const times: number[] = [];
    for (let i = 0; i < ALONE_ROUNDS; i++) {
      const t0 = performance.now();
      await b.service.refreshOne(rec.id, { full: false });
      times.push(performance.now() - t0);
    }
    perHost[h.name] = median(times);
  }
  return { ms: max(Object.values(perHost)), perHost };
}

/** Cold: a fresh service holding one entry of each lab host, its first refresh, median of ALONE_ROUNDS; the slowest. */
async function slowestAloneCold(): Promise<Alone> {
  const perHost: Record<string, number> = {};
  for (const h of lab.hosts) {
    const times: number[] = [];
    for (let i = 0; i < ALONE_ROUNDS; i++) {
      const b = await setUp(1, h.name);
      try {
        times.push((await round(b)).fullMs);
      } finally {
        await b.service.dispose();
        rmSync(b.dir, { recursive: true, force: true });
      }
    }
    perHost[h.name] = median(times);
  }
  return { ms: max(Object.values(perHost)), perHost };
}

async function main(): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  const lines: string[] = [
    `inventory refresh over N lab entries (hvA/hvB/hvC in turn, N separate SSH connections), ${new Date().toISOString()}`,
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}; the lab hosts run on this same machine`,
    `per host: cold = connect + facts (5 exec channels + 2 virsh) + VMs; warm = VMs only (4 commands in the host's long-lived virsh session)`,
    '',
    '   N  phase   full ms  slowest-in-round ms  median host ms  full/slowest-in-round  alone ms  full/alone  Ferry CPU ms  machine busy  peak ch/conn  not ok',
  ];
  for (const n of NS) {
    const aloneCold = await slowestAloneCold();
    const b = await setUp(n);
    try {
      const cold = await round(b);
      const warm: RoundFigures[] = [];
      for (let i = 0; i < WARM_ROUNDS; i++) warm.push(await round(b));
      const aloneWarm = await slowestAloneWarm(b);
      const w = {
        fullMs: median(warm.map((r) => r.fullMs)),
        slowestHostMs: median(warm.map((r) => r.slowestHostMs)),
        medianHostMs: median(warm.map((r) => r.medianHostMs)),
        ferryCpuMs: median(warm.map((r) => r.ferryCpuMs)),
        machineBusy: median(warm.map((r) => r.machineBusy)),
        peakChannelsPerConnection: max(warm.map((r) => r.peakChannelsPerConnection)),
        peakQueued: max(warm.map((r) => r.peakQueued)),
        notConnected: max(warm.map((r) => r.notConnected)),
        why: Object.assign({}, ...warm.map((r) => r.why)) as Record<string, number>,
      };
      for (const [phase, r, alone] of [['cold', cold, aloneCold], ['warm', w, aloneWarm]] as const) {
        const row = {
          n,
          phase,
          ...r,
          ratioToSlowestInRound: r.fullMs / r.slowestHostMs,
          aloneMs: alone.ms,
          ratioToAlone: r.fullMs / alone.ms,
          alonePerHost: alone.perHost,
        };
        rows.push(row);
        lines.push(
          `${String(n).padStart(4)}  ${phase.padEnd(5)} ${r.fullMs.toFixed(1).padStart(9)} ${r.slowestHostMs.toFixed(1).padStart(20)} ${r.medianHostMs.toFixed(1).padStart(15)} ${`x${row.ratioToSlowestInRound.toFixed(2)}`.padStart(22)} ${alone.ms.toFixed(1).padStart(9)} ${`x${row.ratioToAlone.toFixed(1)}`.padStart(11)} ${r.ferryCpuMs.toFixed(0).padStart(13)} ${`${(r.machineBusy * 100).toFixed(0)}%`.padStart(13)} ${String(r.peakChannelsPerConnection).padStart(13)} ${String(r.notConnected).padStart(7)}`,
        );
      }
      for (const [reason, count] of Object.entries({ ...cold.why, ...w.why })) lines.push(`      not ok at N=${n}: ${count} x ${reason}`);
      console.log(lines.slice(-2).join('\n'));
    } finally {
      await b.service.dispose();
      rmSync(b.dir, { recursive: true, force: true });
    }
  }
  lines.push(
    '',
    'full = wall time of one refreshAll() over all N entries; slowest-in-round = the longest single host refresh inside that same round;',
    'alone = slowest of hvA/hvB/hvC refreshed by itself, same kind of refresh (cold: a fresh service with that one entry; warm: its routine refresh',
    '  over its open connection), median; warm rows are medians of the warm rounds.',
    'Ferry CPU = this process (user+sys) during the round; machine busy = all CPUs, lab hosts included; not ok = hosts not connected or with a problem.',
  );
  const text = lines.join('\n');
  console.log(`\n${text}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/inventory-refresh.txt', `${text}\n`);
  writeFileSync(
    'bench/results/inventory-refresh.json',
    `${JSON.stringify({ date: new Date().toISOString(), cores: os.cpus().length, warmRounds: WARM_ROUNDS, aloneRounds: ALONE_ROUNDS, rows }, null, 2)}\n`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
