// Records as the contract shows them: state (post-copy once switched), final figures, libvirt's error, events with
// the ending, and the verdict's context following the controls sent (bandwidth, max downtime, post-copy).
import { describe, expect, it } from 'vitest';
import { migrationRecordSchema } from '../../shared/migration/record-schema';
import { recordView, verdictContext } from '../../electron/main/migration/handlers';
import type { MigrationRecord } from '../../electron/main/migration/record';

const base: MigrationRecord = {
  id: 'm1',
  startedAt: 1000,
  start: {
    vm: 'vmd',
    source: { id: 'a', name: 'hvA', address: '10.77.0.11' },
    destination: { id: 'b', name: 'hvB', address: '10.77.0.12' },
    options: { live: true, p2p: true, postcopy: true, bandwidthMiBps: 5 },
    argv: ['virsh'],
    commandLine: "env LC_ALL=C virsh 'migrate'",
    intervalMs: 1000,
  },
  samples: [],
  events: [
    { at: 1500, kind: 'control', message: 'Bandwidth cap set to 8 MiB/s', control: { kind: 'set-speed', mibPerSecond: 8 } },
    { at: 1600, kind: 'control', message: 'Max downtime set to 900 ms', control: { kind: 'set-max-downtime', ms: 900 } },
  ],
  state: 'running',
};

describe('migration records for the contract', () => {
  it('a running record validates against the contract, and the verdict context follows the controls sent', () => {
    const v = recordView(base);
    expect(migrationRecordSchema.parse(v)).toMatchObject({ id: 'm1', vm: 'vmd', state: 'running', startedAt: 1000, result: {} });
    expect(verdictContext(base)).toEqual({ bandwidthMiBps: 8, maxDowntimeMs: 900, postcopy: true, postcopyRequested: false });
  });

  it('shows the limits in force: the options at first, then what each applied control set (a failed one changes nothing)', () => {
    expect(recordView({ ...base, events: [] }).limits).toEqual({ bandwidthMiBps: 5 });
    expect(recordView(base).limits).toEqual({ bandwidthMiBps: 8, maxDowntimeMs: 900 });
    const failed: MigrationRecord = { ...base, events: [...base.events, { at: 1700, kind: 'control-failed', message: 'migrate-setspeed failed', control: { kind: 'set-speed', mibPerSecond: 64 } }] };
    expect(migrationRecordSchema.parse(recordView(failed)).limits).toEqual({ bandwidthMiBps: 8, maxDowntimeMs: 900 });
  });

  it('shows post-copy once switched, and an ended record with its figures and its ending as the last event', () => {
    const switched: MigrationRecord = { ...base, events: [...base.events, { at: 1700, kind: 'control', message: 'Switched to post-copy', control: { kind: 'postcopy' } }] };
    expect(recordView(switched).state).toBe('post-copy');
    const ended: MigrationRecord = {
      ...switched,
      state: 'completed',
      end: { at: 9000, reconciled: false, state: 'completed', message: 'Migration completed', final: { readOn: 'source', totalTimeMs: 7000, downtimeMs: 25, dataSentBytes: 300e6 } },
    };
    const v = migrationRecordSchema.parse(recordView(ended));
    expect(v).toMatchObject({ state: 'completed', endedAt: 9000, result: { totalTimeMs: 7000, downtimeMs: 25, dataBytes: 300e6 } });
    expect(v.events.at(-1)).toEqual({ at: 9000, kind: 'ended', text: 'Migration completed' });
  });

  it("a failed record carries libvirt's text; a reconciled one says so", () => {
    const failed: MigrationRecord = {
      ...base,
      state: 'failed',
      end: { at: 2000, reconciled: true, state: 'failed', message: 'Found running on hvA', error: { code: 'libvirt.error', message: 'virsh failed', detail: 'error: x' } },
    };
    const v = recordView(failed);
    expect(v.result.error?.detail).toBe('error: x');
    expect(v.events.at(-1)?.kind).toBe('reconciled');
  });
});
