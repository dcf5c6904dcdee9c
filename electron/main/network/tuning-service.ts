/**
 * The tuning in main: read a host's current values over SSH, plan (shared/tuning/plan.ts), apply the
 * chosen changes after writing their previous values durably (tuning-store.ts), verify each by reading it back,
 * undo a change set, list the history. What a plan is built from is read in tuning-survey.ts.
 *
 * Apply: the plan must still describe the host (every chosen setting is re-read first; one that moved means "plan
 * again", nothing changed). The change set's `begin` record, with every previous value, is fdatasync'd before the
 * first command. Changes run one at a time (offloads and rings, then sysctls, then MTU: an MTU change on the NIC of
 * Ferry's own SSH connection goes last); each is read back; the first that fails or does not read back as intended
 * stops the run, the rest are reported as not applied. With `persist`, applied sysctls go to the sysctl file (what it
 * held before is in the begin record); MTU and ethtool settings get the advice for the distribution's network
 * configuration instead, since Ferry cannot know which one the host uses.
 *
 * Undo: every change of the set is put back to its previous value in reverse order (a setting already there is left
 * alone), each read back; undo carries on past a failure to restore as much as it can and reports each one. The
 * sysctl file is restored only if it still holds what Ferry wrote; otherwise it is left as is and said so.
 */
import { randomUUID } from 'node:crypto';
import { ok, err, type Result } from '../../../shared/result';
import { ferryError, type FerryError } from '../../../shared/errors';
import { ipAddr, ipLink, sysctlValues } from '../../../shared/commands/network';
import {
  DEFAULT_SYSCTL_FILE,
  readConfFile,
  removeConfFile,
  sysctlWritability,
  TUNABLE_SYSCTLS,
  writeConfFile,
  type FileContent,
} from '../../../shared/commands/tuning';
import type { HostView } from '../../../shared/inventory/types';
import { actionCommand, describeValue, readState, sameState, type Exec } from '../../../shared/tuning/actions';
import { planTuning } from '../../../shared/tuning/plan';
import { sysctlFileText } from '../../../shared/tuning/persist';
import type { ChangeOutcome, ChangeSetSummary, PersistOutcome, TuningAction, TuningChange, TuningPlan, TuningRunResult } from '../../../shared/tuning/types';
import { runCommand } from '../remote/run-command';
import type { NetworkDeps } from './deps';
import type { StoredChange, TuningStore } from './tuning-store';
import { localNics, nicStates, planContext, routesTo, run, type PathFigures } from './tuning-survey';

export interface PlanRequest extends PathFigures {
  readonly hostId: string;
  readonly peerHostId?: string;
}

export interface TuningServiceOptions {
  /** Where persisted sysctls go (default /etc/sysctl.d/90-ferry-migration.conf). Tests point it into a lab host's own directory. */
  readonly sysctlFile?: string;
  readonly newId?: (prefix: string) => string;
  /** Plans kept in memory for apply (oldest dropped first). */
  readonly keepPlans?: number;
}

const KIND_ORDER: Readonly<Record<TuningChange['kind'], number>> = { offload: 0, rings: 1, sysctl: 2, mtu: 3 };

export class TuningService {
  private readonly plans = new Map<string, TuningPlan>();
  private readonly sysctlFile: string;
  private readonly newId: (prefix: string) => string;
  /** One apply or undo at a time per host: two interleaved runs would each read the other's values as "previous". */
  private readonly busy = new Set<string>();

  constructor(
    private readonly d: NetworkDeps,
    private readonly store: () => Promise<TuningStore>,
    private readonly o: TuningServiceOptions = {},
  ) {
    this.sysctlFile = o.sysctlFile ?? DEFAULT_SYSCTL_FILE;
    this.newId = o.newId ?? ((p) => `${p}-${randomUUID()}`);
  }

  // ---- plan ------------------------------------------------------------------------------------------------------

  async plan(req: PlanRequest): Promise<Result<TuningPlan, FerryError>> {
    const a = this.d.access(req.hostId);
    if (!a.ok) return a;
    const host = a.value.host;
    let peer: HostView | undefined;
    if (req.peerHostId !== undefined) {
      if (req.peerHostId === req.hostId) return err(ferryError('input.invalid', 'The peer must be another host.'));
      peer = this.d.hosts().find((h) => h.record.id === req.peerHostId);
      if (peer === undefined) return err(ferryError('inventory.not-found', `No such host in the inventory: ${req.peerHostId}.`));
    }
    const exec: Exec = (c) => runCommand(a.value.runner, c);

    const addrCmd = ipAddr();
    const linkCmd = ipLink();
    if (!addrCmd.ok) return addrCmd;
    if (!linkCmd.ok) return linkCmd;
    const [addrs, links, sysctls, writability] = await Promise.all([exec(addrCmd.value), exec(linkCmd.value), this.sysctls(exec), exec(sysctlWritability(TUNABLE_SYSCTLS))]);
    if (!addrs.ok) return addrs;
    if (!links.ok) return links;
    if (!sysctls.ok) return sysctls;
    if (!writability.ok) return writability;

    const targets = peer ? await routesTo(peer, exec) : ok(localNics(addrs.value));
    if (!targets.ok) return targets;
    if (targets.value.length === 0) return err(ferryError('command.failed', `${host.record.name} has no interface to tune (none is up with an address${peer ? `, or none routes to ${peer.record.name}` : ''}).`));

    const nics = await nicStates(targets.value, links.value, host.record.name, exec);
    if (!nics.ok) return nics;

    const context = await planContext(req, peer, targets.value, nics.value, exec);
    const plan = planTuning(
      { nics: nics.value, sysctls: sysctls.value, writability: writability.value },
      context,
      { id: this.newId('plan'), hostId: host.record.id, hostName: host.record.name, createdAt: new Date(this.d.wallClock()).toISOString(), sysctlFile: this.sysctlFile },
    );
    this.keep(plan);
    return ok(plan);
  }

  private sysctls(exec: Exec) {
    const c = sysctlValues([...TUNABLE_SYSCTLS]);
    return c.ok ? exec(c.value) : Promise.resolve(c);
  }

  private keep(plan: TuningPlan): void {
    this.plans.set(plan.id, plan);
    const max = this.o.keepPlans ?? 50;
    for (const id of this.plans.keys()) {
      if (this.plans.size <= max) break;
      this.plans.delete(id);
    }
  }



  // ---- apply -----------------------------------------------------------------------------------------------------

  async apply(req: { hostId: string; planId: string; changeIds: readonly string[]; persist: boolean }): Promise<Result<TuningRunResult, FerryError>> {
    const plan = this.plans.get(req.planId);
    if (plan === undefined || plan.hostId !== req.hostId) {
      return err(ferryError('input.invalid', 'That plan is not known (plans live until Ferry restarts): plan again.'));
    }
    const chosen: TuningChange[] = [];
    for (const id of new Set(req.changeIds)) {
      const c = plan.changes.find((x) => x.id === id);
      if (c === undefined) return err(ferryError('input.invalid', `The plan has no change "${id}".`));
      if (c.blocked !== undefined) return err(ferryError('input.invalid', `${c.title} cannot be applied here: ${c.blocked}`));
      chosen.push(c);
    }
    if (chosen.length === 0) return err(ferryError('input.invalid', 'No change chosen.'));
    // Kind first (an MTU change, which may touch Ferry's own SSH path, last), then the plan's order: the request's order does not matter.
    const rank = (c: TuningChange) => plan.changes.indexOf(c);
    chosen.sort((x, y) => KIND_ORDER[x.kind] - KIND_ORDER[y.kind] || rank(x) - rank(y));
    return this.exclusive(req.hostId, () => this.applyChosen(plan, chosen, req.persist));
  }

  private async exclusive<T>(hostId: string, f: () => Promise<Result<T, FerryError>>): Promise<Result<T, FerryError>> {
    if (this.busy.has(hostId)) return err(ferryError('input.invalid', 'Another tuning run on this host is still going; wait for it to finish.'));
    this.busy.add(hostId);
    try {
      return await f();
    } finally {
      this.busy.delete(hostId);
    }
  }

  private async applyChosen(plan: TuningPlan, chosen: readonly TuningChange[], persist: boolean): Promise<Result<TuningRunResult, FerryError>> {
    const a = this.d.access(plan.hostId);
    if (!a.ok) return a;
    const exec: Exec = (c) => runCommand(a.value.runner, c);

    // The plan must still describe the host: nothing runs on values read earlier.
    for (const c of chosen) {
      const now = await readState(c.undo, exec);
      if (!now.ok) return err(ferryError(now.error.code, `Could not read ${c.title} before changing it: ${now.error.message}`, now.error.detail));
      if (!sameState(now.value, c.undo)) {
        return err(ferryError('input.invalid', `${c.title} is now ${describeValue(now.value)}, not ${c.current} as planned; nothing was changed. Plan again.`));
      }
    }
    const sysctlChanges = chosen.filter((c) => c.kind === 'sysctl');
    let persistPlan: { path: string; before: FileContent; after: string } | undefined;
    if (persist && sysctlChanges.length > 0) {
      const rc = readConfFile(this.sysctlFile);
      if (!rc.ok) return rc;
      const before = await exec(rc.value);
      if (!before.ok) return err(ferryError(before.error.code, `Could not read ${this.sysctlFile} before changing it: ${before.error.message}`, before.error.detail));
      const after = sysctlFileText(
        before.value,
        sysctlChanges.map((c) => ({ key: c.target, value: c.proposed })),
      );
      persistPlan = { path: this.sysctlFile, before: before.value, after };
    }

    const id = this.newId('cs');
    let store: TuningStore;
    try {
      store = await this.store();
      // Durable before anything changes: the previous values, so undo works after a crash or a restart.
      await store.append({
      type: 'begin',
      id,
      at: this.d.wallClock(),
      hostId: plan.hostId,
      hostName: plan.hostName,
      planId: plan.id,
      changes: chosen.map((c): StoredChange => ({ id: c.id, title: c.title, current: c.current, proposed: c.proposed, apply: c.apply, undo: c.undo })),
      ...(persistPlan ? { persist: persistPlan } : {}),
      });
    } catch (e) {
      return err(ferryError('inventory.io', 'Ferry could not write the previous values to its tuning history, so it changed nothing.', String(e)));
    }

    const outcomes: ChangeOutcome[] = [];
    let stopped = false;
    for (const c of chosen) {
      if (stopped) {
        outcomes.push({ changeId: c.id, title: c.title, status: 'skipped', verified: false, reason: 'Not applied: an earlier change failed.' });
        continue;
      }
      const o = await setAndVerify(c.id, c.title, c.apply, exec);
      await store.append({ type: 'step', id, at: this.d.wallClock(), action: 'apply', outcome: o });
      outcomes.push(o);
      if (o.status !== 'applied' || !o.verified) stopped = true;
    }

    let persistOutcome: PersistOutcome | undefined;
    if (persistPlan) {
      if (stopped) persistOutcome = { path: persistPlan.path, status: 'skipped', reason: 'Not written: not every change was applied.' };
      else {
        const w = await run(exec, writeConfFile(persistPlan.path, persistPlan.after));
        persistOutcome = w.ok ? { path: persistPlan.path, status: 'written' } : { path: persistPlan.path, status: 'failed', reason: w.error.message };
      }
      await store.append({ type: 'persist', id, at: this.d.wallClock(), action: 'apply', outcome: persistOutcome });
    } else if (persist && sysctlChanges.length === 0) {
      persistOutcome = { path: this.sysctlFile, status: 'skipped', reason: 'No sysctl among the chosen changes: nothing to write there.' };
    }

    const manualPersistence = persist
      ? chosen.filter((c) => c.persistence.how === 'manual').map((c) => ({ title: c.title, advice: c.persistence.how === 'manual' ? c.persistence.advice : [] }))
      : [];
    const result: TuningRunResult = {
      changeSetId: id,
      hostId: plan.hostId,
      action: 'apply',
      outcomes,
      complete: !stopped && (persistOutcome === undefined || persistOutcome.status === 'written' || persistOutcome.status === 'skipped'),
      ...(persistOutcome ? { persist: persistOutcome } : {}),
      manualPersistence,
    };
    await store.append({ type: 'end', id, at: this.d.wallClock(), action: 'apply', result });
    return ok(result);
  }

  // ---- undo ------------------------------------------------------------------------------------------------------

  async undo(req: { hostId: string; changeSetId: string }): Promise<Result<TuningRunResult, FerryError>> {
    const store = await this.opened();
    if (!store.ok) return store;
    const rec = store.value.get(req.changeSetId);
    if (rec === undefined || rec.begin.hostId !== req.hostId) return err(ferryError('inventory.not-found', 'No such change set for this host.'));
    const last = rec.undoEnds[rec.undoEnds.length - 1];
    if (last?.complete === true) return err(ferryError('input.invalid', 'This change set was already undone.'));
    const a = this.d.access(req.hostId);
    if (!a.ok) return a;
    const exec: Exec = (c) => runCommand(a.value.runner, c);
    return this.exclusive(req.hostId, async () => {
      const outcomes: ChangeOutcome[] = [];
      for (const c of [...rec.begin.changes].reverse()) {
        const now = await readState(c.undo, exec);
        let o: ChangeOutcome;
        if (now.ok && sameState(now.value, c.undo)) {
          o = { changeId: c.id, title: c.title, status: 'applied', readBack: describeValue(now.value), verified: true, reason: 'Already at its previous value.' };
        } else {
          o = await setAndVerify(c.id, c.title, c.undo, exec);
        }
        await store.value.append({ type: 'step', id: rec.begin.id, at: this.d.wallClock(), action: 'undo', outcome: o });
        outcomes.push(o);
      }
      let persistOutcome: PersistOutcome | undefined;
      const p = rec.begin.persist;
      if (p !== undefined) {
        persistOutcome = await restoreFile(exec, p);
        await store.value.append({ type: 'persist', id: rec.begin.id, at: this.d.wallClock(), action: 'undo', outcome: persistOutcome });
      }
      const result: TuningRunResult = {
        changeSetId: rec.begin.id,
        hostId: req.hostId,
        action: 'undo',
        outcomes,
        complete: outcomes.every((o) => o.status === 'applied' && o.verified) && (persistOutcome === undefined || ['restored', 'removed'].includes(persistOutcome.status)),
        ...(persistOutcome ? { persist: persistOutcome } : {}),
        manualPersistence: [],
      };
      await store.value.append({ type: 'end', id: rec.begin.id, at: this.d.wallClock(), action: 'undo', result });
      return ok(result);
    });
  }

  async history(hostId: string): Promise<Result<ChangeSetSummary[], FerryError>> {
    const store = await this.opened();
    return store.ok ? ok(store.value.list(hostId)) : store;
  }

  private async opened(): Promise<Result<TuningStore, FerryError>> {
    try {
      return ok(await this.store());
    } catch (e) {
      return err(ferryError('inventory.io', "Ferry could not open its tuning history (tuning.jsonl in its data directory).", String(e)));
    }
  }
}


/** Runs the action's command, then reads the setting back. */
async function setAndVerify(changeId: string, title: string, action: TuningAction, exec: Exec): Promise<ChangeOutcome> {
  const ran = await run(exec, actionCommand(action));
  const back = await readState(action, exec);
  const readBack = back.ok ? { readBack: describeValue(back.value) } : {};
  if (!ran.ok) {
    return { changeId, title, status: 'failed', ...readBack, verified: false, reason: ran.error.detail ? `${ran.error.message} (${ran.error.detail})` : ran.error.message };
  }
  if (!back.ok) return { changeId, title, status: 'applied', verified: false, reason: `Could not read it back: ${back.error.message}` };
  if (!sameState(back.value, action)) {
    return { changeId, title, status: 'applied', ...readBack, verified: false, reason: `The command reported success but ${title} reads ${describeValue(back.value)}, not ${describeValue(action)}.` };
  }
  return { changeId, title, status: 'applied', ...readBack, verified: true };
}

async function restoreFile(exec: Exec, p: { path: string; before: FileContent; after: string }): Promise<PersistOutcome> {
  const now = await run(exec, readConfFile(p.path));
  if (!now.ok) return { path: p.path, status: 'failed', reason: `Could not read it: ${now.error.message}` };
  const sameAsBefore = now.value.present === p.before.present && (!now.value.present || (p.before.present && now.value.content === p.before.content));
  if (sameAsBefore) return { path: p.path, status: p.before.present ? 'restored' : 'removed', reason: 'It already held what it held before.' };
  if (!now.value.present || now.value.content !== p.after) {
    return { path: p.path, status: 'left', reason: 'It changed since Ferry wrote it (by hand or by a later change set), so Ferry left it as it is; edit it yourself.' };
  }
  const w = p.before.present ? await run(exec, writeConfFile(p.path, p.before.content)) : await run(exec, removeConfFile(p.path));
  if (!w.ok) return { path: p.path, status: 'failed', reason: w.error.message };
  return { path: p.path, status: p.before.present ? 'restored' : 'removed' };
}
