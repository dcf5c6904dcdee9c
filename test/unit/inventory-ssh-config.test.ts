/**
 * Importing hosts from an OpenSSH client config (test/fixtures/ssh-config/home/.ssh/config): what becomes a
 * candidate, what is skipped, what is warned about, and that evaluating a config never executes anything.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSshConfig } from '../../electron/main/inventory/ssh-config';
import type { SshConfigCandidate } from '../../shared/inventory/types';

const home = join(__dirname, '..', 'fixtures', 'ssh-config', 'home');
const MATCH_EXEC_MARKER = '/tmp/ferry-ssh-config-match-exec-ran';

async function candidates(env: Record<string, string> = {}, exists = (p: string) => p.endsWith('/id_ecdsa')): Promise<SshConfigCandidate[]> {
  const r = await readSshConfig({ path: join(home, '.ssh', 'config'), homeDir: home, localUser: 'me', env, exists: async (p) => exists(p) });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.candidates;
}
const byAlias = (cs: SshConfigCandidate[], alias: string) => cs.find((c) => c.alias === alias);

describe('ssh config import', () => {
  it('proposes one candidate per concrete alias, Included files first, wildcards and negations skipped', async () => {
    rmSync(MATCH_EXEC_MARKER, { force: true });
    const cs = await candidates();
    expect(cs.map((c) => c.alias)).toEqual(['hvC', 'hvA', 'hvB', 'hvb.lab', 'behind-jump', 'via-command']);
    expect(existsSync(MATCH_EXEC_MARKER)).toBe(false); // Match exec was not run
  });

  it('reads HostName, Port, User and IdentityFile with ~ and %d expanded', async () => {
    const cs = await candidates();
    expect(byAlias(cs, 'hvC')?.draft).toEqual({
      name: 'hvC',
      address: '10.77.1.13',
      port: 22,
      user: 'root',
      auth: { kind: 'key', keyPath: join(home, '.ssh', 'lab_ed25519') },
    });
    expect(byAlias(cs, 'hvB')?.draft.auth).toEqual({ kind: 'key', keyPath: join(home, '.ssh', 'lab_ed25519') });
    expect(byAlias(cs, 'hvB')?.warnings).toEqual([`Several IdentityFile lines: Ferry uses the first (${join(home, '.ssh', 'lab_ed25519')}).`]);
  });

  it('applies later Host blocks as ssh does: first value wins, wildcard blocks fill the gaps', async () => {
    const cs = await candidates();
    expect(byAlias(cs, 'hvb.lab')?.draft).toMatchObject({ address: '10.77.0.12', port: 2222, user: 'root' });
    expect(byAlias(cs, 'behind-jump')?.draft.user).toBe('admin'); // from Host *
  });

  it('merges aliases of one user@address:port into one candidate and names the others', async () => {
    const cs = await candidates();
    expect(byAlias(cs, 'hva-again')).toBeUndefined();
    expect(byAlias(cs, 'hvA')?.warnings).toEqual(['Also named hva-again in the config.']);
  });

  it('follows ProxyJump (a hop without a Host block of its own) and never runs a ProxyCommand', async () => {
    const cs = await candidates();
    expect(byAlias(cs, 'behind-jump')?.draft.jump).toEqual([{ address: 'bastion.example.com', port: 22, user: 'admin', auth: { kind: 'key', keyPath: join(home, '.ssh', 'id_ecdsa') } }]);
    expect(byAlias(cs, 'via-command')?.draft.jump).toBeUndefined();
    expect(byAlias(cs, 'via-command')?.warnings[0]).toMatch(/^ProxyCommand is never run by Ferry: as written, it would connect directly to 10\.99\.0\.6:22\./);
  });

  it('without IdentityFile uses the agent when there is one, else the first default key that exists', async () => {
    expect(byAlias(await candidates({ SSH_AUTH_SOCK: '/run/agent.sock' }), 'behind-jump')?.draft.auth).toEqual({ kind: 'agent' });
    const noAgent = byAlias(await candidates(), 'behind-jump');
    expect(noAgent?.draft.auth).toEqual({ kind: 'key', keyPath: join(home, '.ssh', 'id_ecdsa') });
    const nothing = byAlias(await candidates({}, () => false), 'behind-jump');
    expect(nothing?.draft.auth).toEqual({ kind: 'agent' });
    expect(nothing?.warnings.at(-1)).toMatch(/choose a key/);
  });

  it('skips a host whose port no SSH server can listen on, and files that the Include pattern does not name', async () => {
    const cs = await candidates();
    expect(byAlias(cs, 'badport')).toBeUndefined();
    expect(byAlias(cs, 'not-included')).toBeUndefined();
  });

  it('says plainly when there is no config file', async () => {
    const r = await readSshConfig({ path: join(home, 'nope'), homeDir: home, localUser: 'me', env: {} });
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh-config.unreadable', message: `There is no SSH client config at ${join(home, 'nope')}.` } });
  });
});
