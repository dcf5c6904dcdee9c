/**
 * The inventory's own commands and parsers (shared/commands/inventory.ts): the argv agrees with what the fixtures
 * were captured with, and garbled output is a typed error, never a value with zeros in it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_IDENTITY_SCRIPT, hostIdentity, virshDomstatsMemoryVcpu, virshListNames } from '../../shared/commands/inventory';
import { parseHostIdentity } from '../../shared/parsers/host-identity';
import { parseVirshDomstats } from '../../shared/parsers/virsh-domstats';
import { parseVirshNames } from '../../shared/parsers/virsh-names';
import { recordedCommand } from '../fixtures/dispatch';

const cmd = (path: string) => recordedCommand(join(__dirname, '..', 'fixtures', `${path}.cmd`));

describe('inventory commands', () => {
  it('run exactly what the fixtures were captured with', () => {
    expect(hostIdentity().argv).toEqual(['sh', '-c', HOST_IDENTITY_SCRIPT]);
    expect(cmd('host/identity-no-ssh')).toBe(`sh -c ${HOST_IDENTITY_SCRIPT}`);
    expect(cmd('host/identity-hvA')).toBe(`sh -c '${HOST_IDENTITY_SCRIPT.replace(/'/g, "'\\''")}'`);
    expect(virshDomstatsMemoryVcpu().argv.join(' ')).toBe(cmd('virsh/domstats-running-hvA'));
    expect(virshListNames('persistent').argv.join(' ')).toBe(cmd('virsh/names-persistent-hvC'));
    expect(virshListNames('transient').argv.join(' ')).toBe(cmd('virsh/names-transient-hvC'));
    expect(virshListNames('autostart').argv.join(' ')).toBe(cmd('virsh/names-autostart-hvC'));
    expect(virshListNames('no-autostart').argv.join(' ')).toBe(cmd('virsh/names-no-autostart-hvC'));
  });
  it('ask for the C locale', () => {
    for (const c of [hostIdentity(), virshDomstatsMemoryVcpu(), virshListNames('persistent')]) expect(c.env).toEqual({ LC_ALL: 'C' });
  });
});

describe('domstats parser', () => {
  it('rejects a field before any "Domain:" line', () => {
    expect(parseVirshDomstats('  balloon.current=1\n')).toMatchObject({ ok: false, error: { code: 'parse.unrecognised', detail: '  balloon.current=1' } });
  });
  it('rejects a memory figure that is not a whole number', () => {
    expect(parseVirshDomstats("Domain: 'a'\n  balloon.current=12.5\n")).toMatchObject({ ok: false, error: { code: 'parse.bad-value' } });
  });
  it('keeps a domain name with spaces and quotes whole', () => {
    const r = parseVirshDomstats("Domain: 'it's a vm'\n  vcpu.current=2\n\n");
    expect(r).toMatchObject({ ok: true, value: [{ name: "it's a vm", vcpuCurrent: 2 }] });
  });
  it("turns virsh's error into libvirt's typed error", () => {
    expect(parseVirshDomstats('error: failed to connect to the hypervisor\n')).toMatchObject({ ok: false, error: { code: 'libvirt.error' } });
  });
  it('rejects empty output (virsh prints at least a newline)', () => {
    expect(parseVirshDomstats('')).toMatchObject({ ok: false, error: { code: 'parse.unrecognised' } });
  });
});

describe('name list and identity parsers', () => {
  it('keep names with spaces, and turn virsh errors into typed errors', () => {
    expect(parseVirshNames('web 1\ndb\n\n')).toEqual({ ok: true, value: ['web 1', 'db'] });
    expect(parseVirshNames("error: Domain not found: no domain with matching name 'x'\n")).toMatchObject({ ok: false, error: { code: 'libvirt.no-domain' } });
  });
  it('reads an IPv4-mapped server address as IPv4 and rejects a garbled SSH_CONNECTION', () => {
    expect(parseHostIdentity('h1\n::ffff:10.0.0.5 5000 ::ffff:10.0.0.1 22\n\n')).toEqual({ ok: true, value: { hostname: 'h1', sshServerAddress: '10.0.0.1' } });
    expect(parseHostIdentity('h1\n10.0.0.5 22\n')).toMatchObject({ ok: false, error: { code: 'parse.bad-value' } });
    expect(parseHostIdentity('<html>\n')).toMatchObject({ ok: false, error: { code: 'parse.bad-value' } });
  });
});
