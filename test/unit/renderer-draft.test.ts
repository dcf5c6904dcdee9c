import { describe, expect, it } from 'vitest';
import { EMPTY_FIELDS, fieldsFromDraft, validateDraft, type DraftFields } from '../../renderer/src/view/draft';

const good: DraftFields = { ...EMPTY_FIELDS, name: 'hvA', address: '10.77.0.11' };

describe('add-host form validation', () => {
  it('turns a filled form into the draft the contract expects (agent and key file)', () => {
    expect(validateDraft(good)).toEqual({ ok: true, draft: { name: 'hvA', address: '10.77.0.11', port: 22, user: 'root', auth: { kind: 'agent' } } });
    const withKey = validateDraft({ ...good, name: ' hvB ', port: '2222', authKind: 'key', keyPath: ' /var/tmp/k ' });
    expect(withKey).toEqual({ ok: true, draft: { name: 'hvB', address: '10.77.0.11', port: 2222, user: 'root', auth: { kind: 'key', keyPath: '/var/tmp/k' } } });
  });
  it('gives one message per empty field, worded for a person', () => {
    const v = validateDraft({ ...EMPTY_FIELDS, user: '', authKind: 'key' });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.errors).toEqual({
      name: 'Give the host a name.',
      address: 'Give the address or DNS name Ferry should connect to.',
      user: 'Give the SSH user.',
      keyPath: 'Give the path of the private key file on this machine.',
    });
  });
  it.each(['0', '65536', '22a', '', '-1', '2.5'])('refuses port %j with one clear message', (port) => {
    const v = validateDraft({ ...good, port });
    expect(v).toEqual({ ok: false, errors: { port: 'The port is a number from 1 to 65535.' } });
  });
  it('refuses addresses with shell characters or a leading dash', () => {
    const a = validateDraft({ ...good, address: 'hv; rm -rf /' });
    expect(!a.ok && a.errors.address).toMatch(/no spaces or shell characters/);
    const b = validateDraft({ ...good, address: '-oProxyCommand=x' });
    expect(!b.ok && b.errors.address).toMatch(/cannot start with "-"|no spaces or shell characters/);
  });
  it('refuses a name already in Ferry whatever its case', () => {
    expect(validateDraft(good, ['HVA'])).toEqual({ ok: false, errors: { name: 'A host named "hvA" is already in Ferry. Pick another name.' } });
  });
  it('rewords zod’s size messages', () => {
    const v = validateDraft({ ...good, address: 'a'.repeat(300) });
    expect(!v.ok && v.errors.address).toBe('An address is at most 253 characters.');
  });
  it('reads the jump field as ProxyJump: the host user and port 22 by default, the host credentials for each hop', () => {
    const v = validateDraft({ ...good, user: 'admin', authKind: 'key', keyPath: '/k', jump: 'root@10.77.0.11, bastion:2222' });
    expect(v.ok && v.draft.jump).toEqual([
      { address: '10.77.0.11', port: 22, user: 'root', auth: { kind: 'key', keyPath: '/k' } },
      { address: 'bastion', port: 2222, user: 'admin', auth: { kind: 'key', keyPath: '/k' } },
    ]);
    expect(validateDraft({ ...good, jump: ' ' })).toEqual({ ok: true, draft: { name: 'hvA', address: '10.77.0.11', port: 22, user: 'root', auth: { kind: 'agent' } } });
  });
  it('keeps the credentials the ssh config gave a hop while the field still names it', () => {
    const own = { address: '10.77.0.11', port: 2200, user: 'jumper', auth: { kind: 'key' as const, keyPath: '/bastion_key' } };
    const kept = validateDraft({ ...good, jump: fieldsFromDraft({ ...good, port: 22, auth: { kind: 'agent' }, jump: [own] }).jump }, [], [own]);
    expect(kept.ok && kept.draft.jump).toEqual([own]);
    const edited = validateDraft({ ...good, jump: 'jumper@10.77.0.12:2200' }, [], [own]);
    expect(edited.ok && edited.draft.jump?.[0]?.auth).toEqual({ kind: 'agent' });
  });
  it('says what is wrong with a jump host', () => {
    expect(validateDraft({ ...good, jump: 'root@bastion:99999' })).toEqual({ ok: false, errors: { jump: '"root@bastion:99999": the port is a number from 1 to 65535.' } });
    const shell = validateDraft({ ...good, jump: 'root@bastion;reboot' });
    expect(!shell.ok && shell.errors.jump).toMatch(/is not user@host:port/);
  });
});
