/**
 * The host-audit parsers beyond their lab captures (test/unit/parsers.test.ts walks those): edge cases and garbled
 * input, each a typed error naming the offending line, never a value with zeros in it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDmesg } from '../../shared/parsers/dmesg';
import { parseClockProbe } from '../../shared/parsers/clock';
import { parseBondingProbe, parseProcBonding } from '../../shared/parsers/bonding';
import { formatCpuList, parseCpuList, parseEmulatorpin, parseVcpupin } from '../../shared/parsers/virsh-pinning';
import { parseDomblklist } from '../../shared/parsers/virsh-domblklist';
import { parseBackingProbe, parseDiskstatsSnapshots } from '../../shared/parsers/storage';
import { parseLogTail } from '../../shared/parsers/log-tail';
import { backingProbe, checkVmName, qemuLogTail, vcpupin } from '../../shared/commands/audit';

const fixture = (tool: string, name: string) => readFileSync(join(__dirname, '..', 'fixtures', tool, `${name}.txt`), 'utf8');

describe('dmesg -x', () => {
  it('joins continuation lines to the record before them', () => {
    const r = parseDmesg('kern  :warn  : [    0.420888] amd_pstate: The CPPC feature is supported.\nPlease enable it.\nkern  :info  : [    1.000000] next\n');
    expect(r.ok && r.value).toEqual([
      { facility: 'kern', level: 'warn', seconds: 0.420888, text: 'amd_pstate: The CPPC feature is supported. Please enable it.' },
      { facility: 'kern', level: 'info', seconds: 1, text: 'next' },
    ]);
  });
  it('reads the lab kernel log, a continuation line included', () => {
    const r = parseDmesg(fixture('dmesg', 'kernel-log-hvA'));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.find((x) => x.text.includes('Please enable it if your BIOS has the CPPC option'))?.level).toBe('warn');
  });
  it('refuses a restricted kernel log as an error, not an empty log', () => {
    const r = parseDmesg('dmesg: read kernel buffer failed: Operation not permitted\n');
    expect(r.ok ? 'ok' : r.error.code).toBe('command.failed');
  });
  it('refuses text without the facility:level prefix and unknown levels', () => {
    expect(parseDmesg('[    0.0] hello\n').ok).toBe(false);
    const r = parseDmesg('kern  :loud  : [    0.0] hello\n');
    expect(r.ok ? '' : r.error.detail).toBe('kern  :loud  : [    0.0] hello');
  });
});

describe('clock probe', () => {
  it('needs an answer for every tool', () => {
    const r = parseClockProbe('@@ferry timedatectl absent\n@@ferry chronyc absent\n');
    expect(r.ok ? '' : r.error.code).toBe('parse.missing-field');
  });
  it('reads chronyc "Not synchronised" and a fast offset', () => {
    const r = parseClockProbe(
      '@@ferry timedatectl absent\n@@ferry chronyc rc=0\nReference ID    : 00000000 ()\nSystem time     : 0.5 seconds fast of NTP time\nLeap status     : Not synchronised\n@@ferry ntpq absent\n',
    );
    expect(r.ok && r.value.answers[1]).toEqual({ tool: 'chronyc', state: 'ok', chrony: { referenceId: '00000000 ()', leapStatus: 'Not synchronised', offsetSeconds: 0.5 } });
  });
  it('reads ntpq -p\'s selected peer and its signed offset', () => {
    const ntpq = [
      '     remote           refid      st t when poll reach   delay   offset  jitter',
      '==============================================================================',
      '*192.168.1.1     .GPS.            1 u   33   64  377    0.312   -0.041   0.020',
      '+192.168.1.2     192.168.1.1      2 u   12   64  377    0.402    0.104   0.031',
    ].join('\n');
    const r = parseClockProbe(`@@ferry timedatectl absent\n@@ferry chronyc absent\n@@ferry ntpq rc=0\n${ntpq}\n`);
    expect(r.ok && r.value.answers[2]).toEqual({ tool: 'ntpq', state: 'ok', ntpq: { selected: '192.168.1.1', selectedOffsetMs: -0.041, peers: 2 } });
  });
  it('refuses garbage before the first section', () => {
    expect(parseClockProbe('hello\n@@ferry timedatectl absent\n').ok).toBe(false);
  });
});

describe('bonding', () => {
  it('refuses an unknown mode and garbled probe output', () => {
    const r = parseProcBonding('bond0', 'Bonding Mode: telepathy\n');
    expect(r.ok ? '' : r.error.code).toBe('parse.bad-value');
    expect(parseBondingProbe('cat: /proc/net/bonding: oops\n').ok).toBe(false);
    expect(parseProcBonding('bond0', 'MII Status: up\n').ok).toBe(false);
  });
  it('reads "present but empty" as loaded with no bonds', () => {
    expect(parseBondingProbe('@@ferry bonding present\n')).toEqual({ ok: true, value: { loaded: true, bonds: [] } });
  });
});

describe('virsh vcpupin / emulatorpin and CPU lists', () => {
  it('reads and writes libvirt CPU lists', () => {
    expect(parseCpuList('0-3,8,10-11')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('')).toBeUndefined();
    expect(parseCpuList('3-1')).toBeUndefined();
    expect(parseCpuList('0,x')).toBeUndefined();
    expect(formatCpuList([11, 0, 1, 2, 3, 8, 10])).toBe('0-3,8,10-11');
  });
  it('reads a pinned guest with several vCPUs', () => {
    const r = parseVcpupin(' VCPU   CPU Affinity\n----------------------\n 0      2\n 1      3\n 2      2-3\n');
    expect(r.ok && r.value).toEqual([{ vcpu: 0, cpus: [2] }, { vcpu: 1, cpus: [3] }, { vcpu: 2, cpus: [2, 3] }]);
  });
  it('refuses a garbled affinity', () => {
    const r = parseVcpupin(' VCPU   CPU Affinity\n----------------------\n 0      zero\n');
    expect(r.ok ? '' : r.error.detail).toBe(' 0      zero');
    expect(parseEmulatorpin('emulator: CPU Affinity\n----\n       0-1\n').ok).toBe(false);
  });
});

describe('virsh domblklist --details', () => {
  it('keeps a source with spaces whole and an empty drive without a source', () => {
    const r = parseDomblklist(' Type   Device   Target   Source\n------------------------------------\n file   disk     vda      /var/lib/images/my disk.qcow2\n file   cdrom    sda      -\n');
    expect(r.ok && r.value).toEqual([
      { type: 'file', device: 'disk', target: 'vda', source: '/var/lib/images/my disk.qcow2' },
      { type: 'file', device: 'cdrom', target: 'sda' },
    ]);
  });
  it('refuses output without its header', () => {
    expect(parseDomblklist(' Target   Source\n----\n vda /x\n').ok).toBe(false);
  });
});

describe('storage probes', () => {
  it('refuses a backing line findmnt did not print in pairs', () => {
    const r = parseBackingProbe('@@ferry path file /x\n254:0 /dev/vda ext4 /\n');
    expect(r.ok ? '' : r.error.code).toBe('parse.unrecognised');
  });
  it('needs two diskstats reads', () => {
    const one = fixture('storage', 'diskstats-hvA').split('@@ferry uptime').slice(0, 2).join('@@ferry uptime');
    const r = parseDiskstatsSnapshots(one);
    expect(r.ok ? '' : r.error.code).toBe('parse.missing-field');
  });
  it('refuses a diskstats counter that is not a whole number', () => {
    const r = parseDiskstatsSnapshots('@@ferry uptime 1.0\n 254 0 vda 1 2 3 4 5 6 7 x 0 9 10\n@@ferry uptime 2.0\n');
    expect(r.ok ? '' : r.error.code).toBe('parse.bad-value');
  });
});

describe('log tail', () => {
  it('reports a permission problem as an error, a missing log as an answer', () => {
    const denied = parseLogTail("tail: cannot open '/var/log/libvirt/qemu/vm1.log' for reading: Permission denied\n");
    expect(denied.ok ? '' : denied.error.code).toBe('command.failed');
    const missing = parseLogTail(fixture('logs', 'qemu-log-error-missing'));
    expect(missing.ok && missing.value.exists).toBe(false);
  });
});

describe('audit commands keep user input out of the shell', () => {
  it('refuses VM names that would leave the log directory, and accepts what libvirt accepts', () => {
    for (const bad of ['../etc/passwd', 'a/b', '', 'x\ny']) expect(checkVmName(bad).ok).toBe(false);
    for (const good of ['-rf', '.hidden']) expect(checkVmName(good).ok).toBe(true);
    const tail = qemuLogTail('vm 1; rm -rf ~');
    expect(tail.ok && tail.value.argv).toEqual(['tail', '-n', '200', '--', '/var/log/libvirt/qemu/vm 1; rm -rf ~.log']);
  });
  it('passes the domain after --domain and paths as positional parameters of a constant script', () => {
    expect(vcpupin('$(reboot)').ok && (vcpupin('$(reboot)') as { value: { argv: readonly string[] } }).value.argv.slice(-3)).toEqual(['vcpupin', '--domain', '$(reboot)']);
    const b = backingProbe(['/var/lib/x; reboot']);
    expect(b.ok && b.value.argv.slice(3)).toEqual(['ferry-backing', '/var/lib/x; reboot']);
    expect(backingProbe(['relative/path']).ok).toBe(false);
  });
});
