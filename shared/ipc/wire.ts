/**
 * What the two transports put on the wire, and nothing else. Both carry the same messages (define.ts); the
 * WebSocket wraps them in frames tagged by `t`, Electron IPC uses one channel name per message kind (channels.ts).
 */
import { z } from 'zod';
import { ferryErrorSchema, wireEventSchema, wireRequestSchema, wireStreamEndSchema, wireSubscribeSchema, wireUnsubscribeSchema } from './define';

const callId = z.string().min(1).max(100);

// ---- renderer -> main ------------------------------------------------------------------------------------------

export const invokeFrameSchema = wireRequestSchema.extend({ t: z.literal('invoke'), id: callId }).strict();
export const subscribeFrameSchema = wireSubscribeSchema.extend({ t: z.literal('subscribe') }).strict();
export const unsubscribeFrameSchema = wireUnsubscribeSchema.extend({ t: z.literal('unsubscribe') }).strict();
export const clientFrameSchema = z.discriminatedUnion('t', [invokeFrameSchema, subscribeFrameSchema, unsubscribeFrameSchema]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

// ---- main -> renderer ------------------------------------------------------------------------------------------

export const resultFrameSchema = z.object({ t: z.literal('result'), id: callId, result: z.unknown() });
export const eventFrameSchema = wireEventSchema.extend({ t: z.literal('event') });
export const endFrameSchema = wireStreamEndSchema.extend({ t: z.literal('end'), error: ferryErrorSchema.optional() });
/** What Electron sends on ELECTRON_CHANNELS.event. */
export const streamFrameSchema = z.discriminatedUnion('t', [eventFrameSchema, endFrameSchema]);
export type StreamFrame = z.infer<typeof streamFrameSchema>;
export const serverFrameSchema = z.discriminatedUnion('t', [resultFrameSchema, eventFrameSchema, endFrameSchema]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;
