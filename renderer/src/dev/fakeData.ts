/** Generated hosts, facts and VMs for the dev-only fake back end. Deterministic for a given seed. */
import type { HostFacts, HostRecord, VmState, VmSummary } from '../../../shared/inventory/types';

/** mulberry32: small, fast, good enough to make believable inventories. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  const v = items[Math.floor(rand() * items.length)];
  if (v === undefined) throw new Error('pick from an empty list');
  return v;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** A believable `SHA256:` fingerprint (43 base64 characters), fixed for a given text. */
export function fakeFingerprint(text: string): string {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  const rand = prng(h >>> 0);
  let out = 'SHA256:';
  for (let i = 0; i < 43; i++) out += pick(rand, [...B64]);
  return out;
}

const PREFIXES = ['web', 'db', 'cache', 'ci-runner', 'k8s-node', 'mail', 'build', 'vpn', 'monitor', 'lb', 'etl', 'api', 'auth', 'search', 'queue', 'backup', 'dev', 'test'];
const STATE_WEIGHTS: readonly [VmState, number][] = [
  ['running', 0.7],
  ['shut-off', 0.2],
  ['paused', 0.04],
  ['idle', 0.02],
  ['crashed', 0.015],
  ['pmsuspended', 0.015],
  ['in-shutdown', 0.01],
];
const GiB = 1024 ** 3;
const MEMORY = [0.5 * GiB, 1 * GiB, 2 * GiB, 4 * GiB, 8 * GiB, 16 * GiB, 32 * GiB];

export function randomState(rand: () => number): VmState {
  let x = rand();
  for (const [state, w] of STATE_WEIGHTS) {
    if (x < w) return state;
    x -= w;
  }
  return 'running';
}

export function makeVms(rand: () => number, hostTag: string, count: number): VmSummary[] {
  const vms: VmSummary[] = [];
  for (let i = 0; i < count; i++) {
    const persistent = rand() < 0.9;
    vms.push({
      name: `${pick(rand, PREFIXES)}-${hostTag}${String(i + 1).padStart(4, '0')}`,
      state: randomState(rand),
      memoryBytes: pick(rand, MEMORY),
      vcpus: pick(rand, [1, 2, 2, 4, 4, 8, 16]),
      persistent,
      autostart: persistent && rand() < 0.5,
    });
  }
  return vms;
}

export function makeFacts(rand: () => number, record: HostRecord, at: string): HostFacts {
  const big = rand() < 0.5;
  return {
    hostname: `${record.name.toLowerCase()}.lab.example.net`,
    libvirtVersion: '9.0.0',
    hypervisor: 'QEMU 7.2.22',
    cpuModel: big ? 'AMD EPYC 7543 32-Core Processor' : 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
    cpuCount: big ? 128 : 64,
    memoryBytes: (big ? 1024 : 512) * GiB,
    nics: [
      { name: 'eno1', mtu: 1500, speedMbps: 10000, operState: 'up', addresses: [`${record.address}/24`], role: 'management' },
      { name: 'ens2f0', mtu: 9000, speedMbps: 25000, operState: 'up', addresses: ['10.78.0.' + String(10 + Math.floor(rand() * 200)) + '/24'], role: 'migration' },
      { name: 'veth-lab0', mtu: 1500, speedMbps: null, operState: 'up', addresses: [], role: 'other' },
      { name: 'ens2f1', mtu: 9000, speedMbps: null, operState: 'down', addresses: [], role: 'other' },
    ],
    collectedAt: at,
  };
}
