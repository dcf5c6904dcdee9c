// What each sample of the source's job asks of the engine (sampling.ts, pure): the transfer starting once, post-copy
// seen in the samples, a VM the source lost while our migrate command runs, and a re-attached job that is gone.
import { describe, expect, it } from 'vitest';
import { err, ok } from '../../shared/result';
import { ferryError } from '../../shared/errors';
import { parseDomjobinfo, type DomainJobInfo } from '../../shared/parsers/virsh-domjobinfo';
import type { DerivedJobFigures } from '../../shared/migration/derive';
import type { JobSample } from '../../electron/main/sampler/job-sampler';
import { samplePayload, stepSample, type SampleState } from '../../electron/main/migration/sampling';
import { POSTCOPY, PRECOPY } from './engine-fakes';

function info(text: string): DomainJobInfo {
  const r = parseDomjobinfo(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

let seq = 0;
const sampled = (text: string): JobSample => ({
  seq: seq++,
  at: 1000 + seq,
  latencyMs: 1.234,
  lateMs: 0,
  skippedBefore: 0,
  result: ok({ info: info(text), figures: {} as DerivedJobFigures }),
});
const failed = (code: 'libvirt.no-domain' | 'libvirt.not-running' | 'ssh.unreachable'): JobSample => ({
  seq: seq++,
  at: 1000 + seq,
  latencyMs: 2,
  lateMs: 0,
  skippedBefore: 3,
  result: err(ferryError(code, code)),
});
const fresh = (reattached = false): SampleState => ({ noDomainStreak: 0, transferSeen: false, reattached });
const SETUP = 'Job type:         Unbounded   \nTime elapsed:     218          ms\n';
const NONE = 'Job type:         None        \n';

describe('the sample state machine', () => {
  it('marks the transfer started at the first sample with a memory total, once, and keeps the last running job', () => {
    const run = fresh();
    expect(stepSample(run, sampled(SETUP))).toEqual([]);
    expect(stepSample(run, sampled(PRECOPY))).toEqual(['transfer-started']);
    expect(stepSample(run, sampled(PRECOPY))).toEqual([]);
    expect(run.lastJob?.memoryTotalBytes).toBeGreaterThan(0);
  });

  it('sees post-copy in a sample with pages fetched on demand', () => {
    const run = { ...fresh(), transferSeen: true };
    expect(stepSample(run, sampled(POSTCOPY))).toEqual(['postcopy-seen']);
  });

  it("asks whether the VM vanished at the second 'no domain' in a row only, and starts counting again after an answer", () => {
    const run = fresh();
    expect(stepSample(run, failed('libvirt.no-domain'))).toEqual([]);
    expect(stepSample(run, failed('libvirt.no-domain'))).toEqual(['check-vanished']);
    expect(stepSample(run, failed('libvirt.no-domain'))).toEqual([]);
    expect(stepSample(run, failed('ssh.unreachable'))).toEqual([]);
    expect(stepSample(run, failed('libvirt.no-domain'))).toEqual([]);
    expect(stepSample(run, failed('libvirt.no-domain'))).toEqual(['check-vanished']);
    // 'domain is not running' near the end of our own run is expected, not a vanished VM.
    const ours = fresh();
    expect([...stepSample(ours, failed('libvirt.not-running')), ...stepSample(ours, failed('libvirt.not-running'))]).toEqual([]);
  });

  it('has a re-attached run ask the hosts when the source shows no job, or no running domain twice in a row', () => {
    expect(stepSample(fresh(true), sampled(NONE))).toEqual(['check-followed-end']);
    expect(stepSample(fresh(), sampled(NONE))).toEqual([]);
    const run = fresh(true);
    expect(stepSample(run, failed('libvirt.not-running'))).toEqual([]);
    expect(stepSample(run, failed('libvirt.no-domain'))).toEqual(['check-followed-end']);
    expect(stepSample(run, failed('libvirt.no-domain'))).toEqual(['check-followed-end']);
  });

  it('journals the timing rounded to 0.01 ms, the skipped slots only when there were some, and the error of a failed sample', () => {
    const good = samplePayload(sampled(PRECOPY));
    expect(good).toMatchObject({ latencyMs: 1.23, lateMs: 0 });
    expect(good).not.toHaveProperty('skippedBefore');
    expect(good.info?.type).toBe('unbounded');
    const bad = samplePayload(failed('libvirt.no-domain'));
    expect(bad).toMatchObject({ skippedBefore: 3, error: { code: 'libvirt.no-domain' } });
    expect(bad).not.toHaveProperty('info');
  });
});
