// The lab, seen from tests and benchmarks: what is running (lab.json, written by `lab.sh up`) and a typed way to
// drive lab.sh. Plain Node: no vitest import here, so bench/ and scripts can use it too (see use-lab.ts for tests).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const HOST_NAMES = ['hvA', 'hvB', 'hvC'] as const;
export type HostName = (typeof HOST_NAMES)[number];

const hostName = z.enum(HOST_NAMES);
const pubLine = z.string().regex(/^(ssh-ed25519|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/);

const labHostSchema = z.object({
  name: hostName,
  ip: z.string(),
  port: z.number().int(),
  user: z.string(),
  hostKeys: z.object({ ed25519: pubLine, rsa: pubLine }),
  netns: z.string(),
  iface: z.string(),
  mtu: z.number().int(),
  uuid: z.string(),
  /** Port of br0 in lab-sw facing the host's eth0 (hvA, hvB). */
  switchPort: z.string().optional(),
  /** Port of lab-rt facing the host's eth0 (hvC, behind the router). */
  routerPort: z.string().optional(),
  migration: z.object({ ip: z.string(), iface: z.string(), switchPort: z.string() }).optional(),
});

const labInfoSchema = z.object({
  dir: z.string(),
  clientKey: z.string(),
  knownHosts: z.string(),
  script: z.string(),
  hosts: z.array(labHostSchema).min(1),
  vms: z.array(
    z.object({
      name: z.string(),
      home: hostName,
      memoryMiB: z.number().int(),
      dirtyMiB: z.number().int(),
      uuid: z.string(),
      serialLog: z.string(),
    }),
  ),
  switch: z.object({ netns: z.string(), bridge: z.string(), mtu: z.number().int() }),
  router: z.object({
    netns: z.string(),
    ips: z.array(z.string()),
    ports: z.array(z.object({ iface: z.string(), ip: z.string(), mtu: z.number().int() })),
  }),
  migrationNet: z.object({
    bridge: z.string(),
    subnet: z.string(),
    mtu: z.number().int(),
    hosts: z.partialRecord(hostName, z.string()),
  }),
  management: z.object({ iface: z.string(), ip: z.string() }),
});

export type LabInfo = z.infer<typeof labInfoSchema>;
export type LabHost = LabInfo['hosts'][number];
export type LabVm = LabInfo['vms'][number];

export const LAB_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lab.sh');

export function labDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['FERRY_LAB_DIR'] ?? '/var/tmp/ferry-lab';
}

/** Validates lab.json's text; throws with the offending field when it does not match. */
export function parseLabInfo(text: string): LabInfo {
  return labInfoSchema.parse(JSON.parse(text));
}

/** The running lab, or undefined when lab.json is absent (`lab.sh down` removes it). */
export function labInfo(dir: string = labDir()): LabInfo | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'lab.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseLabInfo(text);
}

export function labHost(info: LabInfo, name: HostName): LabHost {
  const host = info.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`lab.json has no host ${name}`);
  return host;
}

export interface LabResult {
  stdout: string;
  stderr: string;
  /** Exit status; 128 + signal number when the command was killed (by the timeout, for instance). */
  code: number;
}

export interface LabCommandOptions {
  /** Kill the command (SIGTERM, then SIGKILL 2 s later) after this many ms. Default: none. */
  timeoutMs?: number;
  /** Text for the command's standard input. Default: none (stdin is /dev/null). */
  input?: string;
}

/** Runs `lab.sh ARGS...` and resolves when it exits. Never rejects for a non-zero exit: look at `code`. */
export function labCommand(args: readonly string[], options: LabCommandOptions = {}): Promise<LabResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [LAB_SCRIPT, ...args], {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    let killTimer: NodeJS.Timeout | undefined;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGTERM');
            killTimer = setTimeout(() => child.kill('SIGKILL'), 2000);
          }, options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? 128 + (signal ? osConstants.signals[signal] : 0),
      });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export class LabCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly result: LabResult,
  ) {
    super(`lab.sh ${args.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
    this.name = 'LabCommandError';
  }
}

/** Like labCommand, but rejects with LabCommandError unless the exit status is 0; resolves to stdout. */
export async function labRun(args: readonly string[], options: LabCommandOptions = {}): Promise<string> {
  const result = await labCommand(args, options);
  if (result.code !== 0) throw new LabCommandError(args, result);
  return result.stdout;
}

/** Runs ARGV inside a host's namespaces (as root on that host, without ssh). */
export function hx(host: HostName, argv: readonly string[], options: LabCommandOptions = {}): Promise<LabResult> {
  return labCommand(['hx', host, ...argv], options);
}

/** `virsh ARGS` on a host; resolves to stdout, rejects on a non-zero exit. */
export function virsh(host: HostName, args: readonly string[], options: LabCommandOptions = {}): Promise<string> {
  return labRun(['hx', host, 'virsh', ...args], options);
}

export type LabState = 'up' | 'partial' | 'down';

export async function labStatus(): Promise<LabState> {
  const { code } = await labCommand(['status']);
  return code === 0 ? 'up' : code === 2 ? 'down' : 'partial';
}

/**
 * Arms `virsh domjobabort VM` on HOST after SECONDS if VM still has a job (a migration through a black hole never
 * ends on its own). Resolves to the watchdog's pid, for cancelWatchdog.
 */
export async function startWatchdog(host: HostName, vm: string, seconds: number): Promise<number> {
  const pid = Number((await labRun(['watchdog', host, vm, String(seconds)])).trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`lab.sh watchdog printed no pid`);
  return pid;
}

export async function cancelWatchdog(pid?: number): Promise<void> {
  await labRun(['watchdog', 'cancel', pid === undefined ? 'all' : String(pid)]);
}

/** Puts vm1/vmd back on their home host, defined and running; removes copies elsewhere. */
export async function vmReset(): Promise<void> {
  await labRun(['vm-reset'], { timeoutMs: 180_000 });
}

/** A busy guest's settings: MiB of hot set, and MiB/s it is rewritten at (absent: the canonical loop, rewrite + 1 s sleep). */
export interface GuestSettings {
  readonly dirtyMiB: number;
  readonly rateMiBps?: number;
}

/**
 * Re-creates VM at home with other settings (`lab.sh guest`): defined with the new kernel command line, restarted,
 * GUEST UP. A copy elsewhere (after a migration) is removed. `vmReset()` puts the canonical settings back.
 */
export async function setGuest(vm: string, settings: GuestSettings): Promise<void> {
  const args = ['guest', vm, `dirty=${settings.dirtyMiB}`];
  if (settings.rateMiBps !== undefined) args.push(`rate=${settings.rateMiBps}`);
  await labRun(args, { timeoutMs: 180_000 });
}

/** OpenSSH client arguments (before the command) that log in to HOST with the lab's key and verified host keys. */
export function sshArgs(info: LabInfo, host: HostName): string[] {
  const h = labHost(info, host);
  return [
    '-F', '/dev/null',
    '-i', info.clientKey,
    '-o', `UserKnownHostsFile=${info.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-p', String(h.port),
    `${h.user}@${h.ip}`,
  ];
}
