/**
 * A pre-flight check's outcome before main adds its id and title, and how the rules build one.
 */
import type { PreflightRemedy, PreflightResult, PreflightStatus } from '../commands/preflight';

export type Verdict = Omit<PreflightResult, 'check' | 'title'>;

export interface VerdictExtra {
  fix?: string | undefined;
  detail?: string | undefined;
  /** Only for a failure that is not certain (see PreflightResult.overridable). */
  overridable?: boolean;
  remedy?: PreflightRemedy;
}

export const verdict = (status: PreflightStatus, message: string, extra: VerdictExtra = {}): Verdict => ({
  status,
  message,
  ...(extra.fix !== undefined ? { fix: extra.fix } : {}),
  ...(extra.detail !== undefined ? { detail: extra.detail } : {}),
  ...(extra.overridable === true && status === 'fail' ? { overridable: true } : {}),
  ...(extra.remedy !== undefined ? { remedy: extra.remedy } : {}),
});

export const mib = (kib: number): string => `${Math.round(kib / 1024).toLocaleString('en-US')} MiB`;
