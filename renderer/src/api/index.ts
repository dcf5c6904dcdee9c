/**
 * The renderer's one way to main: `api.invoke(appInfo, {})`, `api.subscribe(inventoryWatch, {}, onEvent)`.
 * The bridge underneath is chosen on first use (getBridge), so importing this module has no side effects.
 */
import type { RequestDef, StreamDef } from '../../../shared/ipc/define';
import type { FerryError } from '../../../shared/errors';
import type { Result } from '../../../shared/result';
import { getBridge } from './bridge';
import { createClient, type FerryClient } from './client';

let client: FerryClient | undefined;
const current = () => (client ??= createClient(getBridge()));

export const api: FerryClient = {
  invoke: <I, O>(def: RequestDef<I, O>, input: I): Promise<Result<O, FerryError>> => current().invoke(def, input),
  subscribe: <P, E>(def: StreamDef<P, E>, params: P, onEvent: (event: E) => void, onEnd?: (error?: FerryError) => void) =>
    current().subscribe(def, params, onEvent, onEnd),
};

export { createClient, type FerryClient } from './client';
export { getBridge, connectionStatus, onConnectionStatus } from './bridge';
export { createWebSocketBridge, type ConnectionStatus, type WebSocketBridge } from './ws-bridge';
