/** How the console shows a host whose libvirtd does not answer: its badge, its stale VM list, and a refused drop. */
import { describe, expect, it } from 'vitest';
import type { HostView } from '../../shared/inventory/types';
import { dropRefusal } from '../../renderer/src/store/migrationSlice';
import { connectionBadge } from '../../renderer/src/view/connection';
import { collectRows, staleVmList } from '../../renderer/src/view/vmRows';

const reason = "libvirtd does not answer: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory";
const hvB = (connection: HostView['connection']): HostView => ({
  record: { id: 'b', name: 'hvB', address: '10.77.0.12', port: 22, user: 'root', auth: { kind: 'agent' }, addedAt: '2026-12-07T13:00:00.000Z', source: 'manual' },
  connection,
  vms: [{ name: 'vmd', state: 'running' }],
  refreshedAt: '2026-12-07T14:00:00.000Z',
});
const down = hvB({ state: 'libvirt-unreachable', reason, detail: 'error: failed to connect to the hypervisor' });
const up = hvB({ state: 'connected', since: '2026-12-07T13:00:00.000Z' });

describe('a host whose libvirtd does not answer', () => {
  it('is not shown as connected: an amber "libvirt unreachable" badge with libvirt’s text', () => {
    expect(connectionBadge(down.connection)).toMatchObject({ label: 'libvirt unreachable', tone: 'warn', reason, detail: 'error: failed to connect to the hypervisor' });
  });

  it('has a stale VM list, dated when it was last read, and its rows say so', () => {
    expect(staleVmList(down)).toEqual({ lastRead: '2026-12-07T14:00:00.000Z', why: reason });
    expect(staleVmList(up)).toBeUndefined();
    expect(collectRows({ b: down }, null)[0]?.stale).toEqual({ lastRead: '2026-12-07T14:00:00.000Z', why: reason });
    expect(collectRows({ b: up }, null)[0]?.stale).toBeUndefined();
  });

  it('refuses a drop onto it with the reason', () => {
    expect(dropRefusal('a', down)).toBe(`libvirt on hvB does not answer: ${reason}`);
    expect(dropRefusal('a', up)).toBeNull();
  });
});
