// What the console shows for a migration that ended badly: the engine's sentence (what became of the VM), with
// libvirt's own error lines kept as the detail. A VM destroyed mid-migration once read "The domain is not running
// (a migration that is just finishing briefly reports this on the source)": the virsh error's generic message
// instead of the engine's ending.
import { describe, expect, it } from 'vitest';
import { migrationRecordSchema } from '../../shared/migration/record-schema';
import { recordView } from '../../electron/main/migration/handlers';
import type { MigrationRecord } from '../../electron/main/migration/record';
import { runHead } from '../../renderer/src/store/migrationContract';

const destroyed: MigrationRecord = {
  id: 'm-destroyed',
  startedAt: 1000,
  start: {
    vm: 'vmd',
    source: { id: 'a', name: 'hvA', address: '10.77.0.11' },
    destination: { id: 'b', name: 'hvB', address: '10.77.0.12' },
    options: { live: true, p2p: true, bandwidthMiBps: 5 },
    argv: ['virsh'],
    commandLine: "env LC_ALL=C virsh 'migrate'",
    intervalMs: 1000,
  },
  samples: [],
  events: [],
  state: 'failed',
  end: {
    at: 9000,
    reconciled: false,
    state: 'failed',
    message: 'vmd is shut-off on hvA and is not running on hvB: it stopped during the migration. libvirt said: error: operation failed: domain is not running',
    error: {
      code: 'libvirt.not-running',
      message: 'The domain is not running (a migration that is just finishing briefly reports this on the source).',
      detail: 'error: operation failed: domain is not running',
    },
  },
};

describe('a failed migration as the console shows it', () => {
  it("says the engine's ending and keeps libvirt's lines and code as the detail", () => {
    const v = migrationRecordSchema.parse(recordView(destroyed));
    expect(v.result.error).toEqual({
      code: 'libvirt.not-running',
      message: 'vmd is shut-off on hvA and is not running on hvB: it stopped during the migration. libvirt said: error: operation failed: domain is not running',
      detail: 'error: operation failed: domain is not running',
    });
    const run = runHead(v);
    expect(run.state).toBe('failed');
    expect(run.error?.message).toMatch(/^vmd is shut-off on hvA/);
    expect(run.error?.detail).toBe('error: operation failed: domain is not running');
  });

  it('an ending without a libvirt error still reads as the engine wrote it', () => {
    const message = 'virsh migrate reported success, but vmd is not defined on hvB: the migration did not complete.';
    const v = recordView({ ...destroyed, end: { at: 9000, reconciled: false, state: 'failed', message } });
    expect(v.result.error?.message).toBe(message);
    expect(v.result.error?.detail).toBeUndefined();
  });
});
