/**
 * Preload: runs sandboxed with context isolation and exposes one narrow object, `window.ferry`. The typed request /
 * subscription contract arrives with the console (shared/ipc); until then the surface is read-only facts.
 */
import { contextBridge } from 'electron';

const api = Object.freeze({
  platform: process.platform,
});

contextBridge.exposeInMainWorld('ferry', api);
