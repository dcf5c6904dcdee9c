import { describe, expect, it } from 'vitest';
import { destinationUri, parseMigrateOutput, virshMigrate } from '../../shared/commands/migrate';

describe('virsh migrate command', () => {
  it('builds the p2p live migration argv with the domain and destination behind their options', () => {
    const cmd = virshMigrate({ domain: 'vm1', destinationHost: '10.77.0.12', persistent: true, undefineSource: true, bandwidthMiBps: 20 });
    expect(cmd.ok && cmd.value.argv).toEqual([
      'virsh', '--connect', 'qemu:///system', 'migrate', '--verbose', '--live', '--p2p', '--persistent', '--undefinesource',
      '--bandwidth', '20', '--domain', 'vm1', '--desturi', 'qemu+ssh://10.77.0.12/system',
    ]);
  });

  it('sends the migration stream to a dedicated address when asked', () => {
    const cmd = virshMigrate({ domain: 'vm1', destinationHost: 'hvB', migrationAddress: '10.77.2.12' });
    expect(cmd.ok && cmd.value.argv).toContain('tcp://10.77.2.12');
  });

  it('refuses a destination or user that would smuggle options or shell syntax', () => {
    expect(destinationUri('-oProxyCommand=x').ok).toBe(false);
    expect(destinationUri('hvB;reboot').ok).toBe(false);
    expect(destinationUri('hvB', 'root@x').ok).toBe(false);
    expect(destinationUri('fd00::12', 'root')).toEqual({ ok: true, value: 'qemu+ssh://root@[fd00::12]/system' });
    expect(virshMigrate({ domain: 'vm1', destinationHost: 'hvB', bandwidthMiBps: 0 }).ok).toBe(false);
    expect(virshMigrate({ domain: '', destinationHost: 'hvB' }).ok).toBe(false);
  });

  it("returns libvirt's own error text when the migration fails", () => {
    const r = parseMigrateOutput(
      'error: Cannot recv data: ssh: connect to host 10.77.0.99 port 22: No route to host: Connection reset by peer\n',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('libvirt.error');
      expect(r.error.detail).toContain('No route to host');
    }
  });

  it('keeps the progress lines of a successful migration', () => {
    const r = parseMigrateOutput('Migration: [  0 %]\rMigration: [ 64 %]\rMigration: [100 %]\n\n');
    expect(r).toEqual({ ok: true, value: { progressLines: ['Migration: [  0 %]', 'Migration: [ 64 %]', 'Migration: [100 %]'] } });
  });
});
