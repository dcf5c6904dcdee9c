/** The errors the IPC layer itself produces (main, preload, renderer client). Messages quote nothing secret. */
import { ferryError, type FerryError } from '../errors';

export function internalError(what: string): FerryError {
  return ferryError('ipc.internal', `Ferry hit an internal error while handling ${what}. The details are in Ferry's log.`);
}

/** A channel id a caller sent, made safe to quote back (it is untrusted text). */
export function quoteChannel(channelId: unknown): string {
  if (typeof channelId !== 'string') return `(a ${channelId === null ? 'null' : typeof channelId})`;
  const printable = channelId.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 80 ? `${printable.slice(0, 80)}...` : printable);
}

export function unknownChannel(channelId: unknown, kind: 'request' | 'stream'): FerryError {
  return ferryError('ipc.unknown-channel', `Ferry has no ${kind} channel ${quoteChannel(channelId)}.`);
}

export function transportError(message: string): FerryError {
  return ferryError('ipc.transport', message);
}
