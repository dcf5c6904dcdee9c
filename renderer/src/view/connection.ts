/** How a host's connection state is shown: a short badge label, a tone for its colour, and the reason in words. */
import type { ConnectionState, ConnectionStateName } from '../../../shared/inventory/types';

/** Badge colours: ok green, pending grey, warn amber-red (reachability, credentials), danger red (host key changed). */
export type Tone = 'ok' | 'pending' | 'idle' | 'warn' | 'danger';

export interface ConnectionBadge {
  readonly state: ConnectionStateName;
  readonly label: string;
  readonly tone: Tone;
  /** What happened, for the tooltip and the expanded line; absent when there is nothing to explain. */
  readonly reason?: string;
  readonly detail?: string;
  /** The state asks the admin to do something (trust a key, unlock a key, resolve a changed key). */
  readonly needsAction: boolean;
}

const LABELS: Record<ConnectionStateName, { label: string; tone: Tone; needsAction: boolean }> = {
  idle: { label: 'Not connected', tone: 'idle', needsAction: false },
  connecting: { label: 'Connecting', tone: 'pending', needsAction: false },
  connected: { label: 'Connected', tone: 'ok', needsAction: false },
  unreachable: { label: 'Unreachable', tone: 'warn', needsAction: false },
  'libvirt-unreachable': { label: 'libvirt unreachable', tone: 'warn', needsAction: false },
  'auth-failed': { label: 'Auth failed', tone: 'warn', needsAction: true },
  'host-key-unknown': { label: 'Key not trusted', tone: 'warn', needsAction: true },
  'host-key-changed': { label: 'Host key changed', tone: 'danger', needsAction: true },
  'passphrase-needed': { label: 'Locked', tone: 'warn', needsAction: true },
  error: { label: 'Error', tone: 'warn', needsAction: false },
};

/** Label and tone of a state by name alone (the status bar's counts). */
export function stateLabel(state: ConnectionStateName): { label: string; tone: Tone } {
  const { label, tone } = LABELS[state];
  return { label, tone };
}

export function connectionBadge(c: ConnectionState): ConnectionBadge {
  const base = LABELS[c.state];
  switch (c.state) {
    case 'idle':
      return { state: c.state, ...base, reason: 'Ferry has not contacted this host yet.' };
    case 'connecting':
    case 'connected':
      return { state: c.state, ...base };
    case 'unreachable':
    case 'libvirt-unreachable':
    case 'auth-failed':
    case 'error':
      return c.detail === undefined
        ? { state: c.state, ...base, reason: c.reason }
        : { state: c.state, ...base, reason: c.reason, detail: c.detail };
    case 'host-key-unknown':
    case 'host-key-changed':
    case 'passphrase-needed':
      return { state: c.state, ...base, reason: c.reason };
  }
}

/** Sort order of the state filter and of the host list's worst-first hints: problems first. */
export const CONNECTION_STATES: readonly ConnectionStateName[] = [
  'host-key-changed',
  'auth-failed',
  'unreachable',
  'libvirt-unreachable',
  'error',
  'host-key-unknown',
  'passphrase-needed',
  'connecting',
  'idle',
  'connected',
];
