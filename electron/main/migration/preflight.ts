/**
 * Pre-flight checks before a migration: all at once, each with its own budget; one failing (or hanging) check never
 * hides the others. Each check gathers its facts on the hosts (preflight-gather.ts) and a pure rule judges them
 * (shared/migration/preflight-rules.ts): pass / warn / fail / skipped, the facts in a sentence, what to do and where
 * (fix), and the raw evidence (detail).
 *
 * Side effects come in as parameters (`hosts.exec` gives a host's CommandRunner, as the engine's does; `now` is the
 * clock), so this runs in plain Node tests.
 */
import { setMaxListeners } from 'node:events';
import type { PreflightCheckId, PreflightResult } from '../../../shared/commands/preflight';
import type { PreflightOptions, PreflightSetting } from '../../../shared/migration/preflight-facts';
import { ferryError } from '../../../shared/errors';
import { CHECK_TITLES, couldNotCheck, judgeCheck, offlineSkip, timedOut } from '../../../shared/migration/preflight-rules';
import type { CommandRunner } from '../remote/run-command';
import type { SshTarget } from '../ssh/errors';
import { CheckError, GATHER, gatherer, type GatherHost, type Gatherer } from './preflight-gather';

// ---- API ----------------------------------------------------------------------------------------------------------

export type { PreflightCheckId, PreflightResult, PreflightStatus } from '../../../shared/commands/preflight';
export type { PreflightOptions } from '../../../shared/migration/preflight-facts';
export { CHECK_TITLES, preflightPassed } from '../../../shared/migration/preflight-rules';

export interface PreflightHost {
  /** How Ferry reaches the host over SSH (and the user and port of the source's qemu+ssh URI to it). */
  readonly target: SshTarget;
  /** Its name (hvB): what libvirt puts in the migration URI, what a certificate should carry. */
  readonly name: string;
  /** Its IP address as the other host reaches it. */
  readonly address: string;
}

export interface PreflightInput {
  readonly vm: string;
  readonly source: PreflightHost;
  readonly destination: PreflightHost;
  /** User in the qemu+ssh URI the source's libvirtd uses (default: the destination's SSH user). */
  readonly destinationUser?: string;
  readonly options: PreflightOptions;
}

/** How pre-flight reaches hosts. The composition root builds it over the SSH pool (execRunner), as for the engine. */
export interface PreflightHostAccess {
  /** Each command on its own exec channel of the pooled connection. */
  exec(host: PreflightHost): CommandRunner;
}

export interface PreflightDeps {
  readonly hosts: PreflightHostAccess;
  /** Wall clock in ms (certificate validity). Default Date.now. */
  readonly now?: () => number;
  /** Budget per check, ms. Default 20 s. */
  readonly checkTimeoutMs?: number;
}

// ---- running ------------------------------------------------------------------------------------------------------

/** Runs every check at once; resolves when all have an answer (at the latest after the per-check budget). */
export async function runPreflight(input: PreflightInput, deps: PreflightDeps): Promise<PreflightResult[]> {
  const budget = deps.checkTimeoutMs ?? 20_000;
  const shared = new AbortController();
  // Every command of every check listens to it (~25 at once).
  setMaxListeners(100, shared.signal);
  const setting: PreflightSetting = {
    vm: input.vm,
    source: { name: input.source.name, address: input.source.address },
    destination: { name: input.destination.name, address: input.destination.address },
    options: input.options,
  };
  const host = (h: PreflightHost, user?: string): GatherHost => ({
    name: h.name,
    address: h.address,
    runner: deps.hosts.exec(h),
    ...(user !== undefined ? { user } : {}),
    ...(h.target.port !== undefined ? { port: h.target.port } : {}),
  });
  const g = gatherer({
    setting,
    source: host(input.source, input.source.target.user),
    destination: host(input.destination, input.destinationUser ?? input.destination.target.user),
    signal: shared.signal,
    now: deps.now ?? Date.now,
  });
  const ids = Object.keys(GATHER) as PreflightCheckId[];
  const results = await Promise.all(ids.map((id) => offlineSkip(id, setting) ?? runOne(id, g, budget)));
  shared.abort();
  return results;
}

async function runOne<K extends PreflightCheckId>(id: K, g: Gatherer, budget: number): Promise<PreflightResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<PreflightResult>((resolve) => {
    timer = setTimeout(() => resolve({ check: id, title: CHECK_TITLES[id], ...timedOut(budget) }), budget);
  });
  try {
    const running = GATHER[id](g).then((facts) => judgeCheck(id, g.input.setting, facts));
    // A check that loses the race may still fail later: that rejection is expected, not unhandled.
    running.catch(() => undefined);
    return await Promise.race([running, timeout]);
  } catch (e) {
    const error = e instanceof CheckError ? e.error : ferryError('command.failed', e instanceof Error ? e.message : String(e));
    return { check: id, title: CHECK_TITLES[id], ...couldNotCheck(error) };
  } finally {
    clearTimeout(timer);
  }
}
