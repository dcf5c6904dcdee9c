/**
 * Fake lab hosts for the path check's unit tests: each command answered with what the lab printed for it
 * (test/fixtures/{ip,ping,tracepath,ethtool,preflight}); DF probes answered by a model of the path (which sizes pass,
 * how the others fail) with the real capture of each outcome.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ok, err, type Result } from '../../shared/result';
import { ferryError, type FerryError } from '../../shared/errors';
import type { CommandRunner, RunOutput } from '../../electron/main/remote/run-command';

const FIX = join(__dirname, '..', 'fixtures');
export const fx = (p: string): string => readFileSync(join(FIX, p), 'utf8');

export type Outcome = 'passed' | 'lost' | 'frag-needed' | 'too-big';
/** The real text ping printed for each outcome (the search reads the outcome; sizes come from the argv). */
export const PING_TEXT: Readonly<Record<Outcome, string>> = {
  passed: fx('ping/path-probe-jumbo.txt'),
  lost: fx('ping/path-probe-blackhole-lost.txt'),
  'frag-needed': fx('ping/path-probe-routed-frag-needed.txt'),
  'too-big': fx('ping/path-probe-routed-cached.txt'),
};

export interface PathModel {
  /** Largest packet that crosses. */
  readonly mtu: number;
  /** How larger ones fail on their first try, and afterwards (a frag-needed makes the kernel cache the MTU). */
  readonly above: Outcome;
  /** What a TTL-limited probe of a failing size gets: TTL exceeded from this router at these TTLs, silence after. */
  readonly ttlAnswers?: ReadonlyMap<number, string>;
}

export type Rule = { readonly when: (argv: readonly string[]) => boolean; readonly answer: string | FerryError };
export const has = (...w: string[]) => (a: readonly string[]) => w.every((x) => a.includes(x));

export class FakeHost implements CommandRunner {
  readonly calls: string[][] = [];
  private learnt = false;
  constructor(
    private readonly rules: Rule[],
    private readonly path?: PathModel,
  ) {}
  run(argv: readonly string[]): Promise<Result<RunOutput, FerryError>> {
    expect(argv.slice(0, 2)).toEqual(['env', 'LC_ALL=C']);
    const a = argv.slice(2);
    this.calls.push([...a]);
    if (a[0] === 'ping' && this.path) return Promise.resolve(ok({ stdout: this.ping(a), stderr: '', exitCode: 0 }));
    if (a.includes('ferry-port-probe')) {
      const ports = a.slice(a.indexOf('ferry-port-probe') + 2);
      // The line format of test/fixtures/preflight/ports-hvA-to-hvB.txt, for every port asked.
      const stdout = ports.map((p) => `port ${p} rc 1 10.77.0.12: connect: Connection refused\n`).join('');
      return Promise.resolve(ok({ stdout, stderr: '', exitCode: 0 }));
    }
    const rule = this.rules.find((r) => r.when(a));
    if (!rule) return Promise.resolve(err(ferryError('command.not-found', `no fake answer for ${a.join(' ')}`)));
    if (typeof rule.answer !== 'string') return Promise.resolve(err(rule.answer));
    return Promise.resolve(ok({ stdout: rule.answer, stderr: '', exitCode: 0 }));
  }
  private ping(a: readonly string[]): string {
    const path = this.path as PathModel;
    const size = Number(a[a.indexOf('-s') + 1]) + 28;
    const ttl = a.includes('-t') ? Number(a[a.indexOf('-t') + 1]) : undefined;
    if (size <= path.mtu) return PING_TEXT.passed;
    if (ttl !== undefined) {
      const from = path.ttlAnswers?.get(ttl);
      return from === undefined ? PING_TEXT.lost : fx('ping/path-probe-ttl-exceeded.txt').replaceAll('10.77.0.1', from);
    }
    if (path.above === 'frag-needed') {
      const first = !this.learnt;
      this.learnt = true;
      return first ? PING_TEXT['frag-needed'] : PING_TEXT['too-big'];
    }
    return PING_TEXT[path.above];
  }
}

export const hvA = (path: PathModel, extra: Rule[] = []) =>
  new FakeHost(
    [
      ...extra,
      { when: has('route', '10.77.0.12'), answer: fx('ip/route-get-direct.txt') },
      { when: has('route', '10.77.2.12'), answer: fx('ip/route-get-path-migration.txt') },
      { when: has('route', '10.77.1.13'), answer: fx('ip/route-get-path-hvC.txt') },
      { when: has('link'), answer: fx('ip/link-path-hvA.txt') },
      { when: has('addr'), answer: fx('ip/addr.txt') },
      { when: (a) => a[0] === 'ethtool', answer: fx('ethtool/settings-veth.txt') },
      { when: has('tracepath', '10.77.0.12'), answer: fx(path.mtu < 9000 ? 'tracepath/path-named-blackhole-1500.txt' : 'tracepath/path-named-direct.txt') },
      { when: has('tracepath', '10.77.2.12'), answer: fx('tracepath/path-named-direct.txt').replaceAll('hvB (10.77.0.12)', '??? (10.77.2.12)') },
      { when: has('tracepath', '10.77.1.13'), answer: fx('tracepath/path-named-routed-cached.txt') },
    ],
    path,
  );

export const hvB = (extra: Rule[] = []) =>
  new FakeHost([
    ...extra,
    { when: has('route', '10.77.0.11'), answer: fx('ip/route-get-path-back.txt') },
    { when: has('route', '10.77.2.11'), answer: fx('ip/route-get-path-migration-back.txt') },
    { when: has('link'), answer: fx('ip/link-path-hvB.txt') },
    { when: has('addr'), answer: fx('ip/addr-path-hvB.txt') },
    { when: (a) => a[0] === 'ethtool', answer: fx('ethtool/settings-veth.txt') },
    { when: (a) => a.includes('/etc/libvirt/qemu.conf'), answer: fx('preflight/qemu-conf-hvB.txt') },
  ]);

export const hvC = () =>
  new FakeHost([
    { when: has('route', '10.77.0.11'), answer: fx('ip/route-get-path-hvC-back.txt') },
    { when: has('link'), answer: fx('ip/link-path-hvC.txt') },
    { when: has('addr'), answer: fx('ip/addr-path-hvC.txt') },
    { when: (a) => a[0] === 'ethtool', answer: fx('ethtool/settings-veth.txt') },
    { when: (a) => a.includes('/etc/libvirt/qemu.conf'), answer: fx('preflight/qemu-conf-hvB.txt') },
  ]);

