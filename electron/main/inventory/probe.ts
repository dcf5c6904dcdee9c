/**
 * Testing a host before it is saved: its own credentials and its jump hosts' (a passphrase asked for, not guessed),
 * a throw-away connection, and facts and VMs if it answers. A host key shown for the first time, or a changed one,
 * is an outcome for the dialog, and is remembered with the target that showed it: trusting accepts only that key.
 */
import type { FerryError } from '../../../shared/errors';
import { ferryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import type { HostDraft, HostFacts, VmSummary } from '../../../shared/inventory/types';
import type { HostTestOutcome } from '../../../shared/ipc/contract';
import type { Clock } from '../clock';
import { isHostKeyError, targetKey, type PresentedHostKey, type SshTarget } from '../ssh/errors';
import type { SshAuth } from '../ssh/pool';
import type { HostSession, SshBackend } from './backend';
import { collectFacts, collectVms } from './collect';
import type { CredentialProblem, Credentials } from './credentials';
import { presentedKeyView } from './states';
import { jumpTargetsOf, recordKey, sshTargetOf } from './target';

export const hostPort = (host: string, port: number): string => `${host.toLowerCase()}:${port}`;

/** Last key a server presented per host:port, with the target that saw it: the only key trustKey accepts. */
export interface Presented {
  readonly target: SshTarget;
  readonly key: PresentedHostKey;
}

/** The last key each host:port presented, with the target that saw it: the only key trusting accepts. */
export class PresentedKeys {
  private readonly byHostPort = new Map<string, Presented>();

  /** Remembers the key a server showed, with the target that showed it: the record's own, or the jump host's. */
  note(draft: HostDraft, e: FerryError): void {
    if (!isHostKeyError(e)) return;
    const hp = hostPort(e.hostKey.host, e.hostKey.port);
    const target = hostPort(draft.address, draft.port) === hp ? sshTargetOf(draft) : jumpTargetsOf(draft).find((j) => hostPort(j.hop.address, j.hop.port) === hp)?.target;
    if (target) this.byHostPort.set(hp, { target, key: e.hostKey });
  }

  get(hp: string): Presented | undefined {
    return this.byHostPort.get(hp);
  }

  forget(hp: string): void {
    this.byHostPort.delete(hp);
  }
}

export interface ProbeDeps {
  readonly credentials: Credentials;
  readonly probeBackend: (auth: (target: SshTarget) => SshAuth) => SshBackend;
  readonly clock: Clock;
  readonly connectTimeoutMs: number;
  readonly hostTimeoutMs: number;
  /** Now, as the ISO time facts carry. */
  readonly iso: () => string;
  readonly presented: PresentedKeys;
}

export interface Probed {
  readonly outcome: HostTestOutcome;
  readonly facts?: HostFacts;
  readonly vms?: VmSummary[];
  readonly encrypted: boolean;
}

/** The credentials of a draft and of each of its jump hosts, by pool key; the first that cannot be had, as a problem. */
async function resolveAll(credentials: Credentials, draft: HostDraft, passphrase: string | undefined): Promise<{ ok: true; auth: (t: SshTarget) => SshAuth; encrypted: boolean } | { ok: false; problem: CredentialProblem; hop?: string }> {
  const own = await credentials.resolve(draft.auth, passphrase);
  if (!own.ok) return own;
  const byKey = new Map<string, SshAuth>([[recordKey(draft), own.auth]]);
  for (const j of jumpTargetsOf(draft)) {
    const r = await credentials.resolve(j.hop.auth);
    if (!r.ok) return { ...r, hop: j.hop.address };
    byKey.set(targetKey(j.target).toLowerCase(), r.auth);
  }
  return {
    ok: true,
    encrypted: own.encrypted,
    auth: (t) => {
      const a = byKey.get(targetKey(t).toLowerCase());
      if (!a) throw new Error(`no credentials for ${targetKey(t)}`);
      return a;
    },
  };
}

/**
 * Connects with the draft's own credentials over a throw-away connection and, if it answers, collects facts and
 * VMs. Host-key prompts and a missing passphrase are outcomes; anything else that stops it is an error.
 */
export async function probeDraft(
  d: ProbeDeps,
  draft: HostDraft,
  passphrase: string | undefined,
): Promise<Result<Probed, FerryError>> {
  const cred = await resolveAll(d.credentials, draft, passphrase);
  if (!cred.ok) {
    const { problem, hop } = cred;
    if (hop !== undefined) return err(ferryError('ssh.auth-failed', `jump host ${hop}: ${problem.reason}`, problem.state === 'auth-failed' ? problem.detail : undefined));
    if (problem.state === 'passphrase-needed') return ok({ outcome: { outcome: 'passphrase-needed' }, encrypted: true });
    return err(ferryError('ssh.auth-failed', problem.reason, problem.detail));
  }
  const target = sshTargetOf(draft);
  const backend = d.probeBackend(cred.auth);
  let session: HostSession | undefined;
  try {
    const c = await backend.connect(target, { timeoutMs: d.connectTimeoutMs });
    if (!c.ok) {
      d.presented.note(draft, c.error);
      const key = presentedKeyView(c.error);
      if (c.error.code === 'ssh.host-key-unknown' && key) return ok({ outcome: { outcome: 'host-key-unknown', key }, encrypted: cred.encrypted });
      if (c.error.code === 'ssh.host-key-changed' && key && isHostKeyError(c.error)) {
        return ok({
          outcome: {
            outcome: 'host-key-changed',
            key,
            knownFingerprint: c.error.hostKey.knownFingerprint ?? 'unknown',
            knownIn: c.error.hostKey.knownHostsFile,
          },
          encrypted: cred.encrypted,
        });
      }
      return err(c.error);
    }
    session = backend.session(target);
    const ctl = new AbortController();
    const timer = d.clock.setTimeout(() => ctl.abort(), d.hostTimeoutMs);
    try {
      const [facts, vms] = await Promise.all([collectFacts(session, { signal: ctl.signal, now: d.iso }), collectVms(session, { signal: ctl.signal })]);
      if (!facts.ok) return err(facts.error);
      if (!vms.ok) return err(vms.error);
      return ok({ outcome: { outcome: 'ok', facts: facts.value, vmCount: vms.value.vms.length }, facts: facts.value, vms: vms.value.vms, encrypted: cred.encrypted });
    } finally {
      d.clock.clearTimeout(timer);
    }
  } finally {
    await session?.close().catch(() => undefined);
    await backend.dispose().catch(() => undefined);
  }
}
