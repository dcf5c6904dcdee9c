/**
 * ethtool 6.1 text output: `ethtool IFACE`, `ethtool -g IFACE` (rings), `ethtool -k IFACE` (offloads), `ethtool -i
 * IFACE` (driver). `--json` only works for some subcommands in 6.1, so all four are parsed as text.
 *
 * A query the driver does not implement (veth: `-g`, `-c`, `-a`: `netlink error: Operation not supported`, exit 1)
 * is a value, `{ supported: false }`, distinct both from an error and from a ring size of zero.
 * A missing interface (`netlink error: No such device`, `Cannot get driver information: No such device`) is the
 * typed error net.no-such-device.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseCount } from '../units';
import { compact, contentLines, emptyOutput, fail, splitLines } from './text';

/** Lines ethtool writes to stderr when something failed. */
const ERROR_LINE = /^(netlink error: |Cannot get |Cannot |ethtool: )/;
const NOT_SUPPORTED = /Operation not supported/;

function noSuchDevice(text: string): FerryError | undefined {
  const line = contentLines(text).find((l) => /No such device|no device matches name/.test(l));
  return line === undefined ? undefined : ferryError('net.no-such-device', 'No such network interface on this host.', line.trim());
}

/** Separates stderr-style error lines from the report itself. */
function splitErrors(text: string): { body: string[]; errors: string[] } {
  const body: string[] = [];
  const errors: string[] = [];
  for (const l of splitLines(text)) {
    if (l.trim() === '') continue;
    if (ERROR_LINE.test(l) || l.trim() === 'No data available') errors.push(l.trim());
    else body.push(l);
  }
  return { body, errors };
}

function headerIfname(line: string | undefined, prefix: string): string | undefined {
  if (line === undefined || !line.startsWith(prefix) || !line.endsWith(':')) return undefined;
  const name = line.slice(prefix.length, -1);
  return name === '' ? undefined : name;
}

// ---------------------------------------------------------------------------------------------------------------
// ethtool IFACE

export type LinkSpeed = { readonly known: true; readonly megabitsPerSecond: number } | { readonly known: false };
export type Duplex = 'full' | 'half' | 'unknown';

export interface EthtoolSettings {
  readonly ifname: string;
  /** `Speed: 10000Mb/s` or `Speed: Unknown!` (known: false); absent when ethtool printed no Speed line. */
  readonly speed?: LinkSpeed;
  readonly duplex?: Duplex;
  readonly autoNegotiation?: boolean;
  readonly supportsAutoNegotiation?: boolean;
  readonly linkDetected?: boolean;
  readonly port?: string;
  readonly transceiver?: string;
  /** `Not reported` -> empty list. */
  readonly supportedLinkModes?: readonly string[];
  readonly advertisedLinkModes?: readonly string[];
  /** Every `Label: value` line as printed (continuation lines joined with a space), for display. */
  readonly fields: Readonly<Record<string, string>>;
  /** Error lines ethtool printed next to a partial report (e.g. an unprivileged wake-on-lan query). */
  readonly warnings?: readonly string[];
}

function yesNo(v: string | undefined): boolean | undefined {
  return v === 'yes' || v === 'Yes' ? true : v === 'no' || v === 'No' ? false : undefined;
}

function linkModes(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v === 'Not reported' ? [] : v.split(/\s+/).filter((m) => m !== '');
}

export function parseEthtoolSettings(text: string): Result<EthtoolSettings, FerryError> {
  const missing = noSuchDevice(text);
  if (missing) return err(missing);
  const { body, errors } = splitErrors(text);
  const ifname = headerIfname(body[0], 'Settings for ');
  if (ifname === undefined) {
    if (body.length === 0 && errors.length === 0) return emptyOutput('ethtool');
    return fail('parse.unrecognised', 'This is not ethtool output: no "Settings for IFACE:" line.', body[0] ?? errors[0] ?? '');
  }
  const fields: Record<string, string> = {};
  let last: string | undefined;
  for (const line of body.slice(1)) {
    // Fields are indented by one tab; a continuation (more link modes, message level names) by a tab and more.
    const field = /^\t([^\t :][^:]*):(.*)$/.exec(line);
    if (field && !/^\t\s/.test(line)) {
      last = (field[1] ?? '').trim();
      fields[last] = (field[2] ?? '').trim();
    } else if (/^\t\s*\S/.test(line) && last !== undefined) {
      fields[last] = `${fields[last] ?? ''} ${line.trim()}`.trim();
    } else {
      return fail('parse.unrecognised', 'Unexpected line in ethtool output.', line);
    }
  }

  let speed: LinkSpeed | undefined;
  const s = fields.Speed;
  if (s !== undefined) {
    const m = /^(\d+)Mb\/s$/.exec(s);
    const n = m ? parseCount(m[1] ?? '') : undefined;
    if (n !== undefined) speed = { known: true, megabitsPerSecond: n };
    else if (s === 'Unknown!') speed = { known: false };
    else return fail('parse.bad-value', `Unrecognised link speed "${s}".`, `\tSpeed: ${s}`);
  }
  let duplex: Duplex | undefined;
  const d = fields.Duplex;
  if (d !== undefined) {
    if (d === 'Full') duplex = 'full';
    else if (d === 'Half') duplex = 'half';
    else if (d.startsWith('Unknown!')) duplex = 'unknown';
    else return fail('parse.bad-value', `Unrecognised duplex "${d}".`, `\tDuplex: ${d}`);
  }
  const an = fields['Auto-negotiation'];
  if (an !== undefined && an !== 'on' && an !== 'off') {
    return fail('parse.bad-value', `Auto-negotiation is "${an}", not on/off.`, `\tAuto-negotiation: ${an}`);
  }
  const link = fields['Link detected'];
  if (link !== undefined && yesNo(link) === undefined) {
    return fail('parse.bad-value', `Link detected is "${link}", not yes/no.`, `\tLink detected: ${link}`);
  }
  return ok(
    compact<EthtoolSettings>({
      ifname,
      speed,
      duplex,
      autoNegotiation: an === undefined ? undefined : an === 'on',
      supportsAutoNegotiation: yesNo(fields['Supports auto-negotiation']),
      linkDetected: yesNo(link),
      port: fields.Port,
      transceiver: fields.Transceiver,
      supportedLinkModes: linkModes(fields['Supported link modes']),
      advertisedLinkModes: linkModes(fields['Advertised link modes']),
      fields,
      warnings: errors.length > 0 ? errors : undefined,
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// ethtool -g IFACE

/** Ring sizes in descriptors; a ring the driver reports as `n/a` is absent. */
export interface RingSizes {
  readonly rx?: number;
  readonly rxMini?: number;
  readonly rxJumbo?: number;
  readonly tx?: number;
}

export type EthtoolRing =
  | { readonly supported: false; readonly detail: string }
  | {
      readonly supported: true;
      readonly ifname: string;
      readonly max: RingSizes;
      readonly current: RingSizes;
      readonly rxBufLenBytes?: number;
      readonly cqeSizeBytes?: number;
      readonly txPush?: boolean;
      /** Other lines (`TCP data split`, newer ethtool's extras) as printed, `n/a` left out. */
      readonly other?: Readonly<Record<string, string>>;
    };

const RING_KEYS: Readonly<Record<string, keyof RingSizes>> = {
  RX: 'rx',
  'RX Mini': 'rxMini',
  'RX Jumbo': 'rxJumbo',
  TX: 'tx',
};

export function parseEthtoolRing(text: string): Result<EthtoolRing, FerryError> {
  const missing = noSuchDevice(text);
  if (missing) return err(missing);
  const { body, errors } = splitErrors(text);
  if (body.length === 0) {
    const unsupported = errors.find((e) => NOT_SUPPORTED.test(e));
    if (unsupported) return ok({ supported: false, detail: unsupported });
    if (errors.length === 0) return emptyOutput('ethtool -g');
    return err(ferryError('command.failed', `ethtool -g failed: ${errors[0] ?? ''}`, errors.join('\n')));
  }
  const ifname = headerIfname(body[0], 'Ring parameters for ');
  if (ifname === undefined) {
    return fail('parse.unrecognised', 'This is not ethtool -g output: no "Ring parameters for IFACE:" line.', body[0] ?? '');
  }
  const max: { -readonly [K in keyof RingSizes]: RingSizes[K] } = {};
  const current: { -readonly [K in keyof RingSizes]: RingSizes[K] } = {};
  const other: Record<string, string> = {};
  let section: 'max' | 'current' | undefined;
  let sawMax = false;
  let sawCurrent = false;
  let rxBufLenBytes: number | undefined;
  let cqeSizeBytes: number | undefined;
  let txPush: boolean | undefined;
  for (const line of body.slice(1)) {
    if (line === 'Pre-set maximums:') {
      section = 'max';
      sawMax = true;
      continue;
    }
    if (line === 'Current hardware settings:') {
      section = 'current';
      sawCurrent = true;
      continue;
    }
    const m = /^([^:\t]+):\s*(.*)$/.exec(line);
    if (!m) return fail('parse.unrecognised', 'Unexpected line in ethtool -g output.', line);
    const key = (m[1] ?? '').trim();
    const value = (m[2] ?? '').trim();
    const ringKey = RING_KEYS[key];
    if (ringKey && section) {
      if (value === 'n/a') continue;
      const n = parseCount(value);
      if (n === undefined) return fail('parse.bad-value', `Ring size "${value}" is not a whole number.`, line);
      (section === 'max' ? max : current)[ringKey] = n;
      continue;
    }
    // After the RX/RX Mini/RX Jumbo/TX block the remaining lines are settings, not ring sizes.
    section = undefined;
    if (value === 'n/a') continue;
    if (key === 'RX Buf Len' || key === 'CQE Size') {
      const n = parseCount(value);
      if (n === undefined) return fail('parse.bad-value', `${key} "${value}" is not a whole number.`, line);
      if (key === 'RX Buf Len') rxBufLenBytes = n;
      else cqeSizeBytes = n;
    } else if (key === 'TX Push') {
      if (value !== 'on' && value !== 'off') return fail('parse.bad-value', `TX Push is "${value}", not on/off.`, line);
      txPush = value === 'on';
    } else {
      other[key] = value;
    }
  }
  if (!sawMax || !sawCurrent) {
    return err(
      ferryError('parse.missing-field', 'ethtool -g output lacks its "Pre-set maximums" or "Current hardware settings".', body.join('\n')),
    );
  }
  return ok(
    compact<Extract<EthtoolRing, { supported: true }>>({
      supported: true,
      ifname,
      max,
      current,
      rxBufLenBytes,
      cqeSizeBytes,
      txPush,
      other: Object.keys(other).length > 0 ? other : undefined,
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// ethtool -k IFACE

export interface EthtoolFeature {
  readonly active: boolean;
  /** `[fixed]`: the driver does not let it change. */
  readonly fixed: boolean;
  /** `[requested on|off]`: what was asked for when it differs from what is active. */
  readonly requested?: boolean;
  /** The top-level feature this one is listed under (indented lines), e.g. `tcp-segmentation-offload`. */
  readonly parent?: string;
}

export interface EthtoolFeatures {
  readonly ifname: string;
  /** By feature name, in ethtool's order. */
  readonly features: Readonly<Record<string, EthtoolFeature>>;
}

export function parseEthtoolFeatures(text: string): Result<EthtoolFeatures, FerryError> {
  const missing = noSuchDevice(text);
  if (missing) return err(missing);
  const { body, errors } = splitErrors(text);
  const ifname = headerIfname(body[0], 'Features for ');
  if (ifname === undefined) {
    if (body.length === 0 && errors.length === 0) return emptyOutput('ethtool -k');
    return fail('parse.unrecognised', 'This is not ethtool -k output: no "Features for IFACE:" line.', body[0] ?? errors[0] ?? '');
  }
  const features: Record<string, EthtoolFeature> = {};
  let parent: string | undefined;
  for (const line of body.slice(1)) {
    const m = /^(\t?)([a-z0-9][a-z0-9_-]*): (on|off)(?: \[(fixed|requested on|requested off)\])?$/.exec(line);
    if (!m) return fail('parse.unrecognised', 'Unexpected line in ethtool -k output.', line);
    const name = m[2] ?? '';
    const indented = m[1] === '\t';
    const flag = m[4];
    features[name] = compact<EthtoolFeature>({
      active: m[3] === 'on',
      fixed: flag === 'fixed',
      requested: flag === 'requested on' ? true : flag === 'requested off' ? false : undefined,
      parent: indented ? parent : undefined,
    });
    if (!indented) parent = name;
  }
  if (Object.keys(features).length === 0) {
    return err(ferryError('parse.missing-field', 'ethtool -k listed no features.', body[0] ?? ''));
  }
  return ok({ ifname, features });
}

// ---------------------------------------------------------------------------------------------------------------
// ethtool -i IFACE

export interface EthtoolDriver {
  readonly driver: string;
  /** Empty values (veth has no firmware, no bus) are absent. */
  readonly version?: string;
  readonly firmwareVersion?: string;
  readonly expansionRomVersion?: string;
  readonly busInfo?: string;
  readonly supportsStatistics?: boolean;
  readonly supportsTest?: boolean;
  readonly supportsEepromAccess?: boolean;
  readonly supportsRegisterDump?: boolean;
  readonly supportsPrivFlags?: boolean;
}

type DriverText = 'driver' | 'version' | 'firmwareVersion' | 'expansionRomVersion' | 'busInfo';
type DriverFlag = Exclude<keyof EthtoolDriver, DriverText>;

const DRIVER_TEXT_KEYS: Readonly<Record<string, DriverText>> = {
  driver: 'driver',
  version: 'version',
  'firmware-version': 'firmwareVersion',
  'expansion-rom-version': 'expansionRomVersion',
  'bus-info': 'busInfo',
};

const DRIVER_FLAG_KEYS: Readonly<Record<string, DriverFlag>> = {
  'supports-statistics': 'supportsStatistics',
  'supports-test': 'supportsTest',
  'supports-eeprom-access': 'supportsEepromAccess',
  'supports-register-dump': 'supportsRegisterDump',
  'supports-priv-flags': 'supportsPrivFlags',
};

export function parseEthtoolDriver(text: string): Result<EthtoolDriver, FerryError> {
  const missing = noSuchDevice(text);
  if (missing) return err(missing);
  const { body, errors } = splitErrors(text);
  if (body.length === 0) {
    if (errors.length === 0) return emptyOutput('ethtool -i');
    return err(ferryError('command.failed', `ethtool -i failed: ${errors[0] ?? ''}`, errors.join('\n')));
  }
  const texts: Partial<Record<DriverText, string>> = {};
  const flags: Partial<Record<DriverFlag, boolean>> = {};
  for (const line of body) {
    const m = /^([a-z-]+):(.*)$/.exec(line);
    const label = m?.[1] ?? '';
    const textKey = DRIVER_TEXT_KEYS[label];
    const flagKey = DRIVER_FLAG_KEYS[label];
    if (!m || (!textKey && !flagKey)) return fail('parse.unrecognised', 'Unexpected line in ethtool -i output.', line);
    const value = (m[2] ?? '').trim();
    if (flagKey) {
      const b = yesNo(value);
      if (b === undefined) return fail('parse.bad-value', `${label} is "${value}", not yes/no.`, line);
      flags[flagKey] = b;
    } else if (textKey && value !== '') {
      texts[textKey] = value;
    }
  }
  const { driver, ...rest } = texts;
  if (driver === undefined) {
    return err(ferryError('parse.missing-field', 'ethtool -i did not name a driver.', body.join('\n')));
  }
  return ok({ driver, ...rest, ...flags });
}
