/**
 * Preload: runs sandboxed with context isolation and exposes exactly one object, `window.ferry` (`invoke`,
 * `subscribe`), built in bridge.ts. Nothing else crosses into the page, ipcRenderer least of all.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadBridge } from './bridge';

contextBridge.exposeInMainWorld('ferry', createPreloadBridge(ipcRenderer));
