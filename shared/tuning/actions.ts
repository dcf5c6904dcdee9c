/**
 * From a tuning action (the state a change wants) to the command that makes it so, the command that reads the
 * setting back, and the comparison that says whether it took. Pure: the caller runs the commands (`Exec`).
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import type { Command } from '../commands/command';
import { ethtoolFeatures, ethtoolRing, ipLink, sysctlValues } from '../commands/network';
import { ethtoolSetOffload, ethtoolSetRings, formatSysctlSetting, ipLinkSetMtu, OFFLOADS, sysctlWrite, type SysctlSetting } from '../commands/tuning';
import type { TuningAction } from './types';

/** The command that puts the action's setting in place. */
export function actionCommand(a: TuningAction): Result<Command<unknown>, FerryError> {
  switch (a.kind) {
    case 'sysctl':
      return sysctlWrite(a.key, a.setting);
    case 'offload':
      return ethtoolSetOffload(a.ifname, a.offload, a.on);
    case 'mtu':
      return ipLinkSetMtu(a.ifname, a.mtu);
    case 'rings':
      return ethtoolSetRings(a.ifname, { ...(a.rx !== undefined ? { rx: a.rx } : {}), ...(a.tx !== undefined ? { tx: a.tx } : {}) });
  }
}

/** The value alone, as the tables show it: `on`, `9000`, `4096 131072 33554432`, `rx 4096 tx 4096`. */
export function describeValue(a: TuningAction): string {
  switch (a.kind) {
    case 'sysctl':
      return formatSysctlSetting(a.setting);
    case 'offload':
      return a.on ? 'on' : 'off';
    case 'mtu':
      return String(a.mtu);
    case 'rings':
      return [a.rx !== undefined ? `rx ${a.rx}` : '', a.tx !== undefined ? `tx ${a.tx}` : ''].filter((s) => s !== '').join(' ');
  }
}

export function sameState(a: TuningAction, b: TuningAction): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

function normalise(a: TuningAction): unknown {
  switch (a.kind) {
    case 'sysctl':
      return [a.kind, a.key, formatSysctlSetting(a.setting)];
    case 'offload':
      return [a.kind, a.ifname, a.offload, a.on];
    case 'mtu':
      return [a.kind, a.ifname, a.mtu];
    case 'rings':
      return [a.kind, a.ifname, a.rx ?? null, a.tx ?? null];
  }
}

/** Runs one command on the host and parses it (runCommand over the host's runner, in main). */
export type Exec = <T>(c: Command<T>) => Promise<Result<T, FerryError>>;

/**
 * Reads the setting the action is about, as it is now, in the action's own shape (for rings: the same rings the
 * action names). A setting that cannot be read (no such device, a sysctl this kernel lacks) is an error.
 */
export async function readState(a: TuningAction, exec: Exec): Promise<Result<TuningAction, FerryError>> {
  switch (a.kind) {
    case 'sysctl': {
      const c = sysctlValues([a.key]);
      if (!c.ok) return c;
      const r = await exec(c.value);
      if (!r.ok) return r;
      const raw = r.value.values[a.key];
      if (raw === undefined) return err(ferryError('command.failed', `This host has no ${a.key}.`));
      const setting = settingFromText(raw, a.setting.kind);
      return setting.ok ? ok({ kind: 'sysctl', key: a.key, setting: setting.value }) : setting;
    }
    case 'offload': {
      const c = ethtoolFeatures(a.ifname);
      if (!c.ok) return c;
      const r = await exec(c.value);
      if (!r.ok) return r;
      const f = r.value.features[OFFLOADS[a.offload]];
      if (f === undefined) return err(ferryError('command.failed', `ethtool -k ${a.ifname} does not list ${OFFLOADS[a.offload]}.`));
      return ok({ kind: 'offload', ifname: a.ifname, offload: a.offload, on: f.active });
    }
    case 'mtu': {
      const c = ipLink(a.ifname);
      if (!c.ok) return c;
      const r = await exec(c.value);
      if (!r.ok) return r;
      const link = r.value.find((l) => l.ifname === a.ifname);
      if (link === undefined) return err(ferryError('net.no-such-device', `No interface ${a.ifname} on this host.`));
      return ok({ kind: 'mtu', ifname: a.ifname, mtu: link.mtu });
    }
    case 'rings': {
      const c = ethtoolRing(a.ifname);
      if (!c.ok) return c;
      const r = await exec(c.value);
      if (!r.ok) return r;
      if (!r.value.supported) return err(ferryError('command.failed', `${a.ifname} has no ring settings (${r.value.detail}).`));
      const cur = r.value.current;
      return ok({
        kind: 'rings',
        ifname: a.ifname,
        ...(a.rx !== undefined && cur.rx !== undefined ? { rx: cur.rx } : {}),
        ...(a.tx !== undefined && cur.tx !== undefined ? { tx: cur.tx } : {}),
      });
    }
  }
}

/** `4096 131072 33554432` or `4194304` -> a setting of the expected shape. */
export function settingFromText(text: string, kind: SysctlSetting['kind']): Result<SysctlSetting, FerryError> {
  const parts = text.trim().split(/\s+/).map(Number);
  const whole = parts.every((n) => Number.isInteger(n) && n >= 0);
  if (kind === 'single' && parts.length === 1 && whole) return ok({ kind: 'single', value: parts[0] ?? 0 });
  if (kind === 'triple' && parts.length === 3 && whole) return ok({ kind: 'triple', min: parts[0] ?? 0, default: parts[1] ?? 0, max: parts[2] ?? 0 });
  return err(ferryError('parse.bad-value', `Expected ${kind === 'single' ? 'one whole number' : 'three whole numbers'}, read "${text}".`));
}
