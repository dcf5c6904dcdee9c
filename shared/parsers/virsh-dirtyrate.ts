/**
 * `virsh domstats --dirtyrate` after a `domdirtyrate-calc`, and whether that may be run at all. What a reading is
 * worth against history is the estimator's (shared/migration/predict-inputs.ts judgeDirtyRate).
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { emptyOutput, splitLines } from './text';
import { virshError } from './virsh-error';

/**
 * Whether `virsh domdirtyrate-calc` may be run on a domain of this `<domain type=...>`: only KVM. Under TCG ('qemu')
 * the dirty-bitmap mode crashed the guest's QEMU on the lab and page-sampling reported 0 MB/s for a guest writing
 * ~5 MiB/s.
 */
export function mayCalcDirtyRate(domainType: string | undefined): boolean {
  return domainType === 'kvm';
}

/** `virsh domstats --dirtyrate` after a page-sampling calculation. */
export interface DirtyRateReading {
  /** libvirt's `megabytes_per_second` (QEMU counts MiB). */
  readonly mibPerSecond: number;
  readonly mode: string;
  readonly periodS?: number;
}

/** `virsh domstats --dirtyrate DOMAIN`: a finished page-sampling measurement, or an error (never a silent zero). */
export function parseDirtyRate(text: string): Result<DirtyRateReading, FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  if (text.trim() === '') return emptyOutput('virsh domstats --dirtyrate');
  const fields: Record<string, string> = {};
  for (const line of splitLines(text)) {
    const l = line.trim();
    if (l === '' || /^Domain: '.*'$/.test(l)) continue;
    const m = /^dirtyrate\.([A-Za-z0-9_.]+)=(.*)$/.exec(l);
    if (!m) return err(ferryError('parse.unrecognised', 'Unexpected line in virsh domstats --dirtyrate output.', line));
    fields[m[1] as string] = (m[2] as string).trim();
  }
  const status = fields['calc_status'];
  if (status === undefined) return err(ferryError('parse.missing-field', 'domstats --dirtyrate printed no calc_status: no measurement.', text.slice(0, 300)));
  // 0 unstarted, 1 measuring, 2 measured.
  if (status !== '2') return err(ferryError('libvirt.error', `The dirty-rate measurement has not finished (calc_status ${status}).`, text.slice(0, 300)));
  const mode = fields['calc_mode'] ?? 'page-sampling';
  if (mode !== 'page-sampling') return err(ferryError('libvirt.unsupported', `The dirty rate was measured in ${mode} mode; Ferry uses page-sampling only.`, text.slice(0, 300)));
  const raw = fields['megabytes_per_second'];
  if (raw === undefined) return err(ferryError('parse.missing-field', 'domstats --dirtyrate printed no megabytes_per_second.', text.slice(0, 300)));
  if (!/^\d+$/.test(raw)) return err(ferryError('parse.bad-value', `dirtyrate.megabytes_per_second is not a whole number: "${raw}".`, text.slice(0, 300)));
  const period = fields['calc_period'];
  return ok({ mibPerSecond: Number(raw), mode, ...(period !== undefined && /^\d+$/.test(period) ? { periodS: Number(period) } : {}) });
}
