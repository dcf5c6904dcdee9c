/** `npm run web` options: --port N, --host H, --allow-remote, --data-dir DIR; env FERRY_WEB_PORT, FERRY_DATA_DIR. */
import { err, ok, type Result } from '../../../shared/result';

export interface WebArgs {
  readonly port: number;
  readonly host: string;
  readonly allowRemote: boolean;
  readonly dataDir: string | undefined;
  readonly help: boolean;
}

export const WEB_USAGE = `Usage: npm run web -- [--port N] [--data-dir DIR] [--host ADDR --allow-remote]
  --port N         port to listen on (default: FERRY_WEB_PORT, else any free port)
  --data-dir DIR   Ferry's data directory (default: FERRY_DATA_DIR, else $XDG_CONFIG_HOME/ferry or ~/.config/ferry)
  --host ADDR      address to bind (default 127.0.0.1); anything but loopback also needs --allow-remote
  --allow-remote   accept a non-loopback --host: whoever reaches it with the token controls Ferry`;

function parsePort(text: string, from: string): Result<number, string> {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) return err(`${from}: "${text}" is not a port number (0-65535).`);
  return ok(Number(text));
}

export function parseWebArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Result<WebArgs, string> {
  let port: number | undefined;
  let host = '127.0.0.1';
  let allowRemote = false;
  let dataDir = env['FERRY_DATA_DIR'] || undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '--port': {
        const p = parsePort(value() ?? '', '--port');
        if (!p.ok) return p;
        port = p.value;
        break;
      }
      case '--host':
        host = value() ?? '';
        if (!host) return err('--host needs an address.');
        break;
      case '--data-dir':
        dataDir = value() ?? '';
        if (!dataDir) return err('--data-dir needs a directory.');
        break;
      case '--allow-remote':
        allowRemote = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        return err(`unknown option "${arg}".`);
    }
  }
  if (port === undefined) {
    const fromEnv = env['FERRY_WEB_PORT'];
    if (fromEnv) {
      const p = parsePort(fromEnv, 'FERRY_WEB_PORT');
      if (!p.ok) return p;
      port = p.value;
    }
  }
  return ok({ port: port ?? 0, host, allowRemote, dataDir, help });
}
