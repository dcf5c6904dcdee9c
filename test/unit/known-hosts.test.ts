import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  checkHostKey,
  entryMatchesHost,
  fingerprintSha256,
  formatKnownHostsLine,
  hostLookupName,
  keyTypeOfBlob,
  knownKeyTypes,
  memoryKnownHostsStore,
  parseKnownHosts,
  readKnownHostsFile,
} from '../../electron/main/ssh/known-hosts';
import { checkPresentedKey } from '../../electron/main/ssh/host-key-check';
import { isHostKeyError } from '../../electron/main/ssh/errors';

const FIX = join(__dirname, '../fixtures/known_hosts');
const tmp = mkdtempSync(join(tmpdir(), 'ferry-kh-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pub(name: string): { type: string; blob: Buffer } {
  const [type, b64] = readFileSync(join(FIX, 'keys', `${name}.pub`), 'utf8').trim().split(' ');
  return { type: type!, blob: Buffer.from(b64!, 'base64') };
}

function splitName(name: string): [string, number] {
  const m = /^\[(.*)\]:(\d+)$/.exec(name);
  return m ? [m[1]!, Number(m[2])] : [name, 22];
}

const plain = parseKnownHosts(readFileSync(join(FIX, 'plain.known_hosts'), 'utf8'));
const hashed = parseKnownHosts(readFileSync(join(FIX, 'hashed.known_hosts'), 'utf8'));

describe('parseKnownHosts', () => {
  it('reads plain names, comma lists, [host]:port, wildcards and both markers, skipping comments and blank lines', () => {
    expect(plain.entries.map((e) => e.line)).toEqual([3, 4, 5, 6, 8, 9, 10, 16]);
    const byLine = new Map(plain.entries.map((e) => [e.line, e]));
    expect(byLine.get(3)).toMatchObject({ marker: undefined, keyType: 'ssh-ed25519', comment: 'hvA main key', hosts: { kind: 'patterns', patterns: ['hva'] } });
    expect(byLine.get(5)?.hosts).toEqual({ kind: 'patterns', patterns: ['hvb', '10.77.0.12'] });
    expect(byLine.get(6)?.hosts).toEqual({ kind: 'patterns', patterns: ['[hvc]:2222'] });
    expect(byLine.get(9)?.marker).toBe('revoked');
    expect(byLine.get(10)?.marker).toBe('cert-authority');
  });

  it('reports each bad line with its number and a reason, and keeps going', () => {
    expect(plain.problems.map((p) => p.line)).toEqual([11, 12, 13, 14, 15]);
    const reasons = plain.problems.map((p) => p.reason).join('\n');
    expect(reasons).toMatch(/base64/);
    expect(reasons).toMatch(/does not match the key \(ssh-ed25519\)/);
    expect(reasons).toMatch(/unknown marker "@bogus"/);
    expect(reasons).toMatch(/SSH-1/);
  });

  it('reads the file ssh-keygen -H hashed, keeping the lines it cannot hash as patterns', () => {
    expect(hashed.problems).toEqual([]);
    expect(hashed.entries.filter((e) => e.hosts.kind === 'hashed')).toHaveLength(7);
    expect(hashed.entries.filter((e) => e.hosts.kind === 'patterns')).toHaveLength(3);
  });

  it('tolerates CRLF line endings and tabs between fields', () => {
    const { blob, type } = pub('hva-ed25519');
    const f = parseKnownHosts(`hva\t${type}\t${blob.toString('base64')}\r\n\r\n`);
    expect(f.problems).toEqual([]);
    expect(f.entries[0]?.keyBlob.equals(blob)).toBe(true);
  });

  it('reports a hashed host it cannot read instead of failing', () => {
    const { blob, type } = pub('hva-ed25519');
    const f = parseKnownHosts(`|2|abc|def ${type} ${blob.toString('base64')}\n|1|!!|?? ${type} ${blob.toString('base64')}\n`);
    expect(f.entries).toEqual([]);
    expect(f.problems.map((p) => p.line)).toEqual([1, 2]);
  });
});

describe('host matching agrees with ssh-keygen -F', () => {
  const oracle = readFileSync(join(FIX, 'lookups.txt'), 'utf8').trim().split('\n');
  for (const row of oracle) {
    const [file, name, ...lines] = row.split(' ');
    it(`${file} ${name} -> lines [${lines.join(',')}]`, () => {
      const parsed = file === 'plain.known_hosts' ? plain : hashed;
      const [host, port] = splitName(name!);
      const found = parsed.entries.filter((e) => entryMatchesHost(e, host, port)).map((e) => String(e.line));
      expect(found).toEqual(lines);
    });
  }

  it('names a host as OpenSSH does: bare on port 22, [host]:port otherwise, lower case', () => {
    expect(hostLookupName('HvA', 22)).toBe('hva');
    expect(hostLookupName('10.77.0.11', 2222)).toBe('[10.77.0.11]:2222');
  });
});

describe('fingerprintSha256', () => {
  it('prints what ssh-keygen -lf printed for every fixture key', () => {
    for (const line of readFileSync(join(FIX, 'fingerprints.txt'), 'utf8').trim().split('\n')) {
      const [, fp, name] = line.split(' ');
      expect(fingerprintSha256(pub(name!).blob)).toBe(fp);
    }
  });

  it('matches ssh-keygen -lf live on freshly generated ed25519, ecdsa and rsa keys', () => {
    for (const [t, bits] of [['ed25519', ''], ['ecdsa', '384'], ['rsa', '3072']] as const) {
      const f = join(tmp, `live-${t}`);
      execFileSync('ssh-keygen', ['-q', '-t', t, ...(bits ? ['-b', bits] : []), '-N', '', '-f', f]);
      const expected = execFileSync('ssh-keygen', ['-lf', `${f}.pub`], { encoding: 'utf8' }).split(' ')[1];
      const blob = Buffer.from(readFileSync(`${f}.pub`, 'utf8').split(' ')[1]!, 'base64');
      expect(fingerprintSha256(blob)).toBe(expected);
      expect(fingerprintSha256(blob)).not.toMatch(/=/);
    }
  });

  it('reads the key type out of a blob', () => {
    expect(keyTypeOfBlob(pub('hva-ecdsa').blob)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOfBlob(pub('hvc-rsa').blob)).toBe('ssh-rsa');
    expect(keyTypeOfBlob(Buffer.from([0, 0, 0, 99, 1]))).toBeUndefined();
  });
});

describe('checkHostKey', () => {
  for (const [label, file] of [['plain', plain], ['hashed', hashed]] as const) {
    describe(`on the ${label} file`, () => {
      it('accepts the recorded key', () => {
        const k = pub('hva-ed25519');
        expect(checkHostKey(file.entries, 'hva', 22, k.type, k.blob)).toMatchObject({ status: 'match' });
        const e = pub('hva-ecdsa');
        expect(checkHostKey(file.entries, '10.77.0.11', 22, e.type, e.blob)).toMatchObject({ status: 'match' });
      });

      it('reports a different key of the same type as changed, with the fingerprint it expected', () => {
        const k = pub('imposter-ed25519');
        expect(checkHostKey(file.entries, 'hva', 22, k.type, k.blob)).toEqual({
          status: 'changed',
          knownFingerprint: fingerprintSha256(pub('hva-ed25519').blob),
          line: 3,
        });
      });

      it('treats a key of a type the file has no entry for as unknown, and lists the types it does know', () => {
        const k = pub('hvc-rsa');
        expect(checkHostKey(file.entries, 'hvb', 22, k.type, k.blob)).toEqual({ status: 'unknown', otherKeyTypes: ['ssh-ed25519'] });
        expect(checkHostKey(file.entries, 'nowhere', 22, k.type, k.blob)).toEqual({ status: 'unknown', otherKeyTypes: [] });
      });

      it('uses the port: [hvc]:2222 is known, hvc on 22 is not', () => {
        const k = pub('hvc-rsa');
        expect(checkHostKey(file.entries, 'hvc', 2222, k.type, k.blob)).toMatchObject({ status: 'match' });
        expect(checkHostKey(file.entries, 'hvc', 22, k.type, k.blob)).toMatchObject({ status: 'unknown' });
      });

      it('refuses a revoked key even where a plain line lists it', () => {
        const k = pub('revoked-ed25519');
        expect(checkHostKey(file.entries, '10.77.0.13', 22, k.type, k.blob)).toMatchObject({ status: 'revoked' });
      });

      it('never accepts a @cert-authority key as a plain host key', () => {
        const k = pub('ca-ed25519');
        // bad.lab.example is excluded from the plain *.lab.example line, so only the CA line speaks for it.
        const ca = file.entries.find((e) => e.marker === 'cert-authority')?.line;
        expect(ca).toBeDefined();
        expect(checkHostKey(file.entries, 'bad.lab.example', 22, k.type, k.blob)).toEqual({ status: 'cert-authority', line: ca });
        // x.lab.example has a plain ed25519 key (line 8), so the CA key presented as a host key is "changed".
        expect(checkHostKey(file.entries, 'x.lab.example', 22, k.type, k.blob)).toMatchObject({ status: 'changed' });
      });
    });
  }

  it('says a host vouched for only by @cert-authority is unsupported, never unknown (no trust on first use)', () => {
    const ca = pub('ca-ed25519');
    const host = pub('hvb-ed25519');
    const text = [
      '# certificates for the lab',
      `@cert-authority *.certs.example ${ca.type} ${ca.blob.toString('base64')}`,
      `plain.certs.example ${host.type} ${host.blob.toString('base64')}`,
    ].join('\n');
    const { entries } = parseKnownHosts(text);
    expect(checkHostKey(entries, 'hv1.certs.example', 22, host.type, host.blob)).toEqual({ status: 'cert-authority', line: 2 });
    // A plain key line for the host still decides as before.
    expect(checkHostKey(entries, 'plain.certs.example', 22, host.type, host.blob)).toEqual({ status: 'match', line: 3 });
    const rsa = pub('hvc-rsa');
    expect(checkHostKey(entries, 'plain.certs.example', 22, rsa.type, rsa.blob)).toEqual({ status: 'cert-authority', line: 2 });
    expect(checkHostKey(entries, 'elsewhere.example', 22, host.type, host.blob)).toEqual({ status: 'unknown', otherKeyTypes: [] });
  });

  it('turns the CA-only verdict into a typed error naming the file and line, with no key to trust', async () => {
    const ca = pub('ca-ed25519');
    const host = pub('hvb-ed25519');
    const store = memoryKnownHostsStore(`@cert-authority *.certs.example ${ca.type} ${ca.blob.toString('base64')}\n`);
    const r = await checkPresentedKey(store, { host: 'hv1.certs.example', port: 22, user: 'root' }, host.blob);
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.host-certificate-unsupported', detail: 'memory:1: @cert-authority' } });
    if (!r.ok) {
      expect(r.error.message).toContain('memory line 1');
      expect(r.error.message).toContain(fingerprintSha256(host.blob));
      expect(isHostKeyError(r.error)).toBe(false);
    }
  });

  it('refuses a key a @revoked line names, for the hosts it names, even with no plain line at all', async () => {
    const bad = pub('revoked-ed25519');
    const store = memoryKnownHostsStore(`@revoked *.lab ${bad.type} ${bad.blob.toString('base64')}\n`);
    const r = await checkPresentedKey(store, { host: 'hv9.lab', port: 22, user: 'root' }, bad.blob);
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.host-key-revoked' } });
    const other = await checkPresentedKey(store, { host: 'hv9.lab', port: 22, user: 'root' }, pub('hvb-ed25519').blob);
    expect(other).toMatchObject({ ok: false, error: { code: 'ssh.host-key-unknown' } });
  });

  it('lists the known plain key types so the pool can prefer them', () => {
    expect(knownKeyTypes(plain.entries, 'hva', 22)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    expect(knownKeyTypes(plain.entries, 'hvc', 2222)).toEqual(['ssh-rsa']);
  });
});

describe('appendKnownHost', () => {
  const a = pub('hva-ed25519');
  const c = pub('hvc-rsa');

  it('creates the file (mode 0600) and writes lines OpenSSH finds, bare for port 22 and [host]:port otherwise', async () => {
    const f = join(tmp, 'sub', 'known_hosts');
    expect(await appendKnownHost(f, 'HVA', 22, a.type, a.blob)).toEqual({ ok: true, value: undefined });
    expect(await appendKnownHost(f, 'hvc', 2222, c.type, c.blob)).toEqual({ ok: true, value: undefined });
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readFileSync(f, 'utf8')).toBe(`hva ${a.type} ${a.blob.toString('base64')}\n[hvc]:2222 ${c.type} ${c.blob.toString('base64')}\n`);
    expect(execFileSync('ssh-keygen', ['-F', 'hva', '-f', f], { encoding: 'utf8' })).toMatch(/found: line 1/);
    expect(execFileSync('ssh-keygen', ['-F', '[hvc]:2222', '-f', f], { encoding: 'utf8' })).toMatch(/found: line 2/);
    expect(readdirSync(join(tmp, 'sub'))).toEqual(['known_hosts']);
  });

  it('writes hashed names that ssh-keygen -F resolves, and that we read back', async () => {
    const f = join(tmp, 'hashed_known_hosts');
    await appendKnownHost(f, '10.77.0.11', 2200, a.type, a.blob, { hash: true });
    const text = readFileSync(f, 'utf8');
    expect(text).toMatch(/^\|1\|[A-Za-z0-9+/=]{28}\|[A-Za-z0-9+/=]{28} ssh-ed25519 /);
    expect(execFileSync('ssh-keygen', ['-F', '[10.77.0.11]:2200', '-f', f], { encoding: 'utf8' })).toMatch(/found: line 1/);
    expect(checkHostKey(parseKnownHosts(text).entries, '10.77.0.11', 2200, a.type, a.blob)).toMatchObject({ status: 'match' });
  });

  it('adds the missing newline of an existing file and keeps its mode', async () => {
    const f = join(tmp, 'no_newline');
    writeFileSync(f, `hvb ${a.type} ${a.blob.toString('base64')}`);
    chmodSync(f, 0o644);
    await appendKnownHost(f, 'hva', 22, a.type, a.blob);
    expect(readFileSync(f, 'utf8').split('\n')).toHaveLength(3);
    expect(statSync(f).mode & 0o777).toBe(0o644);
  });

  it('follows a symlink instead of replacing it', async () => {
    const real = join(tmp, 'real_kh');
    const link = join(tmp, 'link_kh');
    writeFileSync(real, '');
    symlinkSync(real, link);
    await appendKnownHost(link, 'hva', 22, a.type, a.blob);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toMatch(/^hva ssh-ed25519 /);
  });

  it('loses no line when many appends run at once', async () => {
    const f = join(tmp, 'concurrent');
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendKnownHost(f, `h${i}`, 22, a.type, a.blob)));
    const read = await readKnownHostsFile(f);
    expect(read.ok && read.value.entries.length).toBe(20);
    expect(readdirSync(tmp).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('reads a missing file as empty, and reports an unreadable path as ssh.known-hosts-io', async () => {
    expect(await readKnownHostsFile(join(tmp, 'does-not-exist'))).toEqual({ ok: true, value: { entries: [], problems: [] } });
    const r = await readKnownHostsFile(tmp);
    expect(r.ok ? 'ok' : r.error.code).toBe('ssh.known-hosts-io');
  });

  it('refuses a host name known_hosts would read as more than one name, or as more than one line', async () => {
    const f = join(tmp, 'injection');
    const m = memoryKnownHostsStore();
    for (const host of [`10.0.0.5\n* ${c.type} ${c.blob.toString('base64')}`, 'hva,*', '*', 'hv?', '!hva', 'hva host', '|1|x|y', '@revoked', '#hva', '']) {
      expect(await appendKnownHost(f, host, 22, a.type, a.blob), JSON.stringify(host)).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
      expect(await m.append(host, 22, a.type, a.blob), JSON.stringify(host)).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
    }
    expect(await appendKnownHost(f, 'hva', 22, `${a.type} extra`, a.blob)).toMatchObject({ ok: false, error: { code: 'input.invalid' } });
    expect(existsSync(f)).toBe(false);
    expect(m.text()).toBe('');
    for (const host of ['hva', 'hv-a.lab', '10.77.0.11', 'fe80::1', 'fe80::1%eth0']) {
      expect(await m.append(host, 22, a.type, a.blob), host).toEqual({ ok: true, value: undefined });
    }
  });

  it('formats the same line for the file and the memory store', async () => {
    const m = memoryKnownHostsStore();
    await m.append('hva', 22, a.type, a.blob);
    expect(m.text()).toBe(`${formatKnownHostsLine('hva', 22, a.type, a.blob)}\n`);
  });
});
