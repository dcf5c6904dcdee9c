/**
 * The long-lived virsh sessions of the source hosts, one per host, shared by every migration from it: samples and
 * controls go through it (~1.4 ms a sample against ~16 ms for a new virsh, and no extra SSH channel). Counted by
 * its users; the last one out closes it.
 */
import type { VirshRunner } from '../remote/ssh-runner';
import type { MigrationHostRef } from './record';

export class VirshSessions {
  private readonly sessions = new Map<string, { readonly runner: VirshRunner; users: number }>();

  constructor(private readonly open: (host: MigrationHostRef) => VirshRunner) {}

  /** The host's session, opened by its first user. Each acquire takes one release. */
  acquire(host: MigrationHostRef): VirshRunner {
    const key = host.address;
    let s = this.sessions.get(key);
    if (!s) {
      s = { runner: this.open(host), users: 0 };
      this.sessions.set(key, s);
    }
    s.users += 1;
    return s.runner;
  }

  release(host: MigrationHostRef): void {
    const key = host.address;
    const s = this.sessions.get(key);
    if (!s) return;
    s.users -= 1;
    if (s.users <= 0) {
      this.sessions.delete(key);
      void s.runner.close().catch(() => undefined);
    }
  }

  /** The host's open session, when a migration from it holds one (without taking a share of it). */
  current(host: MigrationHostRef): VirshRunner | undefined {
    return this.sessions.get(host.address)?.runner;
  }

  /** Closes every session, whoever still holds it (Ferry quitting). */
  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    await Promise.allSettled(all.map((s) => s.runner.close()));
    this.sessions.clear();
  }
}
