/**
 * The rules for a saved host record: when two records are the same host (or the same connection), which hosts go
 * through a host:port, what makes a draft a duplicate, and a probe outcome that is not an answer as the error that
 * add/update give.
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import type { HostDraft, HostRecord } from '../../../shared/inventory/types';
import type { HostTestOutcome } from '../../../shared/ipc/contract';
import { targetKey } from '../ssh/errors';
import { hostPort } from './probe';
import { recordKey, sshTargetOf } from './target';

/** The same server reached the same way: behind another bastion, the same private address is another machine. */
export const sameTarget = (a: HostDraft, b: HostDraft): boolean => recordKey(a) === recordKey(b);
export const sameConnection = (a: HostDraft, b: HostDraft): boolean =>
  sameTarget(a, b) && JSON.stringify(a.auth) === JSON.stringify(b.auth) && JSON.stringify(a.jump ?? []) === JSON.stringify(b.jump ?? []);
/** Does the record go through this host:port (as its target or as one of its jump hosts)? */
export const reaches = (d: HostDraft, hp: string): boolean => hostPort(d.address, d.port) === hp || (d.jump ?? []).some((h) => hostPort(h.address, h.port) === hp);


export function duplicateOf(hosts: readonly HostRecord[], draft: HostDraft, exceptId?: string): FerryError | undefined {
  for (const h of hosts) {
    if (h.id === exceptId) continue;
    if (h.name.toLowerCase() === draft.name.toLowerCase()) {
      return ferryError('inventory.duplicate', `A host named "${h.name}" is already in the inventory.`);
    }
    if (sameTarget(h, draft)) {
      return ferryError('inventory.duplicate', `"${h.name}" already connects to ${targetKey(sshTargetOf(draft))}.`);
    }
  }
  return undefined;
}

/** A probe that did not end in `ok`, as the error add/update answer. */
export function notAnswered(outcome: HostTestOutcome, draft: HostDraft): FerryError {
  const where = `${draft.address}:${draft.port}`;
  switch (outcome.outcome) {
    case 'host-key-unknown':
      return ferryError('ssh.host-key-unknown', `${where} is not a known host yet: check its ${outcome.key.keyType} key ${outcome.key.fingerprint} and trust it first.`);
    case 'host-key-changed':
      return ferryError(
        'ssh.host-key-changed',
        `The host key of ${where} has changed (it presents ${outcome.key.fingerprint}, ${outcome.knownIn ?? 'the known hosts'} records ${outcome.knownFingerprint}); Ferry will not save it.`,
      );
    case 'passphrase-needed':
      return ferryError('ssh.auth-failed', 'The key is encrypted: give its passphrase to test and save this host.');
    case 'ok':
      return ferryError('ipc.internal', 'unreachable');
  }
}

export function withEncryptedFlag(draft: HostDraft, encrypted: boolean): HostDraft {
  if (draft.auth.kind !== 'key') return draft;
  return { ...draft, auth: { kind: 'key', keyPath: draft.auth.keyPath, ...(encrypted ? { encrypted: true } : {}) } };
}
