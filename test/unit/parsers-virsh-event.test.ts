// virsh event: the job-completed event's statistics (the only copy libvirt 9.0 keeps of a post-copy run's) read
// like domjobinfo --rawstats, the switch's lifecycle event with its time, and garbled text as typed errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLifecycle, jobCompletedInfo, parseVirshEvents } from '../../shared/parsers/virsh-event';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'virsh', name), 'utf8');

describe('virsh event', () => {
  it("reads the source's job-completed event of a post-copy run as completed statistics, exact integers", () => {
    const r = parseVirshEvents(fixture('event-job-completed-postcopy.txt'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.events).toHaveLength(1);
    expect(r.value.received).toBe(1);
    const e = r.value.events[0]!;
    expect(e.at).toBe(Date.UTC(2026, 11, 7, 14, 51, 20, 196));
    const info = jobCompletedInfo(e);
    expect(info).toEqual({
      ok: true,
      value: expect.objectContaining({
        format: 'raw',
        type: 'completed',
        operation: 'outgoing-migration',
        timeElapsedMs: 18185,
        totalDowntimeMs: 11,
        downtimeWithoutNetworkMs: 5,
        dataProcessedBytes: 164381514,
        memoryTotalBytes: 268967936,
        postcopyRequests: 1,
      }),
    });
  });

  it('finds the switch to post-copy among all the events, at the time libvirt sent it', () => {
    const r = parseVirshEvents(fixture('event-all-postcopy.txt'));
    if (!r.ok) throw new Error(r.error.message);
    const sw = r.value.events.find((e) => isLifecycle(e, 'Suspended Post-copy'));
    expect(sw?.at).toBe(Date.UTC(2026, 11, 7, 13, 59, 14, 399));
    expect(r.value.events.map((e) => e.event)).toEqual(['migration-iteration', 'lifecycle', 'lifecycle', 'migration-iteration', 'lifecycle', 'job-completed']);
  });

  it('a listener that timed out received nothing (not an error, not a zero)', () => {
    expect(parseVirshEvents(fixture('event-timeout-no-event.txt'))).toEqual({ ok: true, value: { events: [], received: 0, timedOut: true } });
  });

  it('the listener started with --loop and ended by a signal has no count line, and its event reads the same', () => {
    const r = parseVirshEvents(fixture('event-job-completed-postcopy-loop.txt'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.received).toBeUndefined();
    const info = jobCompletedInfo(r.value.events[0]!);
    expect(info.ok && info.value.timeElapsedMs).toBe(15075);
  });

  it("virsh's own error is a typed libvirt error", () => {
    const r = parseVirshEvents(fixture('event-error-no-domain.txt'));
    expect(r.ok ? undefined : r.error.code).toBe('libvirt.no-domain');
  });

  it('garbled output is a typed parse error naming the line', () => {
    const text = fixture('event-job-completed-postcopy.txt');
    const cases: [string, string][] = [
      ['<html>502 Bad Gateway</html>\n', '<html>'],
      ['\toperation: 5\n', 'operation: 5'],
      [text.replace("event 'job-completed' for domain 'vmd':", "evnt 'job-completed' for domain 'vmd':"), 'evnt'],
      [text.replace('events received: 1', 'events received: 2'), ''],
    ];
    for (const [input, offending] of cases) {
      const r = parseVirshEvents(input);
      expect(r.ok, input).toBe(false);
      if (r.ok) continue;
      expect(r.error.code).toMatch(/^parse\./);
      expect(r.error.detail ?? '').toContain(offending);
    }
  });

  it('statistics cut or garbled in the event are a parse error, never a zero', () => {
    const text = fixture('event-job-completed-postcopy.txt');
    for (const bad of [text.replace('downtime: 11', 'downtime: eleven'), text.replace('time_elapsed: 18185', 'time_elapsed: -1'), text.replace('\toperation: 5', '\toperation: 99')]) {
      const r = parseVirshEvents(bad);
      if (!r.ok) throw new Error(r.error.message);
      const info = jobCompletedInfo(r.value.events[0]!);
      expect(info.ok).toBe(false);
      if (!info.ok) expect(info.error.code).toMatch(/^parse\./);
    }
    const bare = parseVirshEvents("2026-12-07 14:51:20.196+0000: event 'job-completed' for domain 'vmd':\n");
    if (!bare.ok) throw new Error(bare.error.message);
    const none = jobCompletedInfo(bare.value.events[0]!);
    expect(none.ok ? undefined : none.error.code).toBe('parse.unrecognised');
  });
});
