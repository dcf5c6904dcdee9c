/**
 * Linux bonding: `/proc/net/bonding/<bond>` as the bonding driver prints it (Documentation/networking/bonding.rst,
 * "Querying Bonding Configuration"; drivers/net/bonding/bond_procfs.c), read through the bonding probe
 * (shared/commands/audit.ts, BONDING_PROBE_SCRIPT):
 *
 *   @@ferry bonding absent              no /proc/net/bonding: the bonding module is not loaded, so no bonds
 *   @@ferry bonding present
 *   @@ferry bond bond0                  then the file's text, for each bond
 *
 * A bond file has the bond's own `Label: value` lines, then one block per member starting `Slave Interface: NAME`.
 * Indented lines (the 802.3ad aggregator and LACP PDU details) belong to the label above them and are kept only
 * where Ferry uses them (the active aggregator id).
 */
import { ok, type Result } from '../result';
import type { FerryError } from '../errors';
import { parseCount } from '../units';
import { compact, fail, splitLines } from './text';

export type BondMode = 'balance-rr' | 'active-backup' | 'balance-xor' | 'broadcast' | '802.3ad' | 'balance-tlb' | 'balance-alb';

/** The driver's own texts for each mode (bond_mode_name() in bond_options.c / bonding_main.c). */
const MODE_TEXT: readonly (readonly [string, BondMode])[] = [
  ['load balancing (round-robin)', 'balance-rr'],
  ['fault-tolerance (active-backup)', 'active-backup'],
  ['load balancing (xor)', 'balance-xor'],
  ['fault-tolerance (broadcast)', 'broadcast'],
  ['IEEE 802.3ad Dynamic link aggregation', '802.3ad'],
  ['transmit load balancing', 'balance-tlb'],
  ['adaptive load balancing', 'balance-alb'],
];

export interface BondMember {
  readonly name: string;
  /** `MII Status: up|down|going back|going down`. */
  readonly miiStatus: string;
  /** `Speed: 10000 Mbps`; absent for `Unknown` or when not printed. */
  readonly speedMbps?: number;
  readonly duplex?: string;
  readonly linkFailureCount?: number;
  /** 802.3ad: the aggregator this member joined. */
  readonly aggregatorId?: number;
}

export interface Bond {
  readonly name: string;
  readonly mode: BondMode;
  /** The mode text as printed. */
  readonly modeText: string;
  readonly miiStatus?: string;
  readonly transmitHashPolicy?: string;
  readonly activeMember?: string;
  readonly lacpRate?: string;
  /** 802.3ad: `Active Aggregator Info: Aggregator ID: N`. */
  readonly activeAggregatorId?: number;
  readonly members: readonly BondMember[];
}

export type BondingProbe = { readonly loaded: false } | { readonly loaded: true; readonly bonds: readonly Bond[] };

/** One `/proc/net/bonding/<name>` file. */
export function parseProcBonding(name: string, text: string): Result<Bond, FerryError> {
  const bond: Record<string, string> = {};
  const members: Record<string, string>[] = [];
  let lastLabel = '';
  for (const raw of splitLines(text)) {
    if (raw.trim() === '') continue;
    const indented = /^\s/.test(raw);
    const line = raw.trim();
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (!m) {
      // Section titles without a value ("802.3ad info").
      if (!indented && /^[A-Za-z0-9. ]+$/.test(line)) continue;
      return fail('parse.unrecognised', `Unexpected line in /proc/net/bonding/${name}.`, raw);
    }
    const label = (m[1] ?? '').trim();
    const value = (m[2] ?? '').trim();
    if (indented) {
      if (lastLabel === 'Active Aggregator Info' && label === 'Aggregator ID') bond['Active Aggregator ID'] = value;
      continue;
    }
    lastLabel = label;
    if (label === 'Slave Interface') {
      members.push({ name: value });
      continue;
    }
    const target = members[members.length - 1] ?? bond;
    if (!(label in target)) target[label] = value;
  }
  const modeText = bond['Bonding Mode'];
  if (modeText === undefined) return fail('parse.missing-field', `/proc/net/bonding/${name} has no "Bonding Mode" line.`, text.slice(0, 300));
  const mode = MODE_TEXT.find(([t]) => modeText.startsWith(t))?.[1];
  if (mode === undefined) return fail('parse.bad-value', `Unknown bonding mode "${modeText}".`, `Bonding Mode: ${modeText}`);
  const count = (v: string | undefined, what: string): Result<number | undefined, FerryError> => {
    if (v === undefined) return ok(undefined);
    const n = parseCount(v);
    return n === undefined ? fail('parse.bad-value', `${what} "${v}" is not a whole number.`, v) : ok(n);
  };
  const agg = count(bond['Active Aggregator ID'], 'Aggregator ID');
  if (!agg.ok) return agg;
  const out: BondMember[] = [];
  for (const mb of members) {
    const mii = mb['MII Status'];
    if (mii === undefined) return fail('parse.missing-field', `Member ${mb.name ?? ''} of ${name} has no "MII Status".`, mb.name ?? '');
    let speedMbps: number | undefined;
    const sp = mb.Speed;
    if (sp !== undefined && sp !== 'Unknown') {
      const sm = /^(\d+) Mbps$/.exec(sp);
      if (!sm) return fail('parse.bad-value', `Unrecognised member speed "${sp}".`, `Speed: ${sp}`);
      speedMbps = Number(sm[1]);
    }
    const failures = count(mb['Link Failure Count'], 'Link Failure Count');
    if (!failures.ok) return failures;
    const aggId = count(mb['Aggregator ID'], 'Aggregator ID');
    if (!aggId.ok) return aggId;
    out.push(
      compact<BondMember>({
        name: mb.name ?? '',
        miiStatus: mii,
        speedMbps,
        duplex: mb.Duplex === undefined || mb.Duplex === 'Unknown' ? undefined : mb.Duplex,
        linkFailureCount: failures.value,
        aggregatorId: aggId.value,
      }),
    );
  }
  return ok(
    compact<Bond>({
      name,
      mode,
      modeText,
      miiStatus: bond['MII Status'],
      transmitHashPolicy: bond['Transmit Hash Policy'],
      activeMember: bond['Currently Active Slave'] === 'None' ? undefined : bond['Currently Active Slave'],
      lacpRate: bond['LACP rate'],
      activeAggregatorId: agg.value,
      members: out,
    }),
  );
}

/** The bonding probe's whole output. */
export function parseBondingProbe(text: string): Result<BondingProbe, FerryError> {
  const lines = splitLines(text);
  const first = lines.findIndex((l) => l.trim() !== '');
  const head = lines[first];
  if (head === '@@ferry bonding absent') return ok({ loaded: false });
  if (head !== '@@ferry bonding present') {
    return fail('parse.unrecognised', 'This is not the bonding probe\'s output (no "@@ferry bonding" line first).', head ?? '');
  }
  const bonds: Bond[] = [];
  let name: string | undefined;
  let body: string[] = [];
  const flush = (): Result<true, FerryError> => {
    if (name === undefined) return ok(true);
    const b = parseProcBonding(name, body.join('\n'));
    if (!b.ok) return b;
    bonds.push(b.value);
    return ok(true);
  };
  for (const line of lines.slice(first + 1)) {
    const h = /^@@ferry bond (\S+)$/.exec(line);
    if (h) {
      const f = flush();
      if (!f.ok) return f;
      name = h[1] ?? '';
      body = [];
    } else if (name === undefined) {
      if (line.trim() !== '') return fail('parse.unrecognised', 'Text before the first "@@ferry bond" line.', line);
    } else {
      body.push(line);
    }
  }
  const f = flush();
  if (!f.ok) return f;
  return ok({ loaded: true, bonds });
}
