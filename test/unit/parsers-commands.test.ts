/**
 * Typed command descriptors: argv shapes (never a shell line), user values after an option or keyword, validation of
 * what a user can type, and agreement with the command lines the fixtures were captured with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkDestination,
  checkInterfaceName,
  ethtoolDriver,
  ethtoolFeatures,
  ethtoolRing,
  ethtoolSettings,
  ipAddr,
  ipLink,
  ipLinkStats,
  ipRouteGet,
  pingDontFragment,
  stdoutThenStderr,
  sysctl,
  sysctlValues,
  tracepath,
  virshCapabilities,
  virshDominfo,
  virshDomjobinfo,
  virshListAll,
  virshNodeinfo,
  virshVersion,
  type Command,
} from '../../shared/commands';
import { recordedCommand } from '../fixtures/dispatch';
import type { Result } from '../../shared/result';
import type { FerryError } from '../../shared/errors';

function built<T>(r: Result<Command<T>, FerryError>): Command<T> {
  if (!r.ok) throw new Error(`expected a command, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

const fixture = (tool: string, c: string) => join(__dirname, '..', 'fixtures', tool, `${c}.cmd`);

describe('virsh descriptors', () => {
  it('builds domjobinfo with the domain after --domain and the flags asked for', () => {
    expect(virshDomjobinfo('vm1').argv).toEqual(['virsh', '--connect', 'qemu:///system', 'domjobinfo', '--domain', 'vm1']);
    expect(virshDomjobinfo('vm1', { completed: true, keepCompleted: true, raw: true }).argv).toEqual([
      'virsh', '--connect', 'qemu:///system', 'domjobinfo', '--domain', 'vm1', '--completed', '--keep-completed', '--rawstats',
    ]);
  });
  it('ignores keepCompleted without completed (virsh would refuse it)', () => {
    expect(virshDomjobinfo('vm1', { keepCompleted: true }).argv).not.toContain('--keep-completed');
  });
  it('passes a domain name that looks like an option as the value of --domain, unchanged', () => {
    const argv = virshDominfo('--help; rm -rf /').argv;
    expect(argv.slice(-2)).toEqual(['--domain', '--help; rm -rf /']);
  });
  it('asks for the C locale and names every command for people', () => {
    for (const c of [virshVersion(), virshNodeinfo(), virshCapabilities(), virshListAll(), virshDominfo('vm1'), virshDomjobinfo('vm1')]) {
      expect(c.env).toEqual({ LC_ALL: 'C' });
      expect(c.name.length).toBeGreaterThan(3);
      expect(c.timeoutMs).toBeGreaterThan(0);
      expect(Object.isFrozen(c.argv)).toBe(true);
    }
  });
  it('matches the command lines the fixtures were captured with', () => {
    expect(virshDomjobinfo('vm1').argv.join(' ')).toBe(recordedCommand(fixture('virsh', 'domjobinfo-none')));
    expect(virshDomjobinfo('vm1', { raw: true }).argv.join(' ')).toBe(recordedCommand(fixture('virsh', 'domjobinfo-none-raw')));
    expect(virshDomjobinfo('vm1', { completed: true, keepCompleted: true }).argv.join(' ')).toBe(
      recordedCommand(fixture('virsh', 'domjobinfo-completed-destination')),
    );
    expect(virshListAll().argv.join(' ')).toBe(recordedCommand(fixture('virsh', 'list-all-hvA')));
    expect(virshDominfo('vm1').argv.join(' ')).toBe(recordedCommand(fixture('virsh', 'dominfo-running')));
    expect(virshVersion().argv.join(' ')).toBe(recordedCommand(fixture('virsh', 'version')));
  });
  it('parses with the parser of its command', () => {
    const text = readFileSync(join(__dirname, '..', 'fixtures', 'virsh', 'domjobinfo-none.txt'), 'utf8');
    expect(virshDomjobinfo('vm1').parse(text)).toEqual({ ok: true, value: { format: 'human', type: 'none' } });
  });
});

describe('network descriptors', () => {
  it('puts interface names after iproute2\'s dev keyword and addresses after to', () => {
    expect(built(ipLink('eth0')).argv).toEqual(['ip', '-j', '-d', 'link', 'show', 'dev', 'eth0']);
    expect(built(ipLink()).argv).toEqual(['ip', '-j', '-d', 'link', 'show']);
    expect(built(ipAddr('eth0')).argv).toEqual(['ip', '-j', 'addr', 'show', 'dev', 'eth0']);
    expect(built(ipLinkStats('eth0')).argv.join(' ')).toBe(recordedCommand(fixture('ip', 'link-stats-eth0')));
    expect(built(ipRouteGet('10.77.1.13')).argv.join(' ')).toBe(recordedCommand(fixture('ip', 'route-get-pmtu')));
  });
  it('builds the four ethtool queries', () => {
    expect(built(ethtoolSettings('eth0')).argv.join(' ')).toBe(recordedCommand(fixture('ethtool', 'settings-veth')));
    expect(built(ethtoolRing('eth0')).argv.join(' ')).toBe(recordedCommand(fixture('ethtool', 'ring-veth-unsupported')));
    expect(built(ethtoolFeatures('eth0')).argv.join(' ')).toBe(recordedCommand(fixture('ethtool', 'features-veth')));
    expect(built(ethtoolDriver('eth0')).argv.join(' ')).toBe(recordedCommand(fixture('ethtool', 'driver-veth')));
  });
  it('refuses interface names an option parser or a shell could misread', () => {
    for (const bad of ['-g', '--help', 'eth0; reboot', 'a b', 'x/y', 'eth0:1', '', '.', '..', 'averyveryverylongname']) {
      const r = checkInterfaceName(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      expect(!r.ok && r.error.code).toBe('input.invalid');
      expect(ethtoolRing(bad).ok).toBe(false);
      expect(ipLink(bad).ok).toBe(false);
    }
    for (const good of ['eth0', 'mig0', 'br-lan', 'enp3s0f1', 'bond0.100', 'veth@if5']) expect(checkInterfaceName(good).ok, good).toBe(true);
  });
  it('builds a Don\'t-Fragment ping with -- before the destination', () => {
    const c = built(pingDontFragment('10.77.0.12', { payloadBytes: 8972, count: 2, waitSeconds: 1 }));
    expect(c.argv.join(' ')).toBe(recordedCommand(fixture('ping', 'passed-jumbo')));
    expect(c.name).toBe('9000-byte DF ping to 10.77.0.12');
    expect(c.timeoutMs).toBeGreaterThanOrEqual(3000);
  });
  it('refuses destinations and sizes that are not what they claim', () => {
    for (const bad of ['-f', '--flood', '10.77.0.12; reboot', '10.77.0.256', 'a..b', '', 'host name']) {
      expect(checkDestination(bad).ok, bad).toBe(false);
      expect(pingDontFragment(bad, { payloadBytes: 56 }).ok).toBe(false);
      expect(tracepath(bad).ok).toBe(false);
    }
    for (const good of ['10.77.0.12', 'hvb.lab', 'fe80::1', '::1', '2001:db8::10.1.2.3']) expect(checkDestination(good).ok, good).toBe(true);
    expect(pingDontFragment('10.77.0.12', { payloadBytes: 70000 }).ok).toBe(false);
    expect(pingDontFragment('10.77.0.12', { payloadBytes: 8972.5 }).ok).toBe(false);
    expect(ipRouteGet('hvb.lab').ok).toBe(false);
  });
  it('builds tracepath with a hop limit and -- before the destination', () => {
    expect(built(tracepath('10.77.1.13')).argv.join(' ')).toBe(recordedCommand(fixture('tracepath', 'routed-pmtu-drop')));
    expect(built(tracepath('10.77.0.12', { maxHops: 3 })).argv.join(' ')).toBe(recordedCommand(fixture('tracepath', 'too-many-hops')));
  });
  it('builds sysctl for the buffer keys and refuses anything that is not a key', () => {
    expect(built(sysctl()).argv.join(' ')).toBe(recordedCommand(fixture('sysctl', 'multi')));
    const n = built(sysctlValues(['net.core.rmem_max', 'net.core.wmem_max', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']));
    expect(n.argv.join(' ')).toBe(recordedCommand(fixture('sysctl', 'n-buffers')));
    const text = readFileSync(join(__dirname, '..', 'fixtures', 'sysctl', 'n-buffers.txt'), 'utf8');
    expect(n.parse(text).ok).toBe(true);
    for (const bad of [[], ['-w'], ['net.core.rmem_max=1'], ['a b']]) expect(sysctl(bad).ok, JSON.stringify(bad)).toBe(false);
  });
});

describe('stdoutThenStderr', () => {
  it('joins stdout and stderr the way the fixtures store them', () => {
    expect(stdoutThenStderr({ stdout: 'a\n', stderr: 'b\n' })).toBe('a\nb\n');
    expect(stdoutThenStderr({ stdout: '', stderr: 'b\n' })).toBe('b\n');
    expect(stdoutThenStderr({ stdout: 'a', stderr: 'b' })).toBe('a\nb');
    expect(stdoutThenStderr({ stdout: 'a\n', stderr: '' })).toBe('a\n');
  });
});
