/**
 * Recognising a split VM after a broken post-copy run, from what `virsh domstate --reason` printed on the lab (the
 * fixtures of the postcopy-split capture group, parsed by the real parser), and whether two hosts can recover it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDomstateReason, type DomainStateReason } from '../../shared/parsers/virsh-domstate';
import { isPostcopySplit, postcopyRecovery, postcopyRiskSentence, POSTCOPY_RECOVERY_LIBVIRT } from '../../shared/migration/postcopy';

/** The parsed state of a captured case; undefined when virsh said the domain is not there (as a caller sees it). */
function state(caseName: string): DomainStateReason | undefined {
  const r = parseDomstateReason(readFileSync(join(__dirname, '..', 'fixtures', 'virsh', `${caseName}.txt`), 'utf8'));
  if (r.ok) return r.value;
  expect(r.error.code).toBe('libvirt.no-domain');
  return undefined;
}

describe('isPostcopySplit on the lab captures', () => {
  const sourceFailed = state('domstate-paused-postcopy-failed');
  const destinationFailed = state('domstate-running-postcopy-failed');

  it('reads both halves of the split as libvirt printed them', () => {
    expect(sourceFailed).toEqual({ state: 'paused', reason: 'post-copy failed', text: 'paused (post-copy failed)' });
    expect(destinationFailed).toEqual({ state: 'running', reason: 'post-copy failed', text: 'running (post-copy failed)' });
  });

  it('is a split when both halves say post-copy failed', () => {
    expect(isPostcopySplit({ source: sourceFailed, destination: destinationFailed })).toBe(true);
  });

  it('is a split when only one half could be asked (the other host unreachable)', () => {
    expect(isPostcopySplit({ source: sourceFailed, destination: undefined })).toBe(true);
    expect(isPostcopySplit({ source: undefined, destination: destinationFailed })).toBe(true);
    // The other half answered, with a state that is not a failure: still split, the failed half says so.
    expect(isPostcopySplit({ source: sourceFailed, destination: state('domstate-running-postcopy') })).toBe(true);
  });

  it('is no split while post-copy still runs, before the switch, or once the resumed run completed', () => {
    expect(isPostcopySplit({ source: state('domstate-paused-postcopy'), destination: state('domstate-running-postcopy') })).toBe(false);
    expect(isPostcopySplit({ source: state('domstate-running-booted'), destination: state('domstate-paused-migrating') })).toBe(false);
    expect(isPostcopySplit({ source: state('domstate-error-no-domain-source-after-resume'), destination: state('domstate-running-migrated') })).toBe(false);
    expect(isPostcopySplit({ source: undefined, destination: undefined })).toBe(false);
  });
});

describe('postcopyRecovery: libvirt 8.5.0 and later on both hosts', () => {
  const host = (name: string, libvirtVersion?: string) => ({ name, libvirtVersion });

  it('names 8.5.0 as the boundary', () => {
    expect(POSTCOPY_RECOVERY_LIBVIRT).toBe('8.5.0');
  });

  it('is recoverable at exactly 8.5.0 and above (the lab runs 9.0.0)', () => {
    expect(postcopyRecovery(host('hvA', '8.5.0'), host('hvB', '8.5.0'))).toEqual({ kind: 'recoverable' });
    expect(postcopyRecovery(host('hvA', '9.0.0'), host('hvB', '10.0'))).toEqual({ kind: 'recoverable' });
    // Compared as numbers, not text: 8.10 is later than 8.5.
    expect(postcopyRecovery(host('hvA', '8.10.0'), host('hvB', '9.0.0'))).toEqual({ kind: 'recoverable' });
  });

  it('is not recoverable when either host runs 8.4.x, naming that host and its version', () => {
    expect(postcopyRecovery(host('hvA', '8.4.0'), host('hvB', '9.0.0'))).toEqual({ kind: 'not-recoverable', hosts: [{ name: 'hvA', version: '8.4.0' }] });
    expect(postcopyRecovery(host('hvA', '9.0.0'), host('hvB', '8.4.99'))).toEqual({ kind: 'not-recoverable', hosts: [{ name: 'hvB', version: '8.4.99' }] });
    expect(postcopyRecovery(host('hvA', '8.4.0'), host('hvB', '7.0.0'))).toEqual({
      kind: 'not-recoverable',
      hosts: [
        { name: 'hvA', version: '8.4.0' },
        { name: 'hvB', version: '7.0.0' },
      ],
    });
  });

  it('is unknown when a version is missing or not a version, even if the other host is old', () => {
    expect(postcopyRecovery(host('hvA'), host('hvB', '9.0.0'))).toEqual({ kind: 'unknown', hosts: ['hvA'] });
    expect(postcopyRecovery(host('hvA', '9.0.0-4+deb12u2'), host('hvB', ''))).toEqual({ kind: 'unknown', hosts: ['hvA', 'hvB'] });
    expect(postcopyRecovery(host('hvA', '8.4.0'), host('hvB'))).toEqual({ kind: 'unknown', hosts: ['hvB'] });
  });
});

describe('postcopyRiskSentence', () => {
  it('says the risk in every case, and what recovery depends on', () => {
    const recoverable = postcopyRiskSentence({ kind: 'recoverable' });
    const old = postcopyRiskSentence({ kind: 'not-recoverable', hosts: [{ name: 'hvA', version: '8.4.0' }] });
    const unknown = postcopyRiskSentence({ kind: 'unknown', hosts: ['hvB'] });
    for (const s of [recoverable, old, unknown]) {
      expect(s).toMatch(/^If the migration connection breaks during post-copy, the VM is split/);
      expect(s).toContain('8.5.0');
      expect(s.endsWith('.')).toBe(true);
    }
    expect(recoverable).toContain('Ferry can resume it');
    expect(old).toContain('hvA runs libvirt 8.4.0');
    expect(old).toContain('cannot be resumed');
    expect(old).toContain('the VM would be lost');
    expect(unknown).toContain('the libvirt version of hvB is not known');
    expect(unknown).not.toContain('Ferry can resume it');
  });

  it('names both old hosts', () => {
    const s = postcopyRiskSentence(postcopyRecovery({ name: 'hvA', libvirtVersion: '8.4.0' }, { name: 'hvB', libvirtVersion: '8.0.0' }));
    expect(s).toContain('hvA runs libvirt 8.4.0 and hvB runs libvirt 8.0.0');
  });
});
