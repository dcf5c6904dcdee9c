// The pure decisions of a post-copy run whose connection broke: the resume command built from the journalled
// start, whether the VM is split from both hosts' `virsh domstate --reason` (the texts the lab showed, libvirt
// 9.0), the sentences, what a start of Ferry does with such a record, and what controls a split VM refuses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ferryError } from '../../shared/errors';
import { err } from '../../shared/result';
import { destinationUri, migrateArgv, parseDestinationUri, postcopyResumeArgv, type MigrateSpec } from '../../shared/commands/migrate';
import { parseDomstateReason } from '../../shared/parsers/virsh-domstate';
import { parseVirshHelp } from '../../shared/parsers/virsh-help';
import type { MigrationOptions } from '../../shared/migration/options';
import {
  heldOnSource,
  interruptedEvent,
  reconcilePostcopy,
  resumeFailedEvent,
  resumePlan,
  splitControlRefusal,
  splitOf,
  splitRecordOf,
  type SplitPlace,
  type SplitReading,
} from '../../electron/main/migration/postcopy-recovery';
import type { MigrationRecord, MigrationStartPayload } from '../../electron/main/migration/record';

const hvA = { id: 'a', name: 'hvA', address: '10.77.0.11' };
const hvB = { id: 'b', name: 'hvB', address: '10.77.0.12' };
const place: SplitPlace = { vm: 'vmd', destinationName: 'vmd', source: hvA, destination: hvB };

/** The options of the lab run that was split and then resumed by hand (exit 0, vmd running on hvB only). */
const LAB: MigrationOptions = {
  live: true,
  p2p: true,
  persistent: true,
  undefineSource: true,
  postcopy: true,
  postcopyBandwidthMiBps: 1,
  bandwidthMiBps: 8,
  migrateUri: 'tcp://10.77.2.12',
};
const spec = (options: MigrationOptions, more: Partial<MigrateSpec> = {}): MigrateSpec => ({ domain: 'vmd', destinationHost: '10.77.0.12', options, ...more });

function startOf(s: MigrateSpec): MigrationStartPayload {
  const argv = migrateArgv(s);
  if (!argv.ok) throw new Error(argv.error.message);
  return { vm: s.domain, source: hvA, destination: hvB, options: s.options as Record<string, unknown>, argv: argv.value, commandLine: argv.value.join(' '), intervalMs: 500 };
}
const record = (start: MigrationStartPayload | undefined, state: MigrationRecord['state'] = 'post-copy-interrupted'): MigrationRecord => ({
  id: 'm-1',
  ...(start ? { start } : {}),
  samples: [],
  events: [],
  state,
});

// What each host said on the lab (`virsh domstate --reason vmd`).
const said = (text: string) => parseDomstateReason(`${text}\n`);
const NO_DOMAIN = parseDomstateReason("error: failed to get domain 'vmd'\n");
const SPLIT: SplitReading = { source: said('paused (post-copy failed)'), destination: said('running (post-copy failed)') };

describe('the resume command', () => {
  it('is the start with --postcopy-resume: the lab run that finished the split VM', () => {
    expect(postcopyResumeArgv(spec(LAB))).toEqual({
      ok: true,
      value: [
        'virsh', '--connect', 'qemu:///system', 'migrate', '--verbose', '--live', '--p2p', '--persistent', '--undefinesource',
        '--postcopy', '--postcopy-resume', '--migrateuri', 'tcp://10.77.2.12', '--postcopy-bandwidth', '1', '--bandwidth', '8',
        '--domain', 'vmd', '--desturi', 'qemu+ssh://10.77.0.12/system',
      ],
    });
  });

  it('drops what only steers the pre-copy phase, and every word it emits is in virsh help migrate', () => {
    const argv = postcopyResumeArgv(spec({ ...LAB, timeoutSec: 30, timeoutAction: 'postcopy', postcopyAfterPrecopy: true }));
    if (!argv.ok) throw new Error(argv.error.message);
    expect(argv.value).not.toContain('--timeout');
    expect(argv.value).not.toContain('--timeout-postcopy');
    expect(argv.value).not.toContain('--postcopy-after-precopy');
    const help = parseVirshHelp(readFileSync(join(__dirname, '..', 'fixtures', 'virsh', 'help-migrate.txt'), 'utf8'));
    if (!help.ok) throw new Error(help.error.message);
    const names = new Set(help.value.options.map((o) => `--${o.name}`));
    for (const w of argv.value.slice(4).filter((x) => x.startsWith('--'))) expect(names, w).toContain(w);
  });

  it('is refused for a run that was not allowed to switch to post-copy', () => {
    const r = postcopyResumeArgv(spec({ live: true, p2p: true }));
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error.message).toMatch(/post-copy option/);
  });

  it('reaches the destination exactly as the start did (user and SSH port read back from the journalled argv)', () => {
    const start = startOf(spec(LAB, { destinationUser: 'ferry', destinationPort: 2222, destinationHost: 'hvb.lab' }));
    const plan = resumePlan(record(start));
    if (!plan.ok) throw new Error(plan.error.message);
    expect(plan.value.command.argv.slice(-4)).toEqual(['--domain', 'vmd', '--desturi', 'qemu+ssh://ferry@hvb.lab:2222/system']);
    expect(plan.value.commandLine).toBe(
      "'env' 'LC_ALL=C' 'virsh' '--connect' 'qemu:///system' 'migrate' '--verbose' '--live' '--p2p' '--persistent' '--undefinesource' '--postcopy' '--postcopy-resume' '--migrateuri' 'tcp://10.77.2.12' '--postcopy-bandwidth' '1' '--bandwidth' '8' '--domain' 'vmd' '--desturi' 'qemu+ssh://ferry@hvb.lab:2222/system'",
    );
  });

  it('cannot be built without the start, or from a start whose destination URI is not one Ferry writes', () => {
    expect(resumePlan(record(undefined)).ok).toBe(false);
    const odd = { ...startOf(spec(LAB)), argv: ['virsh', 'migrate', '--domain', 'vmd', '--desturi', 'qemu+tcp://10.77.0.12/system'] };
    const r = resumePlan(record(odd));
    expect(r.ok ? '' : r.error.message).toMatch(/destination URI/);
  });

  it('parseDestinationUri reads back what destinationUri writes, and nothing else', () => {
    for (const [host, user, port] of [['10.77.0.12'], ['hvb.lab', 'root'], ['fd00::12', 'ferry', 2222], ['10.77.0.12', undefined, 22]] as const) {
      const uri = destinationUri(host, user, port);
      if (!uri.ok) throw new Error(uri.error.message);
      const back = parseDestinationUri(uri.value);
      expect(back?.host).toBe(host);
      expect(back?.user).toBe(user);
      expect(back?.port).toBe(port === 22 ? undefined : port);
    }
    for (const bad of ['qemu+ssh://10.77.0.12/session', 'qemu+tcp://10.77.0.12/system', 'qemu+ssh://a b/system', 'qemu+ssh://x@y@z/system', 'qemu+ssh://h:0/system']) {
      expect(parseDestinationUri(bad), bad).toBeUndefined();
    }
  });
});

describe('the split, from both hosts', () => {
  it('is the lab pair: paused (post-copy failed) on the source, running (post-copy failed) on the destination', () => {
    expect(splitOf(SPLIT)).toEqual({ source: 'paused (post-copy failed)', destination: 'running (post-copy failed)' });
  });

  it('is one half saying post-copy failed, the other unreadable (its reason given)', () => {
    const split = splitOf({ source: said('paused (post-copy failed)'), destination: err(ferryError('ssh.unreachable', 'hvB cannot be reached.')) });
    expect(split).toEqual({ source: 'paused (post-copy failed)', destination: 'not readable: hvB cannot be reached.' });
  });

  it('is not a VM that arrived, stayed home, or cannot be read on either host', () => {
    expect(splitOf({ source: NO_DOMAIN, destination: said('running (migrated)') })).toBeUndefined();
    expect(splitOf({ source: said('running (migration canceled)'), destination: NO_DOMAIN })).toBeUndefined();
    expect(splitOf({ source: said('paused (post-copy)'), destination: said('running (post-copy)') })).toBeUndefined();
    expect(splitOf({ source: err(ferryError('ssh.unreachable', 'x')), destination: err(ferryError('ssh.unreachable', 'y')) })).toBeUndefined();
  });

  it('says where each half is and what to do', () => {
    const split = splitOf(SPLIT);
    if (!split) throw new Error('not split');
    const e = interruptedEvent(place, split, 'broke');
    expect(e.kind).toBe('post-copy-interrupted');
    expect(e.split).toEqual(split);
    expect(e.message).toBe(
      'The connection broke during post-copy: vmd runs on hvB while part of its memory is still on hvA (paused). Resume post-copy to finish it.',
    );
    expect(interruptedEvent(place, split, 'restart').message).toMatch(/^Found after a restart: the migration broke during post-copy: vmd runs on hvB/);
    const paused = interruptedEvent(place, { source: 'paused (post-copy failed)', destination: 'paused (post-copy failed)' }, 'broke');
    expect(paused.message).toContain('vmd is paused on hvB while');
  });

  it('says what the source still holds when its job tells, nothing otherwise', () => {
    const job = { format: 'human', type: 'unbounded', memoryRemainingBytes: 20.035 * 1048576, memoryTotalBytes: 256.508 * 1048576 } as const;
    expect(heldOnSource(place, { sourceJob: { ok: true, value: job } })).toBe("hvA still holds 20.0 MiB of vmd's memory (of 256.5 MiB), as its migration job says.");
    expect(heldOnSource(place, { sourceJob: { ok: true, value: { format: 'human', type: 'none' } } })).toBeUndefined();
    expect(heldOnSource(place, { sourceJob: err(ferryError('ssh.unreachable', 'x')) })).toBeUndefined();
    expect(heldOnSource(place, {})).toBeUndefined();
  });

  it('a failed resume keeps libvirt\'s words and the split', () => {
    const split = splitOf(SPLIT);
    if (!split) throw new Error('not split');
    const error = ferryError('libvirt.error', 'End of file while reading data', 'Migration: [ 92 %]\nerror: End of file while reading data: : Input/output error');
    const e = resumeFailedEvent(place, split, error);
    expect(e.kind).toBe('post-copy-resume-failed');
    expect(e.error).toBe(error);
    expect(e.split).toEqual(split);
    expect(e.message).toMatch(/^Resuming post-copy failed \(End of file while reading data: : Input\/output error\): vmd runs on hvB/);
  });
});

describe('controls on a split VM', () => {
  it('an abort is refused because it would lose the VM; other controls because no job runs', () => {
    expect(splitControlRefusal(place, { kind: 'abort' }).message).toBe(
      'vmd is split between hvA and hvB since post-copy broke: neither host holds all of its memory, so aborting would lose the VM. Resume post-copy to finish the migration.',
    );
    for (const c of [{ kind: 'postcopy' }, { kind: 'set-speed', mibPerSecond: 5 }, { kind: 'set-max-downtime', ms: 300 }] as const) {
      expect(splitControlRefusal(place, c).message).toMatch(/no running migration to change\. Resume post-copy/);
    }
  });
});

describe('a new migration of a split VM', () => {
  it('is blocked on either host of the split, for the VM or its destination name, and only while it is split', () => {
    const start = startOf(spec(LAB));
    const recs = [record(start, 'completed'), { ...record(start), id: 'm-2' }];
    expect(splitRecordOf(recs, 'vmd', hvA)?.id).toBe('m-2');
    expect(splitRecordOf(recs, 'vmd', hvB)?.id).toBe('m-2');
    expect(splitRecordOf(recs, 'vm1', hvA)).toBeUndefined();
    expect(splitRecordOf(recs, 'vmd', { id: 'c', name: 'hvC', address: '10.77.1.13' })).toBeUndefined();
    expect(splitRecordOf([record(start, 'completed')], 'vmd', hvA)).toBeUndefined();
    const renamed = { ...record(startOf(spec({ ...LAB, dname: 'vmd-new' }))), id: 'm-3' };
    expect(splitRecordOf([renamed], 'vmd-new', hvB)?.id).toBe('m-3');
  });
});

describe('a start of Ferry', () => {
  const unreachable = err(ferryError('ssh.unreachable', 'hvB cannot be reached.'));
  it('notes a split run it did not know was interrupted; one already interrupted stays so (no second event)', () => {
    expect(reconcilePostcopy({ state: 'running' }, SPLIT)).toBe('note-interrupted');
    expect(reconcilePostcopy({ state: 'post-copy-interrupted' }, SPLIT)).toBe('stays-interrupted');
  });

  it('asks the hosts when the VM is whole (resumed by hand: gone from the source, running on the destination)', () => {
    const whole: SplitReading = { source: NO_DOMAIN, destination: said('running (migrated)') };
    expect(reconcilePostcopy({ state: 'post-copy-interrupted' }, whole)).toBe('ask-hosts');
    expect(reconcilePostcopy({ state: 'running' }, whole)).toBe('ask-hosts');
  });

  it('keeps an interrupted run interrupted while a host cannot be asked; a running one goes the usual way', () => {
    const half: SplitReading = { source: said('running (booted)'), destination: unreachable };
    expect(reconcilePostcopy({ state: 'post-copy-interrupted' }, half)).toBe('stays-interrupted');
    expect(reconcilePostcopy({ state: 'running' }, half)).toBe('ask-hosts');
  });
});
