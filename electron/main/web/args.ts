/**
 * `npm run web` options: --port N, --host H, --allow-remote, --tls-cert FILE, --tls-key FILE, --data-dir DIR; env
 * FERRY_WEB_PORT, FERRY_DATA_DIR. Remote access is HTTPS only: the page URL carries the token and the console sends
 * key passphrases, neither of which may cross a network in clear.
 */
import { err, ok, type Result } from '../../../shared/result';

export interface WebArgs {
  readonly port: number;
  readonly host: string;
  readonly allowRemote: boolean;
  /** PEM certificate (chain) and private key files: serve HTTPS/WSS. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly dataDir: string | undefined;
  readonly help: boolean;
}

export const WEB_USAGE = `Usage: npm run web -- [--port N] [--data-dir DIR] [--host ADDR --allow-remote --tls-cert FILE --tls-key FILE]
  --port N         port to listen on (default: FERRY_WEB_PORT, else any free port)
  --data-dir DIR   Ferry's data directory (default: FERRY_DATA_DIR, else $XDG_CONFIG_HOME/ferry or ~/.config/ferry)
  --host ADDR      address to bind (default 127.0.0.1); anything but loopback also needs --allow-remote
  --allow-remote   accept a non-loopback --host: whoever reaches it with the token controls Ferry (needs TLS)
  --tls-cert FILE  PEM certificate (chain) to serve HTTPS and WSS with
  --tls-key FILE   its PEM private key (readable by its owner only)`;

/** Why --allow-remote alone is refused, and the two ways to reach Ferry from another machine. */
export function remoteNeedsTls(port: number): string {
  return (
    '--allow-remote needs TLS: over plain HTTP the token and key passphrases would cross the network in clear. ' +
    'Either give a certificate and its key (--tls-cert FILE --tls-key FILE, PEM; e.g. openssl req -x509 -newkey ec ' +
    "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 -subj /CN=HOST -addext subjectAltName=DNS:HOST -keyout key.pem -out cert.pem), " +
    `or keep Ferry on 127.0.0.1 and tunnel to it from the other machine: ssh -L 8080:127.0.0.1:${port === 0 ? 'PORT' : port} HOST, then open http://127.0.0.1:8080/?token=...`
  );
}

function parsePort(text: string, from: string): Result<number, string> {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) return err(`${from}: "${text}" is not a port number (0-65535).`);
  return ok(Number(text));
}

export function parseWebArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Result<WebArgs, string> {
  let port: number | undefined;
  let host = '127.0.0.1';
  let allowRemote = false;
  let certFile: string | undefined;
  let keyFile: string | undefined;
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
      case '--tls-cert':
        certFile = value() ?? '';
        if (!certFile) return err('--tls-cert needs a certificate file.');
        break;
      case '--tls-key':
        keyFile = value() ?? '';
        if (!keyFile) return err('--tls-key needs a private key file.');
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
  if ((certFile === undefined) !== (keyFile === undefined)) return err('--tls-cert and --tls-key go together: give both, or neither.');
  const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined;
  if (allowRemote && tls === undefined && !help) return err(remoteNeedsTls(port ?? 0));
  return ok({ port: port ?? 0, host, allowRemote, tls, dataDir, help });
}
