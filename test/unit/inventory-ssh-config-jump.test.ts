/**
 * ProxyJump in the ~/.ssh/config import (test/fixtures/ssh-config/jump-home): chains, each hop resolved through its
 * own Host block as OpenSSH does, `ProxyJump none`, ProxyCommand refused, loops; and the ProxyJump text parser the
 * add-host form shares with it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSshConfig } from '../../electron/main/inventory/ssh-config';
import { formatJumpText, parseJumpText } from '../../shared/inventory/jump';
import type { SshConfigCandidate } from '../../shared/inventory/types';

const home = join(__dirname, '..', 'fixtures', 'ssh-config', 'jump-home');

async function candidates(env: Record<string, string> = {}): Promise<SshConfigCandidate[]> {
  const r = await readSshConfig({ path: join(home, '.ssh', 'config'), homeDir: home, localUser: 'me', env, exists: async () => false });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.candidates;
}
const byAlias = (cs: SshConfigCandidate[], alias: string): SshConfigCandidate => {
  const c = cs.find((x) => x.alias === alias);
  if (!c) throw new Error(`no candidate ${alias}`);
  return c;
};
const key = (file: string) => ({ kind: 'key' as const, keyPath: join(home, '.ssh', file) });
const agent = { kind: 'agent' as const };
const bastion = { address: '10.77.0.11', port: 2200, user: 'jumper', auth: key('bastion_ed25519') };

/** What OpenSSH's `ssh -G` evaluated for each alias (the fixture's capture). */
function sshG(): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const line of readFileSync(join(home, 'ssh-G.txt'), 'utf8').split('\n')) {
    const m = /^([^#\s][^:]*): (.*)$/.exec(line);
    if (!m) continue;
    const words = (m[2] ?? '').split(' ');
    const fields: Record<string, string> = {};
    for (let i = 0; i < words.length; ) {
      const k = words[i] ?? '';
      // proxycommand's value runs to the next known key
      let j = i + 1;
      while (j < words.length && !['hostname', 'port', 'proxyjump', 'proxycommand', 'user'].includes(words[j] ?? '')) j++;
      fields[k] = words.slice(i + 1, j).join(' ');
      i = j;
    }
    out.set(m[1] ?? '', fields);
  }
  return out;
}

describe('ProxyJump in the ssh config import', () => {
  it('agrees with ssh -G on every alias: address, user, port, and whether a jump chain is followed', async () => {
    const cs = await candidates({ SSH_AUTH_SOCK: '/run/agent.sock' });
    const g = sshG();
    expect(g.size).toBe(10);
    for (const [alias, f] of g) {
      const d = byAlias(cs, alias).draft;
      expect({ alias, address: d.address, user: d.user, port: String(d.port) }).toEqual({ alias, address: f['hostname'], user: f['user'], port: f['port'] });
      expect({ alias, chained: d.jump !== undefined }).toEqual({ alias, chained: f['proxyjump'] !== undefined });
    }
  });

  it('resolves a hop through its own Host block: HostName, User, Port, IdentityFile', async () => {
    const c = byAlias(await candidates(), 'hvC');
    expect(c.draft).toEqual({ name: 'hvC', address: '10.77.1.13', port: 22, user: 'root', auth: key('lab_ed25519'), jump: [bastion] });
    expect(c.warnings).toEqual([]);
  });

  it('follows a chain in order; a user and port written in ProxyJump win over the hop block', async () => {
    const c = byAlias(await candidates({ SSH_AUTH_SOCK: '/run/agent.sock' }), 'deep');
    expect(c.draft.jump).toEqual([bastion, { address: '10.88.0.1', port: 2222, user: 'admin', auth: agent }]);
  });

  it('takes a hop without a Host block as written, with the local user', async () => {
    const c = byAlias(await candidates({ SSH_AUTH_SOCK: '/run/agent.sock' }), 'literal');
    expect(c.draft.jump).toEqual([{ address: '192.0.2.10', port: 22, user: 'ops', auth: agent }]);
  });

  it("puts the first hop's own ProxyJump before it, as ssh's nested connection does", async () => {
    const c = byAlias(await candidates({ SSH_AUTH_SOCK: '/run/agent.sock' }), 'far');
    expect(c.draft.jump).toEqual([bastion, { address: '10.88.0.2', port: 22, user: 'root', auth: agent }]);
  });

  it('lets ProxyJump none win over a wildcard block, and keeps the same address behind a bastion as another candidate', async () => {
    const cs = await candidates({ SSH_AUTH_SOCK: '/run/agent.sock' });
    expect(byAlias(cs, 'direct.site').draft.jump).toBeUndefined();
    expect(byAlias(cs, 'hvb.site').draft.jump).toEqual([bastion]);
    expect(byAlias(cs, 'direct.site').warnings).toEqual([]);
  });

  it('never runs a ProxyCommand and says which ProxyJump does the same', async () => {
    const c = byAlias(await candidates({ SSH_AUTH_SOCK: '/run/agent.sock' }), 'via-command');
    expect(c.draft.jump).toBeUndefined();
    expect(c.warnings).toEqual([
      'ProxyCommand is never run by Ferry: as written, it would connect directly to 10.99.0.6:22. This command is what "ProxyJump bastion" does: write that instead, or give bastion as the jump host.',
    ]);
  });

  it('stops at a ProxyJump loop with a warning instead of looping', async () => {
    const c = byAlias(await candidates({ SSH_AUTH_SOCK: '/run/agent.sock' }), 'loop-a');
    expect(c.draft.jump).toBeUndefined();
    expect(c.warnings.some((w) => /loops or nests too deep/.test(w))).toBe(true);
  });

  it('names the hop in warnings about its credentials', async () => {
    const c = byAlias(await candidates(), 'deep');
    expect(c.warnings).toContain('Jump host inner: No IdentityFile, no default key and no SSH agent: choose a key before adding this host.');
    expect(c.warnings.filter((w) => w.startsWith('Jump host bastion'))).toEqual([]);
  });
});

describe('ProxyJump text', () => {
  it('reads user@host:port hops, ssh:// URIs and bracketed IPv6, first hop first', () => {
    expect(parseJumpText('root@10.77.0.11:22, jump.example.net,ssh://ops@[fd00::1]:2222,[fd00::2]')).toEqual({
      ok: true,
      value: [{ user: 'root', host: '10.77.0.11', port: 22 }, { host: 'jump.example.net' }, { user: 'ops', host: 'fd00::1', port: 2222 }, { host: 'fd00::2' }],
    });
    expect(parseJumpText('  ')).toEqual({ ok: true, value: [] });
  });

  it('refuses what is not a hop, saying which part', () => {
    expect(parseJumpText('a,,b')).toMatchObject({ ok: false, error: expect.stringMatching(/empty/) as unknown });
    expect(parseJumpText('root@a:99999')).toEqual({ ok: false, error: '"root@a:99999": the port is a number from 1 to 65535.' });
    expect(parseJumpText('-oProxyCommand=x')).toMatchObject({ ok: false });
    expect(parseJumpText('a b')).toMatchObject({ ok: false });
    expect(parseJumpText('@host')).toMatchObject({ ok: false });
    expect(parseJumpText(Array.from({ length: 9 }, (_, i) => `h${i}`).join(','))).toEqual({ ok: false, error: 'At most 8 jump hosts.' });
  });

  it('writes a chain back as ProxyJump text', () => {
    expect(formatJumpText([{ address: '10.77.0.11', port: 22, user: 'root', auth: agent }, { address: 'fd00::1', port: 2222, user: 'ops', auth: agent }])).toBe('root@10.77.0.11:22,ops@[fd00::1]:2222');
    expect(formatJumpText(undefined)).toBe('');
  });
});
