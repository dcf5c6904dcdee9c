// The migration engine against scripted hosts: what it runs where, what it journals, how it ends (completed with
// the destination's statistics after --undefinesource, failed with libvirt's text and the libvirtd log behind an
// "End of file" mask, aborted, a VM that vanished), and reconciliation after a restart.
import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunOutput } from '../../electron/main/remote/run-command';
import { Journal, JOURNAL_FILE, parseJournal } from '../../electron/main/migration/journal';
import type { MigrationHostRef } from '../../electron/main/migration/record';
import { engineFixture, hvA, hvB, out, scriptedHosts, type Script } from './engine-fakes';

const RUNNING = (ms: number) =>
  `Job type:         Unbounded   \nOperation:        Outgoing migration\nTime elapsed:     ${ms}         ms\nMemory processed: 3.004 MiB\nMemory remaining: 124.574 MiB\nMemory total:     128.508 MiB\nMemory bandwidth: 10.020 MiB/s\nDirty rate:       0            pages/s\nPage size:        4096         bytes\nIteration:        1\nExpected downtime: 300          ms\n`;
const COMPLETED = (op: string) =>
  `Job type:         Completed   \nOperation:        ${op}\nTime elapsed:     4712         ms\nData processed:   86.941 MiB\nData remaining:   0.000 B\nData total:       128.508 MiB\nMemory processed: 86.941 MiB\nMemory remaining: 0.000 B\nMemory total:     128.508 MiB\nTotal downtime:   209          ms\n`;
const NO_DOMAIN = "error: failed to get domain 'vm1'\n";
const LIST = (rows: string[]) => ` Id   Name   State\n----------------------\n${rows.join('\n')}\n\n`;

/** A migrate command that ends when `finish` is called (or fails when its signal aborts). */
function pendingMigrate(): { reply: (signal?: AbortSignal) => Promise<RunOutput>; finish: (o: RunOutput) => void } {
  let resolve: (o: RunOutput) => void = () => undefined;
  const p = new Promise<RunOutput>((r) => (resolve = r));
  return {
    reply: (signal) => {
      signal?.addEventListener('abort', () => resolve(out('', 'error: operation failed: cancelled by Ferry\n', 1)));
      return p;
    },
    finish: (o) => resolve(o),
  };
}

const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '+0000');

const engines = engineFixture('ferry-engine-');

async function engineWith(script: Script, tuning: { sourceChannels?: number } = {}) {
  const hosts = scriptedHosts(script);
  let n = 0;
  const { engine, journal, updates, dir } = await engines.open(hosts, { newId: () => `m${++n}`, ...tuning });
  return { engine, hosts, journal, updates, dir };
}

describe('migration engine', () => {
  it('runs migrate on the source, samples through one virsh session, and reads completed stats on the destination after --undefinesource', async () => {
    const m = pendingMigrate();
    let t = 0;
    const { engine, hosts, journal, updates, dir: d } = await engineWith((host, argv, signal) => {
      const verb = argv[3];
      if (verb === 'migrate') return m.reply(signal);
      if (verb === 'domjobinfo' && argv.includes('--completed')) return host === 'hvB' ? out(COMPLETED('Incoming migration')) : out('', NO_DOMAIN, 1);
      if (verb === 'domjobinfo') return out(RUNNING((t += 100)));
      if (verb === 'migrate-setmaxdowntime') return out('\n');
      return out('', 'error: unexpected\n', 1);
    });
    const started = await engine.start({ vm: 'vm1', source: hvA, destination: hvB, options: { live: true, p2p: true, persistent: true, undefineSource: true, maxDowntimeMs: 500 }, intervalMs: 100 });
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    expect(started.value.commandLine).toMatch(/'migrate' '--verbose' '--live' '--p2p' '--persistent' '--undefinesource' '--domain' 'vm1' '--desturi' 'qemu\+ssh:\/\/10\.77\.0\.12\/system'\n.*'migrate-setmaxdowntime'/);
    await vi.waitFor(() => expect(engine.record(started.value.id)?.samples.length).toBeGreaterThanOrEqual(2));
    m.finish(out('Migration: [100 %]\n'));
    const rec = await engine.settled(started.value.id);
    expect(rec?.state).toBe('completed');
    expect(rec?.end?.final).toMatchObject({ readOn: 'destination', totalTimeMs: 4712, downtimeMs: 209 });
    expect(rec?.end?.final?.dataSentBytes).toBeCloseTo(86.941 * 1048576, -3);
    expect(rec?.end?.message).toMatch(/vm1 runs on hvB/);
    expect(rec?.samples.length).toBeGreaterThanOrEqual(2);
    expect(rec?.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['phase', 'control', 'command-ended']));
    // Samples only through the session, the migrate and the completed stats through exec channels.
    expect(hosts.calls.filter((c) => c.includes('virsh virsh') && !c.startsWith('hvA virsh'))).toEqual([]);
    expect(hosts.calls).toContain('hvA exec virsh --connect qemu:///system migrate-setmaxdowntime --domain vm1 --downtime 500');
    expect(hosts.calls).toContain('hvB exec virsh --connect qemu:///system domjobinfo --domain vm1 --completed --keep-completed');
    expect(hosts.closed).toBe(1);
    expect(updates[0]?.kind).toBe('started');
    expect(updates.at(-1)?.kind).toBe('ended');
    await journal.close();
    const lines = parseJournal(readFileSync(join(d, JOURNAL_FILE), 'utf8')).lines;
    expect(lines[0]?.type).toBe('start');
    expect(lines.at(-1)?.type).toBe('end');
    expect(lines.filter((l) => l.type === 'sample').length).toBe(rec?.samples.length);
  });

  it("fails with libvirt's text and the source libvirtd log's error lines behind an End-of-file mask", async () => {
    const { engine } = await engineWith((_host, argv) => {
      if (argv[3] === 'migrate') return out('', 'error: End of file while reading data: : Input/output error\n', 1);
      if (argv[0] === 'tail') return out(`2026-11-24 19:00:00.000+0000: 123: error : old failure of another job\n${stamp(Date.now())}: 123: error : qemuMonitorJSONCheckError:382 : internal error: unable to execute QEMU command 'object-add': certificate has no known issuer\n`);
      if (argv[3] === 'list') return out(LIST([' 1    vm1    running']));
      return out(RUNNING(100));
    });
    const s = await engine.start({ vm: 'vm1', source: hvA, destination: hvB, options: { live: true, p2p: true, tls: true }, intervalMs: 100 });
    if (!s.ok) throw new Error(s.error.message);
    const rec = await engine.settled(s.value.id);
    expect(rec?.state).toBe('failed');
    expect(rec?.end?.message).toBe('Migration failed: error: End of file while reading data: : Input/output error');
    expect(rec?.end?.error?.detail).toMatch(/libvirtd.log[\s\S]*certificate has no known issuer/);
    expect(rec?.end?.error?.detail).not.toMatch(/old failure/);
  });

  it('aborts on request: domjobabort on the source, the record ends aborted', async () => {
    const m = pendingMigrate();
    const { engine, hosts } = await engineWith((_host, argv, signal) => {
      if (argv[3] === 'migrate') return m.reply(signal);
      if (argv[3] === 'domjobabort') {
        setTimeout(() => m.finish(out('', "error: operation aborted: job 'migration out' canceled by client\n", 1)), 20);
        return out('\n');
      }
      return out(RUNNING(100));
    });
    const s = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: { live: true, p2p: true }, intervalMs: 100 });
    if (!s.ok) throw new Error(s.error.message);
    const postcopy = await engine.control(s.value.id, { kind: 'postcopy' });
    expect(postcopy.ok).toBe(false); // not started with --postcopy
    expect((await engine.control(s.value.id, { kind: 'abort' })).ok).toBe(true);
    const rec = await engine.settled(s.value.id);
    expect(rec?.state).toBe('aborted');
    expect(rec?.end?.message).toBe('Migration aborted; vmd stays on hvA.');
    expect(rec?.events.filter((e) => e.kind === 'control-failed')).toHaveLength(1);
    // Through the source's virsh session: an exec channel may be queued behind running migrations.
    expect(hosts.calls).toContain('hvA virsh virsh --connect qemu:///system domjobabort --domain vmd');
  });

  it('ends a migration whose VM vanished from the source within two samples, keeping the record', async () => {
    const m = pendingMigrate();
    let gone = false;
    const { engine } = await engineWith((_host, argv, signal) => {
      if (argv[3] === 'migrate') return m.reply(signal); // never ends on its own: the engine must stop it
      if (argv[3] === 'list') return out(LIST([]));
      return gone ? out('', "error: failed to get domain 'vmd'\n", 1) : out(RUNNING(100));
    });
    const s = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: { live: true, p2p: true }, intervalMs: 100 });
    if (!s.ok) throw new Error(s.error.message);
    const id = s.value.id;
    await vi.waitFor(() => expect(engine.record(id)?.samples.some((x) => x.info !== undefined)).toBe(true));
    gone = true;
    const rec = await engine.settled(id);
    // Within about a sample period: the first sample that finds no domain ends it, not a timeout.
    expect(rec?.samples.filter((x) => x.error !== undefined).length).toBeLessThanOrEqual(2);
    expect(rec?.state).toBe('failed');
    expect(rec?.end?.message).toMatch(/vmd disappeared from hvA during the migration and is not running on hvB/);
    expect(rec?.events.some((e) => e.kind === 'vm-vanished')).toBe(true);
  });

  it('refuses options libvirt would refuse, before running or recording anything', async () => {
    const { engine, hosts } = await engineWith(() => out(''));
    const s = await engine.start({ vm: 'vm1', source: hvA, destination: hvB, options: { tunnelled: true, parallel: true, p2p: true, live: true } });
    expect(s.ok).toBe(false);
    expect(hosts.calls).toEqual([]);
    expect(engine.records()).toEqual([]);
  });

  it('refuses a migration beyond the SSH channels to its source with the reason, before running or recording it; other sources are not limited', async () => {
    const pending = new Map<string, ReturnType<typeof pendingMigrate>>();
    const { engine, hosts } = await engineWith(
      (host, argv, signal) => {
        if (argv[3] === 'migrate') {
          const vm = argv[argv.indexOf('--domain') + 1] ?? '';
          const m = pendingMigrate();
          pending.set(`${host}/${vm}`, m);
          return m.reply(signal);
        }
        if (argv[3] === 'list') return out(LIST([' 1    vm1    running', ' 2    vm2    running', ' 3    vm3    running']));
        return out(RUNNING(100));
      },
      { sourceChannels: 3 },
    );
    const go = (vm: string, from: MigrationHostRef, to: MigrationHostRef) => engine.start({ vm, source: from, destination: to, options: { live: true, p2p: true }, intervalMs: 100 });
    const a1 = await go('vm1', hvA, hvB);
    const a2 = await go('vm2', hvA, hvB);
    expect(a1.ok && a2.ok).toBe(true);
    const callsBefore = hosts.calls.filter((c) => c.includes(' migrate ')).length;
    const refused = await go('vm3', hvA, hvB);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toBe('hvA already has 2 migrations running from this Ferry, holding 2 of the 3 SSH channels Ferry opens to one host (one more is its virsh session). Start vm3 when one of them has ended.');
    expect(engine.records().map((r) => r.start?.vm)).toEqual(['vm1', 'vm2']);
    const fromB = await go('vm9', hvB, hvA);
    expect(fromB.ok).toBe(true);
    await vi.waitFor(() => expect(pending.has('hvB/vm9')).toBe(true));
    expect(hosts.calls.filter((c) => c.includes(' migrate ')).length).toBe(callsBefore + 1); // only vm9's
    // One ends: the next one from hvA starts.
    pending.get('hvA/vm1')?.finish(out('', 'error: operation failed: job cancelled\n', 1));
    if (a1.ok) await engine.settled(a1.value.id);
    const again = await go('vm3', hvA, hvB);
    expect(again.ok).toBe(true);
    await vi.waitFor(() => expect(pending.has('hvA/vm3')).toBe(true));
    for (const m of pending.values()) m.finish(out('', 'error: operation failed: job cancelled\n', 1));
    for (const r of [a2, fromB, again]) if (r.ok) await engine.settled(r.value.id);
  });

  it('journals a warning with the start that leaves the source libvirtd one worker at its default pool, and runs it', async () => {
    const pending: ReturnType<typeof pendingMigrate>[] = [];
    const { engine } = await engineWith((_host, argv, signal) => {
      if (argv[3] !== 'migrate') return out(RUNNING(100));
      const m = pendingMigrate();
      pending.push(m);
      return m.reply(signal);
    });
    const ids: string[] = [];
    for (let i = 1; i <= 19; i++) {
      const s = await engine.start({ vm: `g${i}`, source: hvA, destination: hvB, options: { live: true, p2p: true }, intervalMs: 100 });
      if (!s.ok) throw new Error(s.error.message);
      ids.push(s.value.id);
    }
    const warnings = (id: string | undefined) => (engine.record(id ?? '')?.events ?? []).filter((e) => e.kind === 'warning').map((e) => e.message);
    await vi.waitFor(() => expect(warnings(ids[18])).toEqual([expect.stringMatching(/^hvA now runs 19 migrations from this Ferry\. .* Raise max_workers on hvA/)]));
    expect(ids.slice(0, 18).flatMap(warnings)).toEqual([]);
    await vi.waitFor(() => expect(pending.length).toBe(19));
    for (const m of pending) m.finish(out('', 'error: operation failed: job cancelled\n', 1));
    await Promise.all(ids.map((id) => engine.settled(id)));
  });

  it('reconciles migrations left without an end: completed, failed, unknown with the reason', async () => {
    const j0 = await Journal.open({ dataDir: engines.dataDir() });
    const start = (vm: string) => ({ vm, source: hvA, destination: hvB, options: {}, argv: [], commandLine: '', intervalMs: 1000 });
    await j0.append({ type: 'start', id: 'done', at: 1, start: start('vm1') });
    await j0.append({ type: 'start', id: 'stayed', at: 2, start: start('vmd') });
    await j0.append({ type: 'start', id: 'lost', at: 3, start: start('vmx') });
    await j0.append({ type: 'start', id: 'ended', at: 4, start: start('vm1') });
    await j0.append({ type: 'end', id: 'ended', at: 5, end: { state: 'completed', message: 'ok' } });
    await j0.close();
    const { engine, journal } = await engines.open(
      scriptedHosts((host, argv) => {
      if (argv[3] === 'list') return host === 'hvA' ? out(LIST([' 2    vmd    running'])) : out(LIST([' 3    vm1    running']));
      if (argv[3] === 'domjobinfo' && argv.includes('--completed')) return out(COMPLETED('Incoming migration'));
      if (argv[3] === 'domjobinfo') return out('Job type:         None        \n');
        return out('');
      }),
    );
    const recs = await engine.reconcile();
    expect(recs.map((r) => [r.id, r.state, r.end?.reconciled])).toEqual([
      ['done', 'completed', true],
      ['stayed', 'failed', true],
      ['lost', 'unknown', true],
    ]);
    expect(recs[2]?.end?.message).toBe(
      'vmx runs on neither hvA (not defined) nor hvB (not defined): it stopped during the migration or was moved by someone else, so Ferry cannot tell how the migration ended.',
    );
    expect(recs[1]?.end?.message).toBe('vmd still runs on hvA with no migration job after a restart: the migration did not complete, and libvirt kept no error text for it.');
    // Ended before the restart: left alone, in the history as it was (the engine holds only the records it follows).
    expect(engine.record('ended')).toBeUndefined();
    expect((await journal.heads()).find((h) => h.id === 'ended')?.state).toBe('completed');
    // 'lost' stays unknown and is asked again; the settled ones are not.
    expect((await engine.reconcile()).map((r) => [r.id, r.state])).toEqual([['lost', 'unknown']]);
  });
});

describe('virsh migrate output', () => {
  it("finds libvirt's error glued to the last --verbose progress mark (no newline between them)", async () => {
    const { parseMigrateOutput } = await import('../../shared/commands/migrate');
    const text = "\n\rMigration: [  0 %]\rMigration: [  9 %]\rMigration: [ 10 %]error: operation aborted: job 'migration out' canceled by client\n";
    const r = parseMigrateOutput(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.detail).toBe("error: operation aborted: job 'migration out' canceled by client");
    const done = parseMigrateOutput('\rMigration: [  0 %]\rMigration: [ 64 %]\rMigration: [100 %]\n');
    expect(done.ok && done.value.progressLines).toEqual(['Migration: [  0 %]', 'Migration: [ 64 %]', 'Migration: [100 %]']);
  });
});
