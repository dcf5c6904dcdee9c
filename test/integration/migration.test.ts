// A real live migration on the lab: vm1 (idle, 128 MiB) from hvA to hvB over p2p qemu+ssh, with domjobinfo
// sampled once a second through the same SSH core Ferry uses, every sample parsed, and the final statistics read
// from the destination. Then the failure path: an unreachable destination comes back as libvirt's own error text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { lab, requireLab } from '../lab/use-lab';
import { cancelWatchdog, labHost, startWatchdog, vmReset } from '../lab/lab';
import { SshPool } from '../../electron/main/ssh/pool';
import { fileKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import type { SshTarget } from '../../electron/main/ssh/errors';
import { execRunner, virshRunner } from '../../electron/main/remote/ssh-runner';
import { runCommand } from '../../electron/main/remote/run-command';
import { startJobSampler, type JobSample } from '../../electron/main/sampler/job-sampler';
import { virshDomjobinfo, virshListAll } from '../../shared/commands';
import { buildMigrateCommand } from '../../shared/commands/migrate';

const MiB = 1024 * 1024;

describe.skipIf(!lab)('live migration on the lab', () => {
  let pool: SshPool;
  let hvA: SshTarget;
  let hvB: SshTarget;

  beforeAll(async () => {
    const l = requireLab();
    await vmReset();
    const key = readFileSync(l.clientKey);
    pool = new SshPool({ knownHosts: fileKnownHostsStore(l.knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
    hvA = { host: labHost(l, 'hvA').ip, user: 'root' };
    hvB = { host: labHost(l, 'hvB').ip, user: 'root' };
  });

  afterAll(async () => {
    await pool?.dispose();
    await vmReset();
  });

  it('moves vm1 from hvA to hvB with domjobinfo parsed every second until it completes', async () => {
    // 20 MiB/s makes the ~90 MiB transfer last a few seconds, long enough to see the job at 1 Hz.
    const migrate = buildMigrateCommand({
      domain: 'vm1',
      destinationHost: '10.77.0.12',
      options: { live: true, p2p: true, persistent: true, undefineSource: true, bandwidthMiBps: 20 },
      commandTimeoutMs: 90_000,
    });
    if (!migrate.ok) throw new Error(migrate.error.message);

    // Sampled through one long-lived virsh on the source, as Ferry does.
    const session = virshRunner(pool, hvA);
    const samples: JobSample[] = [];
    const crashes: unknown[] = [];
    const sampler = startJobSampler({
      runner: session,
      domain: 'vm1',
      intervalMs: 1000,
      onSample: (s) => samples.push(s),
      onCrash: (e) => crashes.push(e),
    });
    const watchdog = await startWatchdog('hvA', 'vm1', 60);
    const started = Date.now();
    const result = await runCommand(execRunner(pool, hvA), migrate.value);
    sampler.stop();
    await session.close();
    await cancelWatchdog(watchdog);
    const wallMs = Date.now() - started;

    expect(result.ok, result.ok ? '' : `${result.error.message}\n${result.error.detail ?? ''}`).toBe(true);
    expect(result.ok && result.value.progressLines.at(-1)).toBe('Migration: [100 %]');
    expect(crashes).toEqual([]);

    // Every sample is a parsed job, or one of the two answers libvirt gives around the switch-over.
    const unexpected = samples.filter(
      (s) => !s.result.ok && s.result.error.code !== 'libvirt.not-running' && s.result.error.code !== 'libvirt.no-domain',
    );
    expect(unexpected).toEqual([]);
    const running = samples.flatMap((s) => (s.result.ok && s.result.value.info.type === 'unbounded' ? [s.result.value] : []));
    for (const { info } of running) {
      expect(info.operation).toBe('outgoing-migration');
      expect(info.timeElapsedMs).toBeGreaterThanOrEqual(0);
    }
    // While the job sets up (the p2p connection, QEMU starting on hvB) domjobinfo prints only "Time elapsed"; the
    // memory lines appear once RAM moves. A sample may land in either phase.
    const moving = running.filter((r) => r.info.memoryTotalBytes !== undefined);
    expect(moving.length, `samples: ${samples.length}, running: ${running.length}, wall ${wallMs} ms`).toBeGreaterThanOrEqual(2);
    for (const { info } of moving) {
      expect(info.memoryTotalBytes).toBeGreaterThan(128 * MiB);
      expect(info.memoryTotalBytes).toBeLessThan(130 * MiB);
    }
    // The bandwidth cap shows in what QEMU reports.
    const rates = moving.flatMap((r) => (r.figures.throughputBytesPerSecond === undefined ? [] : [r.figures.throughputBytesPerSecond]));
    expect(rates.length).toBeGreaterThan(0);
    for (const rate of rates) expect(rate).toBeLessThan(25 * MiB);
    const processed = moving.flatMap((r) => (r.info.memoryProcessedBytes === undefined ? [] : [r.info.memoryProcessedBytes]));
    expect(processed).toHaveLength(moving.length);
    expect([...processed].sort((a, b) => a - b)).toEqual(processed);
    // Sampled at 1 Hz: consecutive samples about a second apart.
    const gaps = samples.slice(1).map((s, i) => s.at - (samples[i]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThan(800);

    // Final statistics from the destination (the source forgot the domain: --undefinesource).
    const completed = await runCommand(execRunner(pool, hvB), virshDomjobinfo('vm1', { completed: true, keepCompleted: true }));
    expect(completed.ok).toBe(true);
    if (completed.ok) {
      expect(completed.value).toMatchObject({ type: 'completed', operation: 'incoming-migration' });
      expect(completed.value.totalDowntimeMs).toBeGreaterThanOrEqual(0);
      expect(completed.value.dataProcessedBytes).toBeGreaterThan(10 * MiB);
    }

    const onB = await runCommand(execRunner(pool, hvB), virshListAll());
    const onA = await runCommand(execRunner(pool, hvA), virshListAll());
    expect(onB.ok && onB.value.find((d) => d.name === 'vm1')?.state).toBe('running');
    expect(onA.ok && onA.value.some((d) => d.name === 'vm1')).toBe(false);
  });

  it("reports an unreachable destination with libvirt's own error text", async () => {
    await vmReset();
    const migrate = buildMigrateCommand({
      domain: 'vm1',
      destinationHost: '10.77.0.99',
      options: { live: true, p2p: true },
      commandTimeoutMs: 60_000,
    });
    if (!migrate.ok) throw new Error(migrate.error.message);
    const result = await runCommand(execRunner(pool, hvA), migrate.value);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('libvirt.error');
      expect(result.error.detail).toMatch(/^error: .*10\.77\.0\.99/m);
      expect(result.error.detail).toMatch(/No route to host|Connection refused|Connection timed out/);
    }
    const onA = await runCommand(execRunner(pool, hvA), virshListAll());
    expect(onA.ok && onA.value.find((d) => d.name === 'vm1')?.state).toBe('running');
  });
});
