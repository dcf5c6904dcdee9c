/**
 * The pre-copy simulation behind the prediction (shared/migration/predict.ts documents the model and its
 * assumptions). One run at one set of point values; deterministic and allocation-light, because the dialog runs it
 * dozens of times per keystroke (corners of the inputs' ranges, the searches for the smallest change).
 */

export const MiB = 1024 * 1024;

/**
 * What QEMU sends with the guest stopped besides the last dirty pages (device state, the final bitmap sync), ms.
 * The lab's completed vmd runs paused 36-45 ms with almost nothing left to send.
 */
export const DEVICE_STATE_MS = 40;

/**
 * How much QEMU sends between two looks at what is left, as time at the current rate. With a cap it sends one
 * rate-limit window's budget (a tenth of the bandwidth per 100 ms window) per iteration; without one, an iteration
 * stops after 50 ms (ram_save_iterate's MAX_WAIT). It matters because QEMU syncs the dirty bitmap the first time what
 * is left drops below the threshold, so up to one such chunk is still pending when the next pass starts.
 */
export const CHUNK_SECONDS_CAPPED = 0.1;
export const CHUNK_SECONDS_UNCAPPED = 0.05;

/** QEMU's throttle-trigger-threshold default: a period counts when it dirtied more than this share of what it sent. */
export const THROTTLE_TRIGGER_PERCENT = 50;
/** QEMU's max-cpu-throttle default. */
export const THROTTLE_MAX_PERCENT = 99;
export const AUTO_CONVERGE_INITIAL_DEFAULT = 20;
export const AUTO_CONVERGE_INCREMENT_DEFAULT = 10;
/** QEMU evaluates the throttle trigger and the dirty rate only over periods longer than this. */
const RATE_PERIOD_SECONDS = 1;

/** Where the simulation gives up: a run still going after this much simulated time is called "never". */
export const SIM_LIMIT_SECONDS = 600;
/** A run that makes no new low in what is left for this many passes, with nothing left to change it, never ends. */
const STALL_PASSES = 24;
/** Figures for a run that never ends are given for its first minute. */
export const NEVER_DATA_WINDOW_SECONDS = 60;

export interface SimParams {
  /** What the first (bulk) pass sends, bytes. */
  readonly firstPassBytes: number;
  readonly workingSetBytes: number;
  /** How fast the guest writes its working set while unthrottled, bytes/s. */
  readonly writeBytesPerSecond: number;
  /** The pre-copy rate: min(cap, link), bytes/s. */
  readonly bandwidthBytesPerSecond: number;
  /** What the route carries without a cap (the final stage and post-copy run uncapped), bytes/s; default: the bandwidth. */
  readonly linkBytesPerSecond?: number;
  /** Whether a cap limits pre-copy (changes how much QEMU sends between looks). */
  readonly capped: boolean;
  readonly maxDowntimeMs: number;
  readonly setupMs: number;
  /** Auto-converge on, with its initial throttle and increment (percent). */
  readonly autoConverge?: { readonly initialPercent: number; readonly incrementPercent: number };
  /** Switch to post-copy after the first pass. */
  readonly postcopyAfterPrecopy?: boolean;
  /** The post-copy phase's rate, bytes/s; default: the link. */
  readonly postcopyBytesPerSecond?: number;
  /**
   * --timeout: this long after the start virsh pauses the guest (`suspend`: the copy then finishes without new
   * writes, all of it downtime) or switches to post-copy.
   */
  readonly timeout?: { readonly seconds: number; readonly action: 'suspend' | 'postcopy' };
  /** Not live (no --live): libvirt pauses the guest before the copy, so nothing is dirtied and it all is downtime. */
  readonly paused?: boolean;
}

export interface SimPass {
  /** 1-based, as QEMU's "Iteration" counts (the sync at setup starts pass 1). */
  readonly pass: number;
  readonly sentBytes: number;
  readonly seconds: number;
  /** The throttle while this pass ran, percent. */
  readonly throttlePercent: number;
  /** Pending when the pass started (after the sync that began it), bytes. */
  readonly startBytes: number;
}

export type SimEnding = 'pre-copy' | 'auto-converge' | 'post-copy' | 'never';

/** Why the guest stopped: the run converged, or the --timeout paused it (`suspend`). */
export type SimStop = 'converged' | 'timeout-suspend' | 'timeout-postcopy' | 'postcopy-after-precopy' | 'never';

export interface SimResult {
  readonly converged: boolean;
  readonly ending: SimEnding;
  readonly stop: SimStop;
  /** Passes that ran before the switch-over (for "never": those within the time limit). */
  readonly passes: number;
  /** Setup + passes + downtime (+ the post-copy phase), ms; for "never": the time limit. */
  readonly totalMs: number;
  /** The guest's pause, ms; 0 for "never". */
  readonly downtimeMs: number;
  /** Sent until the end; for "never": sent during the first minute. */
  readonly dataBytes: number;
  /** The highest throttle auto-converge set, percent (0 without). */
  readonly throttlePercent: number;
  /** When the throttle first reached its highest value, ms after the start (absent without a throttle). */
  readonly throttleReachedMs?: number;
  /** Pending when the guest stopped (or switched to post-copy), bytes. */
  readonly finalBytes: number;
  readonly log: readonly SimPass[];
}

/**
 * QEMU's pre-copy loop at pass granularity (migration.c migration_iteration_run, ram.c ram_save_pending and
 * migration_bitmap_sync / migration_trigger_throttle, 7.2):
 * - threshold = bandwidth x max downtime; a pass sends until what is left drops below it, then the bitmap is synced:
 *   what is left becomes the unsent leftover joined with what the guest dirtied meanwhile;
 * - if that is below the threshold the guest stops and the rest goes at the link's speed (the cap is lifted for the
 *   final stage), otherwise the next pass starts.
 */
export function simulatePrecopy(p: SimParams): SimResult {
  const B = Math.max(p.bandwidthBytesPerSecond, 1);
  const link = Math.max(p.linkBytesPerSecond ?? B, B);
  const threshold = B * (p.maxDowntimeMs / 1000);
  const chunk = B * (p.capped ? CHUNK_SECONDS_CAPPED : CHUNK_SECONDS_UNCAPPED);
  const W = Math.max(p.workingSetBytes, 0);
  const w = p.paused === true ? 0 : Math.max(p.writeBytesPerSecond, 0);
  const ac = p.autoConverge;

  let t = p.setupMs / 1000;
  let pending = Math.max(p.firstPassBytes, 0);
  let sent = 0;
  let sentInWindow = -1;
  let throttle = 0;
  let throttleReachedAt: number | undefined;
  let highCount = 0;
  let periodStart = t;
  let periodDirtied = 0;
  let periodSent = 0;
  let lowest = Infinity;
  let sinceLowest = 0;
  const log: SimPass[] = [];

  for (let pass = 1; ; pass++) {
    // Send until what is left drops below the threshold (at least one chunk: QEMU looks between iterations).
    let passSent = 0;
    if (pending >= threshold) {
      const n = Math.floor((pending - threshold) / chunk) + 1;
      passSent = Math.min(pending, n * chunk);
    }
    const leftover = pending - passSent;
    const seconds = passSent / B;
    if (p.timeout && t + seconds >= p.timeout.seconds && p.paused !== true) {
      // The timeout fires inside this pass: what is pending then is the unsent part joined with what was written.
      const into = Math.max(0, p.timeout.seconds - t);
      const sentSoFar = Math.min(passSent, into * B);
      const unsent = pending - sentSoFar;
      const dirtiedSoFar = Math.min(W, w * (1 - throttle / 100) * into);
      const poolSoFar = pass === 1 ? Math.max(p.firstPassBytes, W, 1) : Math.max(W, unsent, dirtiedSoFar, 1);
      const atTimeout = unsent + dirtiedSoFar - (unsent * dirtiedSoFar) / poolSoFar;
      log.push({ pass, sentBytes: sentSoFar, seconds: into, throttlePercent: throttle, startBytes: pending });
      sent += sentSoFar;
      t += into;
      if (p.timeout.action === 'postcopy') {
        const pcRate = Math.max(Math.min(p.postcopyBytesPerSecond ?? link, link), 1);
        return end('post-copy', 'timeout-postcopy', pass, t, DEVICE_STATE_MS, atTimeout / pcRate, sent + atTimeout, atTimeout);
      }
      // Paused: QEMU keeps sending at the cap until less than the threshold is left, then the rest uncapped.
      const capped = atTimeout >= threshold ? Math.min(atTimeout, (Math.floor((atTimeout - threshold) / chunk) + 1) * chunk) : 0;
      const downtimeMs = (capped / B) * 1000 + ((atTimeout - capped) / link) * 1000 + DEVICE_STATE_MS;
      return end(throttle > 0 ? 'auto-converge' : 'pre-copy', 'timeout-suspend', pass, t, downtimeMs, 0, sent + atTimeout, atTimeout);
    }
    log.push({ pass, sentBytes: passSent, seconds, throttlePercent: throttle, startBytes: pending });
    if (sentInWindow < 0 && t + seconds >= NEVER_DATA_WINDOW_SECONDS) {
      sentInWindow = sent + passSent * Math.max(0, Math.min(1, (NEVER_DATA_WINDOW_SECONDS - t) / Math.max(seconds, 1e-9)));
    }
    t += seconds;
    sent += passSent;

    // The sync: pages written meanwhile join the leftover; a page already pending is not new. The leftover is
    // taken to overlap the written pages by chance (its share of the pool both are drawn from): the first pass's
    // leftover is drawn from all it sends, later ones from the working set.
    const dirtied = Math.min(W, w * (1 - throttle / 100) * seconds);
    const pool = pass === 1 ? Math.max(p.firstPassBytes, W, 1) : Math.max(W, leftover, dirtied, 1);
    const fresh = dirtied - (leftover * dirtied) / pool;
    pending = leftover + fresh;
    periodDirtied += fresh;
    periodSent += passSent;

    if (t - periodStart > RATE_PERIOD_SECONDS) {
      if (ac && periodDirtied > (periodSent * THROTTLE_TRIGGER_PERCENT) / 100 && ++highCount >= 2) {
        highCount = 0;
        throttle = throttle === 0 ? ac.initialPercent : Math.min(throttle + ac.incrementPercent, THROTTLE_MAX_PERCENT);
        throttle = Math.min(throttle, THROTTLE_MAX_PERCENT);
        throttleReachedAt = t;
      }
      periodStart = t;
      periodDirtied = 0;
      periodSent = 0;
    }

    if (p.postcopyAfterPrecopy && pass === 1) {
      // libvirt asks for the switch at the first pass event; the guest then runs on the destination and pulls or
      // receives the rest uncapped (or at the post-copy cap): nothing is dirtied on the source any more.
      const pcRate = Math.max(Math.min(p.postcopyBytesPerSecond ?? link, link), 1);
      return end('post-copy', 'postcopy-after-precopy', pass, t, DEVICE_STATE_MS, pending / pcRate, sent + pending, pending);
    }
    if (pending < threshold) {
      const finalMs = (pending / link) * 1000 + DEVICE_STATE_MS;
      const downtimeMs = p.paused === true ? t * 1000 + finalMs : finalMs;
      if (p.paused === true) return end('pre-copy', 'converged', pass, 0, downtimeMs, 0, sent + pending, pending);
      return end(throttle > 0 ? 'auto-converge' : 'pre-copy', 'converged', pass, t, downtimeMs, 0, sent + pending, pending);
    }

    if (pending < lowest * 0.999) {
      lowest = pending;
      sinceLowest = 0;
    } else {
      sinceLowest++;
    }
    const throttleCanRise = ac !== undefined && throttle < THROTTLE_MAX_PERCENT && w > 0;
    if (t >= SIM_LIMIT_SECONDS || (!throttleCanRise && sinceLowest >= STALL_PASSES)) {
      const window = sentInWindow >= 0 ? sentInWindow : sent;
      const totalMs = Math.max(t, SIM_LIMIT_SECONDS) * 1000;
      return {
        converged: false,
        ending: 'never',
        stop: 'never',
        passes: pass,
        totalMs,
        downtimeMs: 0,
        // A stalled run keeps sending at the bandwidth: its first minute is the bandwidth's minute.
        dataBytes: sentInWindow >= 0 ? window : Math.min(sent + (NEVER_DATA_WINDOW_SECONDS - t) * B, NEVER_DATA_WINDOW_SECONDS * B),
        throttlePercent: throttle,
        ...(throttleReachedAt !== undefined ? { throttleReachedMs: throttleReachedAt * 1000 } : {}),
        finalBytes: pending,
        log,
      };
    }
  }

  function end(ending: SimEnding, stop: SimStop, passes: number, atS: number, downtimeMs: number, afterS: number, data: number, finalBytes: number): SimResult {
    return {
      converged: true,
      ending,
      stop,
      passes,
      totalMs: atS * 1000 + downtimeMs + afterS * 1000,
      downtimeMs,
      dataBytes: data,
      throttlePercent: throttle,
      ...(throttleReachedAt !== undefined ? { throttleReachedMs: throttleReachedAt * 1000 } : {}),
      finalBytes,
      log,
    };
  }
}
