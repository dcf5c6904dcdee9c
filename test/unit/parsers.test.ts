/**
 * Every parser against the real lab captures in test/fixtures/<tool>/ (one test per fixture, parser chosen by tool
 * folder + case-name prefix, see test/fixtures/dispatch.ts), then hand-written garbled inputs: each must come back
 * as a typed parse.* error whose detail names the offending line, never as a value with zeros in it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_TOOLS, parserFor } from '../fixtures/dispatch';
import {
  parseDomjobinfo,
  parseEthtoolDriver,
  parseEthtoolFeatures,
  parseEthtoolRing,
  parseEthtoolSettings,
  parseIpAddr,
  parseIpLink,
  parseIpLinkStats,
  parseIpRouteGet,
  parsePing,
  parseSysctl,
  parseSysctlN,
  parseTracepath,
  parseVirshCapabilities,
  parseVirshDominfo,
  parseVirshList,
  parseVirshNodeinfo,
  parseVirshVersion,
} from '../../shared/parsers';
import { parseDomstateReason } from '../../shared/parsers/virsh-domstate';
import { parseMigrateOutput } from '../../shared/commands/migrate';
import { parseRemoteVirshVersion } from '../../shared/parsers/virsh-preflight';
import type { Result } from '../../shared/result';
import type { FerryError } from '../../shared/errors';

const FIXTURES = join(__dirname, '..', 'fixtures');

function read(tool: string, name: string): string {
  return readFileSync(join(FIXTURES, tool, name), 'utf8');
}

/** Paths (a.b[2].c) of every property whose value is undefined: "absent" must be a missing key. */
function undefinedPaths(v: unknown, at = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => undefinedPaths(x, `${at}[${i}]`));
  if (v !== null && typeof v === 'object') {
    return Object.entries(v).flatMap(([k, x]) => (x === undefined ? [`${at}.${k}`] : undefinedPaths(x, `${at}.${k}`)));
  }
  return [];
}

describe('parsers against real lab captures', () => {
  for (const tool of FIXTURE_TOOLS) {
    const dir = join(FIXTURES, tool);
    const cases = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.txt'))
          .map((f) => f.slice(0, -4))
          .sort()
      : [];
    describe(tool, () => {
      it('has fixtures', () => {
        expect(cases.length).toBeGreaterThan(0);
      });
      for (const c of cases) {
        it(`${c}: parses to the reviewed expectation`, () => {
          const cmdPath = join(dir, `${c}.cmd`);
          const expectedPath = join(dir, `${c}.expected.json`);
          expect(existsSync(cmdPath), `${tool}/${c}.cmd records the command`).toBe(true);
          expect(existsSync(expectedPath), `${tool}/${c}.expected.json exists (npx tsx test/fixtures/write-expected.ts)`).toBe(true);
          const parser = parserFor(tool, c, cmdPath);
          expect(parser, `a parser is assigned to ${tool}/${c}`).toBeDefined();
          const result = parser?.parse(read(tool, `${c}.txt`));
          expect(undefinedPaths(result)).toEqual([]);
          expect(result).toStrictEqual(JSON.parse(read(tool, `${c}.expected.json`)));
        });
        it(`${c}: the .txt is exactly the recorded stdout followed by stderr`, () => {
          const cmd = read(tool, `${c}.cmd`);
          const bytes = (k: string) => Number(new RegExp(`^${k}: (\\d+)$`, 'm').exec(cmd)?.[1]);
          expect(statSync(join(dir, `${c}.txt`)).size).toBe(bytes('stdout-bytes') + bytes('stderr-bytes'));
          expect(cmd).toMatch(/^command: \S/m);
          expect(cmd).toMatch(/^date: \d{4}-\d\d-\d\dT/m);
          expect(cmd).toMatch(/^tool: \S/m);
        });
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Garbled input

function expectParseError(r: Result<unknown, FerryError>, offending?: string): FerryError {
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('unreachable');
  expect(r.error.code).toMatch(/^parse\./);
  if (offending !== undefined) expect(r.error.detail ?? '').toContain(offending);
  return r.error;
}

const HTML = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body>\n</html>\n';

const RUNNING = read('virsh', 'domjobinfo-precopy-running.txt');

describe('domjobinfo: garbled output is a typed error, never a zero', () => {
  it('rejects a line cut before its colon', () => {
    const cut = RUNNING.replace(/Memory bandwidth:.*\n/, 'Memory bandw\n');
    expectParseError(parseDomjobinfo(cut), 'Memory bandw');
  });
  it('rejects a value cut inside its unit', () => {
    const cut = RUNNING.replace(/Data remaining:.*\n/, 'Data remaining:   3.367 Mi\n');
    expect(expectParseError(parseDomjobinfo(cut), 'Data remaining:   3.367 Mi').code).toBe('parse.bad-value');
  });
  it('rejects an unknown size unit such as XiB', () => {
    const bad = RUNNING.replace(/Memory bandwidth:.*\n/, 'Memory bandwidth: 12.3 XiB/s\n');
    const e = expectParseError(parseDomjobinfo(bad), 'Memory bandwidth: 12.3 XiB/s');
    expect(e.message).toContain('XiB');
  });
  it('rejects a non-numeric time', () => {
    const bad = RUNNING.replace(/Time elapsed:.*\n/, 'Time elapsed:     soon         ms\n');
    expectParseError(parseDomjobinfo(bad), 'soon');
  });
  it('rejects a negative or exponent number', () => {
    expectParseError(parseDomjobinfo('Job type: Unbounded\nIteration: -1\n'), 'Iteration: -1');
    expectParseError(parseDomjobinfo('Job type: Unbounded\nData total: 1e3 MiB\n'), 'Data total: 1e3 MiB');
  });
  it('rejects a count printed with the wrong unit', () => {
    expectParseError(parseDomjobinfo('Job type: Unbounded\nDirty rate: 12 pages\n'), 'Dirty rate: 12 pages');
  });
  it('rejects empty output', () => {
    expectParseError(parseDomjobinfo(''));
    expectParseError(parseDomjobinfo('\n\n'));
  });
  it('rejects an HTML error page', () => {
    expectParseError(parseDomjobinfo(HTML), '<!DOCTYPE html>');
  });
  it('rejects output that does not start with Job type', () => {
    expectParseError(parseDomjobinfo(RUNNING.split('\n').slice(1).join('\n')), 'Operation:');
  });
  it('rejects an unknown job type and an unknown operation', () => {
    expectParseError(parseDomjobinfo('Job type: Sideways\n'), 'Sideways');
    expectParseError(parseDomjobinfo('Job type: Unbounded\nOperation: Teleport\n'), 'Teleport');
    expectParseError(parseDomjobinfo('Job type: 9\n'), 'Job type: 9');
  });
  it('rejects a field printed twice', () => {
    expectParseError(parseDomjobinfo('Job type: Unbounded\nIteration: 1\nIteration: 2\n'), 'Iteration: 2');
  });
  it('rejects a non-numeric --rawstats value', () => {
    const raw = read('virsh', 'domjobinfo-precopy-running-raw.txt').replace(/memory_bps: \d+/, 'memory_bps: fast');
    expectParseError(parseDomjobinfo(raw), 'memory_bps: fast');
  });
  it('keeps Memory bandwidth absent (not 0) while a migration is stalled, in both forms', () => {
    for (const f of ['domjobinfo-stalled-no-bandwidth.txt', 'domjobinfo-stalled-raw.txt']) {
      const r = parseDomjobinfo(read('virsh', f));
      expect(r.ok && r.value.type).toBe('unbounded');
      expect(r.ok && 'memoryBandwidthBytesPerSecond' in r.value).toBe(false);
      expect(r.ok && r.value.dataProcessedBytes).toBeGreaterThan(0);
    }
  });
  it('keeps a well-formed statistic it does not know in `other` instead of failing or dropping it', () => {
    const r = parseDomjobinfo('Job type:         Unbounded   \nOperation:        Outgoing migration\nFancy new stat: 42\n');
    expect(r).toStrictEqual({
      ok: true,
      value: { format: 'human', type: 'unbounded', operation: 'outgoing-migration', other: { 'Fancy new stat': '42' } },
    });
  });
  it('maps libvirt texts it does not know to libvirt.error with the text as detail', () => {
    const r = parseDomjobinfo('\nerror: internal error: something new\n');
    expect(r).toStrictEqual({
      ok: false,
      error: { code: 'libvirt.error', message: 'virsh failed: internal error: something new', detail: 'error: internal error: something new' },
    });
  });
  it('maps the test driver\'s "not supported" to libvirt.unsupported', () => {
    const r = parseDomjobinfo('error: this function is not supported by the connection driver: virDomainGetJobInfo\n');
    expect(!r.ok && r.error.code).toBe('libvirt.unsupported');
  });
});

describe('other virsh parsers: garbled output is a typed error', () => {
  const parsers = {
    version: parseVirshVersion,
    nodeinfo: parseVirshNodeinfo,
    list: parseVirshList,
    dominfo: parseVirshDominfo,
    capabilities: parseVirshCapabilities,
  };
  for (const [name, parse] of Object.entries(parsers)) {
    it(`${name}: rejects empty output and an HTML page`, () => {
      expectParseError(parse(''));
      expectParseError(parse(HTML));
    });
  }
  it('version: rejects a version that is not dotted numbers', () => {
    expectParseError(parseVirshVersion('Using library: libvirt nine\n'), 'libvirt nine');
  });
  it('nodeinfo: rejects memory in an unexpected unit and a missing line', () => {
    const text = read('virsh', 'nodeinfo.txt');
    expectParseError(parseVirshNodeinfo(text.replace('KiB', 'MiB')), 'Memory size:');
    expect(expectParseError(parseVirshNodeinfo(text.replace(/^CPU\(s\):.*\n/m, ''))).code).toBe('parse.missing-field');
  });
  it('list: rejects a row with an unknown state or a bad id', () => {
    expectParseError(parseVirshList(' Id   Name   State\n------------\n 1    vm1    dancing\n'), 'dancing');
    expectParseError(parseVirshList(' Id   Name   State\n------------\n x    vm1    running\n'), ' x    vm1');
  });
  it('list: keeps spaces inside a domain name', () => {
    const r = parseVirshList(' Id   Name        State\n--------------------------\n -    my guest    shut off\n');
    expect(r).toStrictEqual({ ok: true, value: [{ name: 'my guest', state: 'shut-off' }] });
  });
  it('dominfo: rejects a truncated output without State', () => {
    const cut = read('virsh', 'dominfo-running.txt').split('\n').slice(0, 3).join('\n');
    expect(expectParseError(parseVirshDominfo(cut)).code).toBe('parse.missing-field');
  });
  it('dominfo: rejects a malformed UUID', () => {
    expectParseError(parseVirshDominfo(read('virsh', 'dominfo-running.txt').replace(/UUID:.*/, 'UUID: 1234')), 'UUID: 1234');
  });
  it('capabilities: rejects XML truncated in the middle', () => {
    const xml = read('virsh', 'capabilities-hvA.txt');
    const e = expectParseError(parseVirshCapabilities(xml.slice(0, Math.floor(xml.length / 2))));
    expect(e.message).toMatch(/never closed|unterminated/);
  });
  it('capabilities: rejects a document without a host uuid', () => {
    const xml = read('virsh', 'capabilities-hvA.txt').replace(/<uuid>.*<\/uuid>/, '');
    expect(expectParseError(parseVirshCapabilities(xml)).code).toBe('parse.missing-field');
  });
  it('capabilities: rejects mismatched tags', () => {
    expectParseError(parseVirshCapabilities('<capabilities><host><uuid>x</host></capabilities>'), '</host>');
  });
});

describe('domstate --reason: garbled output is a typed error', () => {
  it('rejects empty output, an HTML page, a state without its reason and an unknown state', () => {
    expectParseError(parseDomstateReason(''));
    expectParseError(parseDomstateReason(HTML));
    // `virsh domstate` without --reason prints the state alone: the reason is what tells a split VM.
    expectParseError(parseDomstateReason('paused\n\n'), 'paused');
    expectParseError(parseDomstateReason('dancing (post-copy failed)\n'), 'dancing');
    expectParseError(parseDomstateReason('paused (post-copy failed\n'), 'paused (post-copy failed');
  });
  it('rejects two state lines (two domains or a concatenation)', () => {
    const two = `${read('virsh', 'domstate-paused-postcopy-failed.txt').trim()}\n${read('virsh', 'domstate-running-booted.txt')}`;
    expectParseError(parseDomstateReason(two), 'running (booted)');
  });
});

describe('virsh migrate: a broken post-copy run and a closed connection get their own codes', () => {
  // The lab printed either error for the same steps (domjobabort --postcopy), one capture each.
  it('maps "failed in post-copy phase" to libvirt.postcopy-failed, glued to the progress line as virsh writes it', () => {
    const r = parseMigrateOutput(read('virsh', 'migrate-error-postcopy-failed-job.txt'), { code: 1 });
    expect(r).toStrictEqual({
      ok: false,
      error: {
        code: 'libvirt.postcopy-failed',
        message: 'The migration broke during post-copy: the VM runs on the destination while part of its memory is still on the source.',
        detail: "error: operation failed: job 'migration in' failed in post-copy phase",
      },
    });
  });
  it('maps a bare "End of file while reading data" to libvirt.connection-closed, in both spellings libvirt logs', () => {
    const eof = parseMigrateOutput(read('virsh', 'migrate-error-postcopy-failed-eof.txt'), { code: 1 });
    expect(!eof.ok && eof.error.code).toBe('libvirt.connection-closed');
    const single = parseMigrateOutput('error: End of file while reading data: Input/output error\n');
    expect(!single.ok && single.error.code).toBe('libvirt.connection-closed');
  });
  it('leaves a failed connect through ssh (virt-ssh-helper named in the EOF line) to the connect-failure causes', () => {
    const r = parseRemoteVirshVersion(read('virsh', 'version-p2p-error-libvirtd-down.txt'));
    expect(!r.ok && r.error.code).toBe('libvirt.error');
    expect(!r.ok && r.error.message).toContain('libvirtd is not running on the destination');
  });
  it('reads the resumed run as a success with its progress', () => {
    const r = parseMigrateOutput(read('virsh', 'migrate-postcopy-resumed.txt'), { code: 0 });
    expect(r.ok && r.value.progressLines.at(-1)).toBe('Migration: [100 %]');
  });
});

describe('ip -j parsers: garbage JSON or text is a typed error', () => {
  const link = read('ip', 'link.txt');
  it('rejects empty output, an HTML page and truncated JSON', () => {
    for (const parse of [parseIpLink, parseIpAddr, parseIpLinkStats, parseIpRouteGet]) {
      expectParseError(parse(''));
      expectParseError(parse(HTML), '<!DOCTYPE html>');
      expectParseError(parse(link.slice(0, 100)));
    }
  });
  it('rejects JSON of the wrong shape (an mtu that is a string)', () => {
    const e = expectParseError(parseIpLink(link.replace('"mtu":9000', '"mtu":"9000"')));
    expect(e.code).toBe('parse.bad-value');
    expect(e.message).toContain('mtu');
  });
  it('rejects link output without counters for ip -s', () => {
    expect(expectParseError(parseIpLinkStats(link)).code).toBe('parse.missing-field');
  });
  it('rejects a route get that returns two routes or a non-numeric mtu metric', () => {
    const one = read('ip', 'route-get-pmtu.txt').trim();
    expectParseError(parseIpRouteGet(`[${one.slice(1, -1)},${one.slice(1, -1)}]`));
    expectParseError(parseIpRouteGet(one.replace('{"mtu":1500}', '{"mtu":"big"}')), '"mtu":"big"');
  });
  it('keeps a route without cached mtu and without gateway free of those keys', () => {
    const r = parseIpRouteGet(read('ip', 'route-get-direct.txt'));
    expect(r.ok && 'mtu' in r.value).toBe(false);
    expect(r.ok && 'gateway' in r.value).toBe(false);
  });
});

describe('ethtool parsers: garbled output is a typed error', () => {
  it('rejects empty output and an HTML page', () => {
    for (const parse of [parseEthtoolSettings, parseEthtoolRing, parseEthtoolFeatures, parseEthtoolDriver]) {
      expectParseError(parse(''));
      expectParseError(parse(HTML));
    }
  });
  it('rejects a link speed in an unknown unit', () => {
    const bad = read('ethtool', 'settings-veth.txt').replace('10000Mb/s', '10Gb/s');
    expectParseError(parseEthtoolSettings(bad), 'Speed: 10Gb/s');
  });
  it('rejects a ring size that is not a number', () => {
    const bad = read('ethtool', 'ring-virtio-rootns.txt').replace('TX:\t\t256\nCurrent', 'TX:\t\tlots\nCurrent');
    expectParseError(parseEthtoolRing(bad), 'lots');
  });
  it('reads "Operation not supported" as not supported, distinct from an error and from zero', () => {
    const r = parseEthtoolRing(read('ethtool', 'ring-veth-unsupported.txt'));
    expect(r).toStrictEqual({ ok: true, value: { supported: false, detail: 'netlink error: Operation not supported' } });
  });
  it('rejects a feature with a state other than on/off', () => {
    expectParseError(parseEthtoolFeatures('Features for eth0:\nrx-checksumming: maybe\n'), 'maybe');
  });
  it('reads [requested on] as requested but not active', () => {
    const r = parseEthtoolFeatures('Features for eth0:\ngeneric-receive-offload: off [requested on]\n');
    expect(r).toStrictEqual({
      ok: true,
      value: { ifname: 'eth0', features: { 'generic-receive-offload': { active: false, fixed: false, requested: true } } },
    });
  });
  it('rejects a driver report with an unknown key', () => {
    expectParseError(parseEthtoolDriver('driver: veth\nflux-capacitor: yes\n'), 'flux-capacitor');
  });
  it('rejects a driver report without a driver, and a supports- flag that is not yes/no', () => {
    expect(expectParseError(parseEthtoolDriver('version: 1.0\nbus-info: \n')).code).toBe('parse.missing-field');
    expectParseError(parseEthtoolDriver('driver: veth\nsupports-test: maybe\n'), 'maybe');
  });
});

describe('sysctl parsers: garbled output is a typed error', () => {
  it('rejects a line that is not key = value, and empty output', () => {
    expectParseError(parseSysctl('net.core.rmem_max: 4194304\n'), 'net.core.rmem_max: 4194304');
    expectParseError(parseSysctl(''));
    expectParseError(parseSysctl(HTML));
  });
  it('rejects a tcp_rmem that is not three numbers', () => {
    expectParseError(parseSysctl('net.ipv4.tcp_rmem = 4096 131072\n'), 'net.ipv4.tcp_rmem = 4096 131072');
    expectParseError(parseSysctl('net.core.rmem_max = lots\n'), 'lots');
  });
  it('rejects -n output whose value count does not match the keys', () => {
    expectParseError(parseSysctlN('4194304\n', ['net.core.rmem_max', 'net.core.wmem_max']));
  });
  it('lists a missing -n key instead of shifting the values', () => {
    const r = parseSysctlN(
      '4194304\nsysctl: cannot stat /proc/sys/net/ipv4/nope: No such file or directory\n',
      ['net.ipv4.nope', 'net.core.rmem_max'],
    );
    expect(r).toStrictEqual({
      ok: true,
      value: { values: { 'net.core.rmem_max': '4194304' }, missing: ['net.ipv4.nope'], coreRmemMaxBytes: 4194304 },
    });
  });
});

describe('ping and tracepath: garbled output is a typed error', () => {
  it('ping: rejects output cut before the statistics', () => {
    const cut = read('ping', 'passed-jumbo.txt').split('\n').slice(0, 3).join('\n');
    expect(expectParseError(parsePing(cut)).code).toBe('parse.missing-field');
  });
  it('ping: rejects empty output, an HTML page and a non-numeric rtt', () => {
    expectParseError(parsePing(''));
    expectParseError(parsePing(HTML), '<!DOCTYPE html>');
    const bad = read('ping', 'passed-jumbo.txt').replace(/rtt .*/, 'rtt min/avg/max/mdev = a/b/c/d ms');
    expectParseError(parsePing(bad), 'rtt min/avg/max/mdev = a/b/c/d ms');
  });
  it('ping: tells a silent loss (black hole) from a refusal and from a router answer', () => {
    const outcome = (f: string) => {
      const r = parsePing(read('ping', f));
      return r.ok ? r.value.outcome : r.error.code;
    };
    expect(outcome('lost-mtu-mismatch.txt')).toBe('lost');
    expect(outcome('too-big-local-mtu.txt')).toBe('too-big');
    expect(outcome('frag-needed.txt')).toBe('frag-needed');
    expect(outcome('unreachable-host.txt')).toBe('unreachable');
    expect(outcome('passed-jumbo.txt')).toBe('passed');
  });
  it('tracepath: rejects output without its Resume line (truncated)', () => {
    const cut = read('tracepath', 'routed-pmtu-drop.txt').replace(/\s*Resume:.*\n?$/, '\n');
    expect(expectParseError(parseTracepath(cut)).code).toBe('parse.missing-field');
  });
  it('tracepath: rejects an unknown token in a hop line, empty output and an HTML page', () => {
    expectParseError(parseTracepath(' 1:  10.77.0.1  0.064ms wobbly\n     Resume: pmtu 1500 \n'), 'wobbly');
    expectParseError(parseTracepath(''));
    expectParseError(parseTracepath(HTML));
  });
  it('tracepath: reports Too many hops as a failure even though tracepath exited 0', () => {
    const r = parseTracepath(read('tracepath', 'too-many-hops.txt'));
    expect(r.ok && r.value.outcome).toBe('too-many-hops');
  });
  it('tracepath: names the hop where the path MTU drops', () => {
    const r = parseTracepath(read('tracepath', 'routed-pmtu-drop.txt'));
    expect(r.ok && r.value.pmtuDrop).toStrictEqual({ hop: 2, address: '10.77.0.1', fromMtu: 9000, toMtu: 1500 });
  });
});
