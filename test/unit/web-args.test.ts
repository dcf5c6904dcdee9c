import { describe, expect, it } from 'vitest';
import { parseWebArgs } from '../../electron/main/web/args';

describe('npm run web options', () => {
  it('defaults to loopback on any free port with the default data directory', () => {
    expect(parseWebArgs([], {})).toEqual({ ok: true, value: { port: 0, host: '127.0.0.1', allowRemote: false, tls: undefined, dataDir: undefined, help: false } });
  });

  it('takes --port N, --port=N and FERRY_WEB_PORT, the option winning over the environment', () => {
    expect(parseWebArgs(['--port', '7420'], {})).toMatchObject({ ok: true, value: { port: 7420 } });
    expect(parseWebArgs(['--port=7421'], { FERRY_WEB_PORT: '9000' })).toMatchObject({ ok: true, value: { port: 7421 } });
    expect(parseWebArgs([], { FERRY_WEB_PORT: '9000' })).toMatchObject({ ok: true, value: { port: 9000 } });
  });

  it('refuses a port that is not one, naming where it came from', () => {
    expect(parseWebArgs(['--port', '70000'], {})).toEqual({ ok: false, error: '--port: "70000" is not a port number (0-65535).' });
    expect(parseWebArgs(['--port'], {})).toMatchObject({ ok: false });
    expect(parseWebArgs([], { FERRY_WEB_PORT: 'http' })).toMatchObject({ ok: false, error: expect.stringContaining('FERRY_WEB_PORT') });
  });

  it('takes the data directory from --data-dir or FERRY_DATA_DIR', () => {
    expect(parseWebArgs(['--data-dir', '/srv/ferry'], { FERRY_DATA_DIR: '/x' })).toMatchObject({ ok: true, value: { dataDir: '/srv/ferry' } });
    expect(parseWebArgs([], { FERRY_DATA_DIR: '/x' })).toMatchObject({ ok: true, value: { dataDir: '/x' } });
  });

  it('needs remote access asked for in so many words, with TLS, and refuses unknown options', () => {
    expect(parseWebArgs(['--host', '0.0.0.0', '--allow-remote', '--tls-cert', '/etc/ferry/cert.pem', '--tls-key=/etc/ferry/key.pem'], {})).toMatchObject({
      ok: true,
      value: { host: '0.0.0.0', allowRemote: true, tls: { certFile: '/etc/ferry/cert.pem', keyFile: '/etc/ferry/key.pem' } },
    });
    expect(parseWebArgs(['--open'], {})).toEqual({ ok: false, error: 'unknown option "--open".' });
  });

  it('refuses --allow-remote without a certificate, saying how to do it instead (TLS, or an SSH tunnel)', () => {
    const r = parseWebArgs(['--host', '0.0.0.0', '--port', '7420', '--allow-remote'], {});
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) {
      expect(r.error).toContain('--tls-cert FILE --tls-key FILE');
      expect(r.error).toContain('ssh -L 8080:127.0.0.1:7420 HOST');
    }
    expect(parseWebArgs(['--allow-remote'], {})).toMatchObject({ ok: false, error: expect.stringContaining('ssh -L 8080:127.0.0.1:PORT HOST') });
  });

  it('takes --tls-cert and --tls-key together only; HTTPS on loopback needs no --allow-remote', () => {
    expect(parseWebArgs(['--tls-cert', 'c.pem'], {})).toEqual({ ok: false, error: '--tls-cert and --tls-key go together: give both, or neither.' });
    expect(parseWebArgs(['--tls-key', 'k.pem'], {})).toMatchObject({ ok: false });
    expect(parseWebArgs(['--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {})).toMatchObject({ ok: true, value: { host: '127.0.0.1', tls: { certFile: 'c.pem', keyFile: 'k.pem' } } });
  });
});
