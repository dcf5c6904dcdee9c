/**
 * The Electron transport: a thin adapter from ipcMain to the IPC core. One `handle` channel carries requests, two
 * `on` channels carry subscribe/unsubscribe, and stream frames go back with `webContents.send`. Only the app's own
 * main frame may call; a window that closes, crashes or navigates away ends its subscriptions.
 *
 * ipcMain is injected (Electron's values are imported by the composition root only), so this runs in Node tests.
 */
import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents, WebFrameMain } from 'electron';
import { describeSchemaError, wireRequestSchema, wireSubscribeSchema, wireUnsubscribeSchema } from '../../../shared/ipc/define';
import { transportError } from '../../../shared/ipc/errors';
import { ELECTRON_CHANNELS } from '../../../shared/ipc/channels';
import type { StreamFrame } from '../../../shared/ipc/wire';
import type { FerryError } from '../../../shared/errors';
import { err } from '../../../shared/result';
import type { IpcCore } from './core';
import type { Caller } from './handlers';
import { silentIpcLogger, type IpcLogger } from './log';

export interface ElectronIpcDeps {
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler' | 'on' | 'removeListener'>;
  readonly core: IpcCore;
  /** The URL the window loads (file:// of the built renderer, or the dev server): the only caller allowed. */
  readonly appUrl: string;
  readonly logger?: IpcLogger;
}

type SenderEvent = Pick<IpcMainEvent | IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

/** file: URLs have an opaque origin, so the app's file is matched by path; http(s) by origin. */
export function isAppUrl(url: string, appUrl: string): boolean {
  let u: URL, app: URL;
  try {
    u = new URL(url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (app.protocol === 'file:') return u.protocol === 'file:' && u.host === app.host && u.pathname === app.pathname;
  return u.origin === app.origin;
}

/** The sender must be a top-level frame showing the app (not an iframe, not a page it navigated to). */
export function isAppFrame(frame: Pick<WebFrameMain, 'url' | 'parent'> | null, appUrl: string): boolean {
  try {
    return frame !== null && frame.parent === null && isAppUrl(frame.url, appUrl);
  } catch {
    return false; // a frame destroyed meanwhile
  }
}

const clientIdOf = (contents: Pick<WebContents, 'id'>) => `electron:${contents.id}`;
const callerOf = (contents: Pick<WebContents, 'id'>): Caller => ({ clientId: clientIdOf(contents), transport: 'electron' });

function send(contents: WebContents, frame: StreamFrame): void {
  if (!contents.isDestroyed()) contents.send(ELECTRON_CHANNELS.event, frame);
}

/** Registers the transport; returns the function that unregisters it. */
export function registerElectronIpc(deps: ElectronIpcDeps): () => void {
  const { ipcMain, core, appUrl } = deps;
  const logger = deps.logger ?? silentIpcLogger;
  const watched = new WeakSet<WebContents>();
  const refused = transportError('Only the Ferry window may talk to Ferry.');

  /** Ends a window's subscriptions when it goes away or loads another document. */
  function watch(contents: WebContents): void {
    if (watched.has(contents)) return;
    watched.add(contents);
    const drop = () => core.dropClient(clientIdOf(contents));
    contents.once('destroyed', drop);
    contents.on('render-process-gone', drop);
    contents.on('did-start-navigation', (details) => {
      if (details.isMainFrame && !details.isSameDocument) drop();
    });
  }

  function trusted(event: SenderEvent, what: string): boolean {
    if (isAppFrame(event.senderFrame, appUrl)) return true;
    let url = '(gone)';
    try {
      url = event.senderFrame?.url ?? url;
    } catch {
      /* destroyed frame */
    }
    logger.warn('ipc.sender-refused', { what, url: url.slice(0, 200) });
    return false;
  }

  const onInvoke = async (event: IpcMainInvokeEvent, message: unknown) => {
    if (!trusted(event, 'invoke')) return err(refused);
    const parsed = wireRequestSchema.safeParse(message);
    if (!parsed.success) return err(describeSchemaError('The IPC message', parsed.error));
    return core.invoke(parsed.data.channel, parsed.data.input, callerOf(event.sender));
  };

  const onSubscribe = (event: IpcMainEvent, message: unknown) => {
    const parsed = wireSubscribeSchema.safeParse(message);
    if (!parsed.success) return logger.warn('ipc.bad-message', { what: 'subscribe', problem: describeSchemaError('It', parsed.error).message });
    const { subscription } = parsed.data;
    if (!trusted(event, 'subscribe')) return event.reply(ELECTRON_CHANNELS.event, { t: 'end', subscription, error: refused } satisfies StreamFrame);
    const contents = event.sender;
    watch(contents);
    core.subscribe(callerOf(contents), subscription, parsed.data.channel, parsed.data.params, {
      event: (e) => send(contents, { t: 'event', subscription, event: e }),
      end: (error?: FerryError) => send(contents, error ? { t: 'end', subscription, error } : { t: 'end', subscription }),
    });
  };

  const onUnsubscribe = (event: IpcMainEvent, message: unknown) => {
    const parsed = wireUnsubscribeSchema.safeParse(message);
    if (!parsed.success || !trusted(event, 'unsubscribe')) return;
    core.unsubscribe(clientIdOf(event.sender), parsed.data.subscription);
  };

  ipcMain.handle(ELECTRON_CHANNELS.invoke, onInvoke);
  ipcMain.on(ELECTRON_CHANNELS.subscribe, onSubscribe);
  ipcMain.on(ELECTRON_CHANNELS.unsubscribe, onUnsubscribe);
  return () => {
    ipcMain.removeHandler(ELECTRON_CHANNELS.invoke);
    ipcMain.removeListener(ELECTRON_CHANNELS.subscribe, onSubscribe as (...args: unknown[]) => void);
    ipcMain.removeListener(ELECTRON_CHANNELS.unsubscribe, onUnsubscribe as (...args: unknown[]) => void);
  };
}
