import { describe, expect, it } from 'vitest';
import { mapSshError, redact, targetKey } from '../../electron/main/ssh/errors';

const target = { host: '10.77.0.11', user: 'root' };

function e(message: string, props: { code?: string; level?: string } = {}): Error {
  return Object.assign(new Error(message), props);
}

describe('mapSshError', () => {
  it.each([
    [{ code: 'ECONNREFUSED', level: 'client-socket' }, 'connect ECONNREFUSED 10.77.0.11:22', 'ssh.unreachable', /refused the connection/],
    [{ code: 'EHOSTUNREACH', level: 'client-socket' }, 'connect EHOSTUNREACH', 'ssh.unreachable', /cannot be reached/],
    [{ code: 'ENETUNREACH', level: 'client-socket' }, 'connect ENETUNREACH', 'ssh.unreachable', /No network route/],
    [{ code: 'ETIMEDOUT', level: 'client-socket' }, 'connect ETIMEDOUT', 'ssh.unreachable', /did not answer/],
    [{ code: 'ENOTFOUND', level: 'client-socket' }, 'getaddrinfo ENOTFOUND hv', 'ssh.unreachable', /cannot be resolved/],
    [{ code: 'ECONNRESET', level: 'client-socket' }, 'read ECONNRESET', 'ssh.disconnected', /reset the connection during the SSH handshake/],
    [{ level: 'client-timeout' }, 'Keepalive timeout', 'ssh.disconnected', /stopped answering for 20 s \(keepalive timeout\).*MTU black hole/],
    [{ level: 'client-authentication' }, 'All configured authentication methods failed', 'ssh.auth-failed', /refused our credentials/],
    [{ level: 'agent' }, 'Failed to connect to agent', 'ssh.auth-failed', /SSH agent/],
    [{}, 'Cannot parse privateKey: Encrypted private OpenSSH key detected, but no passphrase given', 'ssh.auth-failed', /passphrase is missing or wrong/],
    [{ level: 'handshake' }, 'Handshake failed: no matching host key format', 'ssh.handshake-failed', /no common algorithm/],
  ] as const)('%o %s -> %s', (props, message, code, text) => {
    const r = mapSshError(e(message, props), { target, keepaliveMs: 20_000, readyTimeoutMs: 10_000, socketConnected: true });
    expect(r.code).toBe(code);
    expect(r.message).toMatch(text);
    expect(r.detail).toContain(message);
  });

  it('tells "no answer at all" from "answered, then the handshake stalled" on a ready timeout', () => {
    const t = e('Timed out while waiting for handshake', { level: 'client-timeout' });
    expect(mapSshError(t, { target, socketConnected: false, readyTimeoutMs: 10_000 })).toMatchObject({
      code: 'ssh.unreachable',
      message: expect.stringMatching(/did not answer within 10 s \(no TCP connection\)/),
    });
    expect(mapSshError(t, { target, socketConnected: true, readyTimeoutMs: 10_000 })).toMatchObject({
      code: 'ssh.timeout',
      message: expect.stringMatching(/handshake did not finish within 10 s.*MTU black hole/),
    });
  });

  it('scrubs secrets from the raw detail', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';
    const r = mapSshError(e(`Cannot parse privateKey: bad key ${key} with hunter2hunter2`), { target, secrets: [key, 'hunter2hunter2'] });
    expect(JSON.stringify(r)).not.toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ');
    expect(JSON.stringify(r)).not.toContain('hunter2hunter2');
    expect(r.detail).toContain('[redacted]');
  });

  it('redacts every line of a multi-line secret, longest first', () => {
    expect(redact('x abcdefghijklmnopqrstuvwxyz y', ['abcdefghijklmnopqrstuvwxyz\nshort'])).toBe('x [redacted] y');
    expect(redact('nothing to hide', [''])).toBe('nothing to hide');
  });

  it('names targets as user@host:port, bracketing IPv6 literals', () => {
    expect(targetKey(target)).toBe('root@10.77.0.11:22');
    expect(targetKey({ host: 'fd00::1', port: 2222, user: 'u' })).toBe('u@[fd00::1]:2222');
  });
});
