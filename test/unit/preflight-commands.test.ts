/**
 * The pre-flight commands keep host- and user-supplied values out of shell programs, refuse what cannot be a
 * value, and their parsers refuse garbled output with a parse.* error naming the line.
 */
import { describe, expect, it } from 'vitest';
import {
  dumpxmlMigratable,
  hypervisorCpuCompare,
  pathProbe,
  portProbe,
  qemuConf,
  readCertificate,
  remoteVirshVersion,
  PATH_PROBE_SCRIPT,
  PORT_PROBE_SCRIPT,
} from '../../shared/commands/preflight';
import { parsePathProbe, parsePortProbe, parseQemuConf, parseRdmaProbe, parsePemCertificate, migrationTlsDir } from '../../shared/parsers/preflight-probes';
import { parseCpuCompare, parseNodeMemStats } from '../../shared/parsers/virsh-preflight';
import { parseDomainXml } from '../../shared/parsers/virsh-dumpxml';

describe('pre-flight commands', () => {
  it('passes paths and addresses as positional parameters of a constant script', () => {
    const hostile = "/srv/a b/'$(reboot)'.img";
    const p = pathProbe([hostile]);
    expect(p.ok && p.value.argv).toEqual(['sh', '-c', PATH_PROBE_SCRIPT, 'ferry-path-probe', hostile]);
    const ports = portProbe('10.77.0.12', [49152, 16509]);
    expect(ports.ok && ports.value.argv).toEqual(['bash', '-c', PORT_PROBE_SCRIPT, 'ferry-port-probe', '10.77.0.12', '49152', '16509']);
  });

  it('probes up to 128 ports at once, and an answer that misses one is an error, not a shorter list', () => {
    const range = Array.from({ length: 64 }, (_, i) => 49152 + i);
    const probe = portProbe('10.77.0.12', [...range, 16509, 16514]);
    if (!probe.ok) throw new Error(probe.error.message);
    const all = [...range, 16509, 16514].map((p) => `port ${p} rc 1 10.77.0.12: connect: Connection refused\n`);
    const parsed = probe.value.parse(all.join(''));
    expect(parsed.ok && parsed.value.length).toBe(66);
    const short = probe.value.parse(all.slice(1).join(''));
    expect(short.ok).toBe(false);
    if (!short.ok) expect(short.error.message).toBe('The port probe answered for 65 of 66 ports.');
    expect(portProbe('10.77.0.12', Array.from({ length: 129 }, (_, i) => 1000 + i)).ok).toBe(false);
  });

  it('refuses values that cannot be what they claim', () => {
    expect(dumpxmlMigratable('a/b').ok).toBe(false);
    expect(pathProbe(['relative/path']).ok).toBe(false);
    expect(pathProbe(['/a\nb']).ok).toBe(false);
    expect(readCertificate('ca-cert.pem').ok).toBe(false);
    expect(portProbe('10.77.0.12', [0]).ok).toBe(false);
    expect(portProbe('-oProxyCommand=x', [22]).ok).toBe(false);
    expect(remoteVirshVersion('hvB', 'root; reboot').ok).toBe(false);
    const def = { name: 'vm1', uuid: 'u', virtType: '--help', memoryKiB: 1, disks: [] };
    expect(hypervisorCpuCompare(def, '<domain/>').ok).toBe(false);
  });

  it('sends the XML on stdin and the virt type, arch and machine after their options', () => {
    const def = { name: 'vm1', uuid: 'u', virtType: 'qemu', arch: 'x86_64', machine: 'pc-i440fx-7.2', memoryKiB: 1, disks: [] };
    const c = hypervisorCpuCompare(def, '<domain/>');
    expect(c.ok && c.value.stdin).toBe('<domain/>');
    expect(c.ok && c.value.argv.slice(-6)).toEqual(['--virttype', 'qemu', '--arch', 'x86_64', '--machine', 'pc-i440fx-7.2']);
  });

  it('connects from the source with the same URI the migration uses, in batch mode', () => {
    const c = remoteVirshVersion('10.77.0.12', 'root');
    expect(c.ok && c.value.argv).toEqual(['virsh', '--connect', 'qemu+ssh://root@10.77.0.12/system?no_tty=1', 'version']);
  });
});

describe('pre-flight parsers refuse garbled output', () => {
  it.each([
    ['port probe', () => parsePortProbe('bash: command not found\n')],
    ['path probe', () => parsePathProbe('1 present\n3 missing\n')],
    ['rdma probe', () => parseRdmaProbe('kernel: 6.1\n')],
    ['qemu.conf', () => parseQemuConf('migration_port_min = "x"\n')],
    ['PEM', () => parsePemCertificate('not a certificate\n')],
    ['cpu compare', () => parseCpuCompare('something else entirely\n')],
    ['nodememstats', () => parseNodeMemStats('total : lots\n')],
    ['domain XML', () => parseDomainXml("<domain type='qemu'><name>x</name></domain>")],
  ])('%s', (_name, parse) => {
    const r = parse();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toMatch(/^parse\./);
  });

  it('reads an ICMP error as unreachable and keeps the migration TLS directory fallbacks', () => {
    const r = parsePortProbe('port 49152 rc 1 10.77.0.99: connect: No route to host\n');
    expect(r.ok && r.value).toEqual([{ port: 49152, state: 'unreachable', message: 'No route to host' }]);
    expect(migrationTlsDir({})).toBe('/etc/pki/qemu');
    expect(migrationTlsDir({ defaultTlsX509CertDir: '/etc/pki/libvirt' })).toBe('/etc/pki/libvirt');
    expect(migrationTlsDir({ defaultTlsX509CertDir: '/a', migrateTlsX509CertDir: '/b' })).toBe('/b');
  });

  it('reads memory units and disks from a domain XML', () => {
    const xml = `<domain type='kvm'><name>d</name><uuid>u</uuid><memory unit='GiB'>2</memory>
      <memtune><hard_limit unit='MiB'>3072</hard_limit></memtune>
      <devices><disk type='block' device='disk'><source dev='/dev/vg/d'/><target dev='vda'/></disk>
      <disk type='network' device='disk'><source protocol='rbd' name='pool/img'/><target dev='vdb'/></disk>
      <disk type='file' device='cdrom'><target dev='hdc'/><readonly/></disk></devices></domain>`;
    const r = parseDomainXml(xml);
    expect(r.ok && r.value).toMatchObject({ memoryKiB: 2097152, hardLimitKiB: 3145728, virtType: 'kvm' });
    expect(r.ok && r.value.disks).toEqual([
      { device: 'disk', kind: 'block', target: 'vda', path: '/dev/vg/d', readonly: false, shareable: false },
      { device: 'disk', kind: 'network', target: 'vdb', network: 'rbd pool/img', readonly: false, shareable: false },
      { device: 'cdrom', kind: 'file', target: 'hdc', readonly: true, shareable: false },
    ]);
  });

  it('takes a cat that exited non-zero as unread: "Permission denied" is no qemu.conf of defaults', () => {
    const conf = qemuConf();
    const denied = 'cat: /etc/libvirt/qemu.conf: Permission denied\n';
    expect(parseQemuConf(denied)).toEqual({ ok: true, value: {} });
    const r = conf.parse(denied, { code: 1 });
    expect(r.ok || r.error).toMatchObject({ code: 'command.failed', message: '/etc/libvirt/qemu.conf could not be read (cat exited 1: /etc/libvirt/qemu.conf: Permission denied).' });
    expect(conf.parse('migration_port_min = 49152\n', { code: 0 })).toEqual({ ok: true, value: { migrationPortMin: 49152 } });
    // The parser's own words win where it knows the cause.
    const missing = conf.parse('cat: /etc/libvirt/qemu.conf: No such file or directory\n', { code: 1 });
    expect(missing.ok || missing.error.message).toBe('The host has no /etc/libvirt/qemu.conf (libvirt uses its defaults).');
  });

  it('refuses a certificate whose cat failed after printing it', () => {
    const cert = readCertificate('/etc/pki/qemu/ca-cert.pem');
    if (!cert.ok) throw new Error(cert.error.message);
    const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(cert.value.parse(pem, { code: 0 }).ok).toBe(true);
    expect(cert.value.parse(`${pem}cat: /etc/pki/qemu/ca-cert.pem: Input/output error\n`, { code: 1 }).ok).toBe(false);
  });
});
