/**
 * The guest's dirty rate as QEMU samples it: `virsh domdirtyrate-calc --mode page-sampling` starts a measurement
 * (it returns at once; the result is read with `domstats --dirtyrate` after the period). Only ever for KVM domains
 * (mayCalcDirtyRate in shared/parsers/virsh-dirtyrate.ts): under TCG the dirty-bitmap mode crashed the guest's QEMU
 * and page-sampling read 0 MB/s for a guest writing ~5 MiB/s. Never the dirty-bitmap or dirty-ring modes.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseDirtyRate, type DirtyRateReading } from '../parsers/virsh-dirtyrate';
import { virshError } from '../parsers/virsh-error';
import { checkDomainName } from './domain-name';
import { command, type Command } from './command';
import { VIRSH } from './virsh';

const VIRSH_MS = 15_000;

export function virshDirtyRateCalc(domain: string, seconds: number): Result<Command<Record<string, never>>, FerryError> {
  const d = checkDomainName(domain);
  if (!d.ok) return d;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) return err(ferryError('input.invalid', 'A dirty-rate period is 1 to 60 whole seconds.'));
  const argv = [...VIRSH, 'domdirtyrate-calc', '--domain', d.value, '--seconds', String(seconds), '--mode', 'page-sampling'];
  return ok(
    command(`dirty-rate measurement of ${d.value}`, argv, (text) => {
      const e = virshError(text);
      return e ? err(e) : ok({});
    }, VIRSH_MS),
  );
}

export function virshDomstatsDirtyRate(domain: string): Result<Command<DirtyRateReading>, FerryError> {
  const d = checkDomainName(domain);
  if (!d.ok) return d;
  return ok(command(`dirty rate of ${d.value}`, [...VIRSH, 'domstats', '--dirtyrate', '--domain', d.value], parseDirtyRate, VIRSH_MS));
}
