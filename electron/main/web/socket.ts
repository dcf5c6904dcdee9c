/**
 * One WebSocket client of the web console: JSON frames in (validated against the wire schemas), the IPC core does
 * the work, JSON frames out. Closing the socket ends the client's subscriptions; a client that stops reading is
 * cut off rather than buffered without bound.
 */
import type { RawData, WebSocket } from 'ws';
import { describeSchemaError } from '../../../shared/ipc/define';
import { transportError } from '../../../shared/ipc/errors';
import { clientFrameSchema, type ServerFrame } from '../../../shared/ipc/wire';
import { err } from '../../../shared/result';
import type { IpcCore } from '../ipc/core';
import type { Caller } from '../ipc/handlers';
import type { IpcLogger } from '../ipc/log';

export interface SocketLimits {
  /** Unanswered requests one socket may have in flight. */
  readonly maxInFlight: number;
  /** Bytes queued for a socket that does not read before it is cut off. */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_SOCKET_LIMITS: SocketLimits = { maxInFlight: 256, maxBufferedBytes: 32 * 1024 * 1024 };

/** Close codes (RFC 6455): 1003 unsupported data, 1008 policy violation, 1013 try again later. */
const CLOSE_UNSUPPORTED = 1003;
const CLOSE_POLICY = 1008;

export function serveSocket(ws: WebSocket, core: IpcCore, clientId: string, logger: IpcLogger, limits = DEFAULT_SOCKET_LIMITS): void {
  const caller: Caller = { clientId, transport: 'web' };
  let inFlight = 0;

  const send = (frame: ServerFrame) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > limits.maxBufferedBytes) {
      logger.warn('web.slow-client', { client: clientId, buffered: ws.bufferedAmount });
      return ws.terminate();
    }
    ws.send(JSON.stringify(frame));
  };

  const refuse = (why: string) => {
    logger.warn('web.bad-frame', { client: clientId, why });
    ws.close(CLOSE_POLICY, 'bad frame');
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return ws.close(CLOSE_UNSUPPORTED, 'text frames only');
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      return refuse('not JSON');
    }
    const parsed = clientFrameSchema.safeParse(json);
    if (!parsed.success) return refuse(describeSchemaError('frame', parsed.error).message);
    const frame = parsed.data;
    switch (frame.t) {
      case 'invoke': {
        if (inFlight >= limits.maxInFlight) {
          return send({ t: 'result', id: frame.id, result: err(transportError('Too many requests at once; try again.')) });
        }
        inFlight++;
        void core.invoke(frame.channel, frame.input, caller).then((result) => {
          inFlight--;
          send({ t: 'result', id: frame.id, result });
        });
        return;
      }
      case 'subscribe': {
        const { subscription } = frame;
        return core.subscribe(caller, subscription, frame.channel, frame.params, {
          event: (event) => send({ t: 'event', subscription, event }),
          end: (error) => send(error ? { t: 'end', subscription, error } : { t: 'end', subscription }),
        });
      }
      case 'unsubscribe':
        return core.unsubscribe(clientId, frame.subscription);
    }
  });
  ws.on('close', () => core.dropClient(clientId));
  ws.on('error', (e) => logger.warn('web.socket-error', { client: clientId, error: e.message }));
}
