/**
 * Entry of web mode (`npm run web`, and `npm start` where Electron is missing), bundled to dist/web/server.cjs:
 * the same main (createFerryMain) and IPC core as the desktop app, served by the web server. Prints one line with
 * the URL (token included) on stdout, logs to stderr, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { version } from '../../../package.json';
import { createFerryMain, defaultDataDir } from '../app';
import { createIpcCore } from '../ipc/core';
import { stderrLogger } from '../ipc/log';
import { parseWebArgs, WEB_USAGE } from './args';
import { startWebServer } from './server';
import { loadTls, type TlsMaterial } from './tls';

async function run(): Promise<void> {
  const args = parseWebArgs(process.argv.slice(2), process.env);
  if (!args.ok) {
    process.stderr.write(`ferry web: ${args.error}\n${WEB_USAGE}\n`);
    process.exit(2);
  }
  if (args.value.help) {
    process.stdout.write(`${WEB_USAGE}\n`);
    return;
  }
  const staticDir = path.join(__dirname, '..', 'renderer'); // dist/web/server.cjs -> dist/renderer
  if (!existsSync(path.join(staticDir, 'index.html'))) {
    process.stderr.write(`ferry web: no built renderer in ${staticDir}; run npm run build.\n`);
    process.exit(1);
  }
  const log = stderrLogger();
  const logger = { ...log, debug: process.env['FERRY_DEBUG'] ? log.warn : () => undefined };
  const dataDir = path.resolve(args.value.dataDir ?? defaultDataDir(process.env, os.homedir()));
  let tls: TlsMaterial | undefined;
  if (args.value.tls) {
    const loaded = await loadTls(args.value.tls.certFile, args.value.tls.keyFile);
    if (!loaded.ok) {
      process.stderr.write(`ferry web: ${loaded.error}\n`);
      process.exit(2);
    }
    tls = loaded.value;
  }
  const main = await createFerryMain({ dataDir, homeDir: os.homedir(), env: process.env, version, logger, mode: 'web' });
  const core = createIpcCore(main.handlers, { logger });
  const server = await startWebServer({ core, staticDir, host: args.value.host, port: args.value.port, allowRemote: args.value.allowRemote, ...(tls ? { tls } : {}), logger });
  process.stdout.write(`Ferry web console: ${server.url}\n`);
  // stdout carries only the URL line (scripts read it); the fingerprint is for the person comparing it in the browser.
  if (tls) process.stderr.write(`ferry web: TLS certificate SHA-256 fingerprint ${tls.fingerprint256} (valid until ${tls.validTo}): check the browser shows the same.\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return process.exit(1); // a second Ctrl-C does not wait
    stopping = true;
    await server.close();
    core.dispose();
    await main.dispose();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

run().catch((e: unknown) => {
  process.stderr.write(`ferry web: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
