/**
 * The engine shared by ShellSession and VirshSession: one long-lived remote process on ONE exec channel, fed
 * commands over its stdin, one at a time. After each command the process prints a sentinel on stdout and one on
 * stderr; a command is complete when both have arrived, so stdout and stderr are split per command even though
 * they travel as two independent streams. Sentinels carry a random per-session token and the command's sequence
 * number: output cannot fake them (the token exists only in what we write to the process's stdin, which commands
 * never see) and a stray sentinel of an earlier command cannot be mistaken for the current one.
 *
 * Lifecycle: opened lazily by the first command (and re-opened after any failure). A command that times out or is
 * cancelled kills the whole session (signal + close; killing only the command would leave the stream position
 * unknown) and fails only that command: queued commands then run on a fresh session. A session whose channel dies
 * on its own fails the current and every queued command with ssh.disconnected.
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import type { Clock } from './deadline';
import { targetKey, type SshTarget } from './errors';
import { randomBytes } from 'node:crypto';
import { describeCommand, killProcessGroup, sendSignal, validateTimeout, type CompletedCommand, type RemoteCommand } from './exec';
import type { ChannelOpener, ExecChannel } from './pool';

/** Finds a marker in a byte stream that arrives in chunks, without re-concatenating the whole buffer per chunk. */
export class SentinelReader {
  private chunks: Buffer[] = [];
  private total = 0;
  private scanned = 0;
  private carry: Buffer = Buffer.alloc(0);
  private found = -1;
  private marker: Buffer = Buffer.alloc(0);
  private needLine = false;

  get size(): number {
    return this.total;
  }

  /** Looks for `marker`; with `needLine`, the text after it up to the next '\n' is returned too (an exit code). */
  setMarker(marker: Buffer, needLine: boolean): void {
    this.marker = marker;
    this.needLine = needLine;
    this.found = -1;
    this.scanned = 0;
    this.carry = Buffer.alloc(0);
    const existing = this.chunks;
    this.chunks = [];
    this.total = 0;
    for (const c of existing) this.push(c);
  }

  push(d: Buffer): void {
    this.chunks.push(d);
    this.total += d.length;
    if (this.found >= 0 || this.marker.length === 0) {
      this.scanned += d.length;
      return;
    }
    const window = this.carry.length > 0 ? Buffer.concat([this.carry, d]) : d;
    const i = window.indexOf(this.marker);
    if (i >= 0) this.found = this.scanned - this.carry.length + i;
    this.scanned += d.length;
    const keep = Math.min(window.length, this.marker.length - 1);
    this.carry = Buffer.from(window.subarray(window.length - keep));
  }

  /** What has arrived and not been taken yet, as text (the last 4 KiB): what a process said before it ended. */
  pending(): string {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - 4096)).toString('utf8');
  }

  /** The bytes before the marker (and the rest of its line), consuming them; undefined until all has arrived. */
  take(): { body: Buffer; line: string } | undefined {
    if (this.found < 0) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    let end = this.found + this.marker.length;
    let line = '';
    if (this.needLine) {
      const nl = all.indexOf(0x0a, end);
      if (nl < 0) return undefined;
      line = all.toString('utf8', end, nl);
      end = nl + 1;
    }
    const body = Buffer.from(all.subarray(0, this.found));
    const rest = all.subarray(end);
    this.chunks = rest.length > 0 ? [Buffer.from(rest)] : [];
    this.total = rest.length;
    this.found = -1;
    this.marker = Buffer.alloc(0);
    return { body, line };
  }

  reset(): void {
    this.chunks = [];
    this.total = 0;
    this.setMarker(Buffer.alloc(0), false);
  }
}

/** One framed command: what to write, which markers end it, and how to turn what came back into a result. */
export interface Frame {
  readonly text: string;
  readonly stdoutMarker: string;
  /** The marker is followed by a value up to the end of its line (the exit code). */
  readonly stdoutNeedsLine: boolean;
  readonly stderrMarker: string;
  readonly stderrNeedsLine: boolean;
  finish(stdout: Buffer, stdoutLine: string, stderr: Buffer): Result<Omit<CompletedCommand, 'durationMs' | 'signal'>, FerryError>;
}

export interface SessionProtocol {
  /**
   * Exec'd on the channel to start the long-lived process; must start with `exec ` so the process keeps the session
   * leader's pid (the session prefixes it with a line that reports that pid, for killing the group later).
   */
  readonly startCommand: string;
  /** Checks a command before it is queued (input.invalid for what this protocol cannot carry). */
  validate(command: RemoteCommand): Result<void, FerryError>;
  frame(command: RemoteCommand | 'handshake', seq: number): Frame;
  /**
   * The process ended by itself (the connection is fine): what its last stderr says, when the protocol can tell
   * (virsh that cannot reach libvirtd exits at once). Otherwise the session reports that the process ended.
   */
  ended?(stderr: string): FerryError | undefined;
}

export interface SessionRunOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface SessionOptions {
  readonly pool: ChannelOpener;
  readonly target: SshTarget;
  /** Budget for opening the channel and the start-up handshake. Default 15 s. */
  readonly openTimeoutMs?: number;
  /** stdout + stderr of one command above this kill the session (default 16 MiB). */
  readonly maxOutputBytes?: number;
}

interface Job {
  readonly command: RemoteCommand | 'handshake';
  readonly start: number;
  readonly what: string;
  readonly timeoutMs: number;
  frame: Frame | undefined;
  out: { body: Buffer; line: string } | undefined;
  err: Buffer | undefined;
  done: boolean;
  settle(r: Result<CompletedCommand, FerryError>): void;
}

export type SessionState = 'closed' | 'opening' | 'open' | 'disposed';

export class SentinelSession {
  private stateValue: SessionState = 'closed';
  private channel: ExecChannel | undefined;
  private gen = 0;
  private seq = 0;
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private readonly out = new SentinelReader();
  private readonly errs = new SentinelReader();
  private readonly clock: Clock;
  private readonly maxOutput: number;
  /** Process group of the remote process (its pid: sshd's session child is a setsid leader and we exec into it). */
  private remotePid: number | undefined;
  private readonly pidTag = `FERRYPID${randomBytes(6).toString('hex')}:`;
  /** How many times a channel was opened (tests and diagnostics). */
  opens = 0;

  constructor(
    private readonly protocol: SessionProtocol,
    private readonly opts: SessionOptions,
    private readonly name: string,
  ) {
    this.clock = opts.pool.clock;
    this.maxOutput = opts.maxOutputBytes ?? 16 * 1024 * 1024;
  }

  private isDisposed(): boolean {
    return this.stateValue === 'disposed';
  }

  get state(): SessionState {
    return this.stateValue;
  }

  run(command: RemoteCommand, opts: SessionRunOptions): Promise<Result<CompletedCommand, FerryError>> {
    const where = targetKey(this.opts.target);
    const t = validateTimeout(opts.timeoutMs);
    if (!t.ok) return Promise.resolve(t);
    const v = this.protocol.validate(command);
    if (!v.ok) return Promise.resolve(v);
    const what = describeCommand(command);
    if (this.stateValue === 'disposed') return Promise.resolve(err(ferryError('ssh.disconnected', `The ${this.name} on ${where} is closed.`)));
    if (opts.signal?.aborted) return Promise.resolve(err(ferryError('command.cancelled', `"${what}" on ${where} was cancelled before it started.`)));
    return new Promise((resolve) => {
      const start = this.clock.now();
      const onAbort = (): void => this.expire(job, ferryError('command.cancelled', `"${what}" on ${where} was cancelled.`));
      const timer = this.clock.setTimeout(
        () => this.expire(job, ferryError('command.timeout', `"${what}" on ${where} did not finish within ${Math.round(opts.timeoutMs)} ms.`)),
        opts.timeoutMs,
      );
      const job: Job = {
        command,
        start,
        what,
        timeoutMs: opts.timeoutMs,
        frame: undefined,
        out: undefined,
        err: undefined,
        done: false,
        settle: (r) => {
          if (job.done) return;
          job.done = true;
          this.clock.clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Ends the session; the current and queued commands fail with ssh.disconnected. */
  close(): Promise<void> {
    const where = targetKey(this.opts.target);
    this.stateValue = 'disposed';
    const busy = this.current !== undefined && this.current.command !== 'handshake';
    this.failAll(ferryError('ssh.disconnected', `The ${this.name} on ${where} was closed.`));
    const ch = this.channel;
    this.channel = undefined;
    if (busy) this.killRemote();
    if (!ch) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, 1000);
      ch.stream.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      try {
        ch.stream.end();
        ch.stream.close();
      } catch {
        resolve();
      }
    });
  }

  private expire(job: Job, e: FerryError): void {
    if (job.done) return;
    if (job === this.current) {
      this.kill(e);
      return;
    }
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
    job.settle(err(e));
  }

  private pump(): void {
    if (this.current || this.stateValue === 'disposed') return;
    while (this.queue[0]?.done) this.queue.shift();
    const job = this.queue[0];
    if (!job) return;
    if (this.stateValue === 'closed') {
      void this.open();
      return;
    }
    if (this.stateValue !== 'open' || !this.channel) return;
    this.queue.shift();
    this.send(job);
  }

  private send(job: Job): void {
    const frame = this.protocol.frame(job.command, ++this.seq);
    job.frame = frame;
    this.current = job;
    this.out.setMarker(Buffer.from(frame.stdoutMarker, 'utf8'), frame.stdoutNeedsLine);
    this.errs.setMarker(Buffer.from(frame.stderrMarker, 'utf8'), frame.stderrNeedsLine);
    this.channel?.stream.write(frame.text);
    this.check();
  }

  private async open(): Promise<void> {
    this.stateValue = 'opening';
    const gen = ++this.gen;
    const where = targetKey(this.opts.target);
    const budget = this.opts.openTimeoutMs ?? 15_000;
    this.remotePid = undefined;
    const start = `printf '%s%s\\n' '${this.pidTag}' "$$"; ${this.protocol.startCommand}`;
    const opened = await this.opts.pool.openExecChannel(this.opts.target, start, { deadline: this.clock.now() + budget });
    if (gen !== this.gen || this.isDisposed()) {
      if (opened.ok) opened.value.stream.close();
      return;
    }
    if (!opened.ok) {
      this.stateValue = 'closed';
      const e = opened.error.code === 'command.timeout' ? ferryError('ssh.timeout', `The ${this.name} on ${where} could not be opened in time.`, opened.error.message) : opened.error;
      this.failAll(e);
      return;
    }
    const ch = opened.value;
    this.channel = ch;
    this.opens++;
    this.out.reset();
    this.errs.reset();
    ch.stream.on('data', (d: Buffer) => gen === this.gen && this.onData(this.out, d));
    ch.stream.stderr.on('data', (d: Buffer) => gen === this.gen && this.onData(this.errs, d));
    ch.stream.on('close', () => gen === this.gen && this.onChannelClosed(ch));
    this.stateValue = 'open';
    // The handshake swallows whatever the login prints first and proves the process reads our input.
    const handshake: Job = {
      command: 'handshake',
      start: this.clock.now(),
      what: 'start-up',
      timeoutMs: budget,
      frame: undefined,
      out: undefined,
      err: undefined,
      done: false,
      settle: (r) => {
        handshake.done = true;
        this.clock.clearTimeout(hsTimer);
        if (!r.ok) {
          this.failAll(r.error);
          return;
        }
        const m = new RegExp(`${this.pidTag}(\\d+)\n`).exec(r.value.stdout);
        if (m) this.remotePid = Number(m[1]);
      },
    };
    const hsTimer = this.clock.setTimeout(
      () => this.expire(handshake, ferryError('ssh.timeout', `The ${this.name} on ${where} did not start within ${Math.round(budget / 1000)} s.`)),
      budget,
    );
    this.send(handshake);
  }

  private onData(reader: SentinelReader, d: Buffer): void {
    reader.push(d);
    if (this.out.size + this.errs.size > this.maxOutput && this.current) {
      this.kill(ferryError('command.failed', `"${this.current.what}" on ${targetKey(this.opts.target)} printed more than ${this.maxOutput} bytes; it was stopped.`));
      return;
    }
    this.check();
  }

  private check(): void {
    const job = this.current;
    if (!job?.frame) return;
    job.out ??= this.out.take();
    job.err ??= this.errs.take()?.body;
    if (!job.out || !job.err) return;
    this.current = undefined;
    const r = job.frame.finish(job.out.body, job.out.line, job.err);
    if (!r.ok) {
      // The stream is not where we thought: start afresh.
      this.kill(r.error, job);
      return;
    }
    job.settle(ok({ ...r.value, signal: null, durationMs: this.clock.now() - job.start }));
    this.pump();
  }

  /** Kills the session: `e` goes to the current command (or `job`); queued commands get a fresh session. */
  private kill(e: FerryError, job: Job | undefined = this.current): void {
    this.gen++;
    const ch = this.channel;
    this.channel = undefined;
    this.current = undefined;
    if (this.stateValue !== 'disposed') this.stateValue = 'closed';
    this.out.reset();
    this.errs.reset();
    if (ch) {
      sendSignal(ch.stream, 'TERM');
      this.killRemote();
      try {
        ch.stream.close();
      } catch {
        /* already closed */
      }
    }
    job?.settle(err(e));
    this.pump();
  }

  /** The signal request above is refused for root sessions by OpenSSH: kill the process group on a second channel. */
  private killRemote(): void {
    const pid = this.remotePid;
    this.remotePid = undefined;
    if (pid !== undefined) void killProcessGroup(this.opts.pool, this.opts.target, pid);
  }

  private onChannelClosed(ch: ExecChannel): void {
    this.gen++;
    this.channel = undefined;
    if (this.stateValue !== 'disposed') this.stateValue = 'closed';
    const where = targetKey(this.opts.target);
    const lost = ch.lost();
    const exit = ch.exit();
    const said = lost ? undefined : this.protocol.ended?.(this.errs.pending());
    if (said) {
      this.failAll(said);
      return;
    }
    const why = lost
      ? `the connection broke: ${lost.message}`
      : `the remote process ended${exit ? ` (${exit.signal ?? `exit status ${String(exit.code)}`})` : ''}`;
    this.failAll(ferryError('ssh.disconnected', `The ${this.name} on ${where} ended: ${why}.`, lost?.detail));
  }

  private failAll(e: FerryError): void {
    const current = this.current;
    this.current = undefined;
    current?.settle(err(e));
    for (const j of this.queue.splice(0)) j.settle(err(e));
  }
}
