import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Credentials } from '../../electron/main/inventory/credentials';
import { KeyFileTooOpenError, readPrivateKeyFile } from '../../electron/main/ssh/key-file';

const dir = mkdtempSync(join(tmpdir(), 'ferry-key-mode-'));
const key = join(dir, 'id_ed25519');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OPENSSH = (mode: string) =>
  `Permissions ${mode} for '${key}' are too open. It is required that your private key files are NOT accessible by others. This private key will be ignored.`;

describe('private key file permissions', () => {
  it('reads a key only its owner can read (0600, 0400)', async () => {
    for (const mode of [0o600, 0o400]) {
      chmodSync(key, mode);
      expect((await readPrivateKeyFile(key)).toString('utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
    }
  });

  it("refuses a key group or others can read, in OpenSSH's words, as a typed error", async () => {
    for (const [mode, text] of [[0o644, '0644'], [0o640, '0640'], [0o604, '0604'], [0o610, '0610']] as const) {
      chmodSync(key, mode);
      const e = await readPrivateKeyFile(key).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KeyFileTooOpenError);
      expect(e).toMatchObject({ code: 'ssh.key-too-open', path: key, message: OPENSSH(text) });
    }
    chmodSync(key, 0o600);
  });

  it('lets a missing file fail as the file system says', async () => {
    await expect(readPrivateKeyFile(join(dir, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('makes the credentials refuse the key before any connection, with that sentence', async () => {
    const credentials = new Credentials({ homeDir: dir, env: {} });
    chmodSync(key, 0o644);
    expect(await credentials.resolve({ kind: 'key', keyPath: key })).toEqual({ ok: false, problem: { state: 'auth-failed', reason: OPENSSH('0644') } });
    chmodSync(key, 0o600);
    expect(await credentials.resolve({ kind: 'key', keyPath: key })).toMatchObject({ ok: true, encrypted: false });
  });

  it('does not judge modes on Windows, which has none', async () => {
    const other = join(dir, 'win');
    writeFileSync(other, 'k', { mode: 0o644 });
    expect((await readPrivateKeyFile(other, 'win32')).toString()).toBe('k');
  });
});
