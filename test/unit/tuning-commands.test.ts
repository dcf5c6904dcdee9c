import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Result } from '../../shared/result';
import type { FerryError } from '../../shared/errors';
import {
  checkConfPath,
  ethtoolSetOffload,
  ethtoolSetRings,
  ipLinkSetMtu,
  parseFileRead,
  parseSilentSuccess,
  parseSysctlWrite,
  parseWritability,
  readConfFile,
  sysctlWrite,
  TUNABLE_SYSCTLS,
  writeConfFile,
} from '../../shared/commands/tuning';
import { sysctlFileText, SYSCTL_FILE_HEADER } from '../../shared/tuning/persist';
import { recordedCommand } from '../fixtures/dispatch';

const DIR = join(__dirname, '../fixtures/tuning');

/** Which parser reads which capture in test/fixtures/tuning (by case-name prefix). */
function parserFor(name: string): ((text: string, exit: { code: number | null }) => Result<unknown, FerryError>) | undefined {
  if (name === 'sysctl-write-tcp-rmem') return (t) => parseSysctlWrite(t, 'net.ipv4.tcp_rmem');
  if (name === 'sysctl-write-core-readonly-netns') return (t) => parseSysctlWrite(t, 'net.core.rmem_max');
  if (name === 'writable-probe') return (t) => parseWritability(t, [...TUNABLE_SYSCTLS]);
  if (name.startsWith('file-read')) return (t) => parseFileRead(t);
  if (/^(ethtool-set|ip-set|file-write|file-remove)/.test(name)) return (t, e) => parseSilentSuccess(name, t, e);
  return undefined;
}

const exitOf = (cmd: string): number => Number(/^exit: (\d+)$/m.exec(cmd)?.[1] ?? NaN);

describe('tuning fixtures (real captures from hvB, test/lab/capture-tuning-fixtures.sh)', () => {
  const cases = readdirSync(DIR).filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4));
  it('has the captures', () => {
    expect(cases.length).toBeGreaterThanOrEqual(14);
  });
  for (const name of cases) {
    it(`parses ${name} as recorded in its .expected.json`, () => {
      const parse = parserFor(name);
      expect(parse, `no parser for ${name}`).toBeDefined();
      const cmdText = readFileSync(join(DIR, `${name}.cmd`), 'utf8');
      expect(recordedCommand(join(DIR, `${name}.cmd`)).length).toBeGreaterThan(0);
      const got = parse!(readFileSync(join(DIR, `${name}.txt`), 'utf8'), { code: exitOf(cmdText) });
      const expectedPath = join(DIR, `${name}.expected.json`);
      if (!existsSync(expectedPath) && process.env.FERRY_WRITE_EXPECTED === '1') writeFileSync(expectedPath, `${JSON.stringify(got, null, 2)}\n`);
      expect(JSON.parse(JSON.stringify(got))).toEqual(JSON.parse(readFileSync(expectedPath, 'utf8')));
    });
  }

  it('reads a sysctl write the kernel refused as a failure although procps exited 0', () => {
    const r = parseSysctlWrite(readFileSync(join(DIR, 'sysctl-write-core-readonly-netns.txt'), 'utf8'), 'net.core.rmem_max');
    expect(exitOf(readFileSync(join(DIR, 'sysctl-write-core-readonly-netns.cmd'), 'utf8'))).toBe(0);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/inside a container or a network namespace/);
  });

  it('reads a non-zero exit with no output as a failure', () => {
    expect(parseSilentSuccess('x', '', { code: 1 }).ok).toBe(false);
    expect(parseSilentSuccess('x', '', { code: null }).ok).toBe(false);
    expect(parseSilentSuccess('x', '', { code: 0 }).ok).toBe(true);
  });
});

describe('tuning command builders', () => {
  it('keeps a sysctl triple as one argv element', () => {
    const c = sysctlWrite('net.ipv4.tcp_rmem', { kind: 'triple', min: 4096, default: 131072, max: 67108864 });
    expect(c.ok && c.value.argv).toEqual(['sysctl', '-w', 'net.ipv4.tcp_rmem=4096 131072 67108864']);
  });

  it('refuses sysctls Ferry does not tune, wrong shapes, out-of-range and unordered values', () => {
    expect(sysctlWrite('kernel.core_pattern', { kind: 'single', value: 1 }).ok).toBe(false);
    expect(sysctlWrite('net.ipv4.tcp_rmem', { kind: 'single', value: 1 }).ok).toBe(false);
    expect(sysctlWrite('net.core.rmem_max', { kind: 'single', value: 2 ** 31 }).ok).toBe(false);
    expect(sysctlWrite('net.core.rmem_max', { kind: 'single', value: 1.5 }).ok).toBe(false);
    expect(sysctlWrite('net.ipv4.tcp_wmem', { kind: 'triple', min: 10, default: 5, max: 20 }).ok).toBe(false);
  });

  it('refuses hostile interface names and values', () => {
    expect(ethtoolSetOffload('-s', 'gro', true).ok).toBe(false);
    expect(ethtoolSetOffload('eth0; reboot', 'gro', true).ok).toBe(false);
    expect(ethtoolSetOffload('eth0', 'lro' as 'gro', true).ok).toBe(false);
    expect(ipLinkSetMtu('eth0', 9000.5).ok).toBe(false);
    expect(ipLinkSetMtu('eth0', 67).ok).toBe(false);
    expect(ethtoolSetRings('eth0', {}).ok).toBe(false);
    expect(ethtoolSetRings('eth0', { rx: 0 }).ok).toBe(false);
    const g = ethtoolSetRings('eth0', { tx: 1024 });
    expect(g.ok && g.value.argv).toEqual(['ethtool', '-G', 'eth0', 'tx', '1024']);
  });

  it('writes the sysctl file with the content and path as positional parameters of a constant script', () => {
    const evil = "x'; rm -rf / #\n$(reboot)";
    const w = writeConfFile('/etc/sysctl.d/90-ferry-migration.conf', evil);
    expect(w.ok).toBe(true);
    if (!w.ok) return;
    expect(w.value.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(w.value.argv[2]).not.toContain('rm -rf');
    expect(w.value.argv.slice(3)).toEqual(['ferry-write', evil, '/etc/sysctl.d/90-ferry-migration.conf']);
    expect(readConfFile('/etc/sysctl.d/../passwd.conf').ok).toBe(false);
    expect(checkConfPath('relative.conf').ok).toBe(false);
    expect(checkConfPath('/etc/sysctl.d/$(x).conf').ok).toBe(false);
    expect(checkConfPath('/etc/passwd').ok).toBe(false);
  });
});

describe("Ferry's sysctl file", () => {
  it('starts with the header and one line per setting when there was no file', () => {
    expect(sysctlFileText({ present: false }, [{ key: 'net.ipv4.tcp_rmem', value: '4096 131072 67108864' }])).toBe(
      `${SYSCTL_FILE_HEADER}net.ipv4.tcp_rmem = 4096 131072 67108864\n`,
    );
  });

  it('replaces a key in place, keeps other lines, and does not repeat the header', () => {
    const before = `${SYSCTL_FILE_HEADER}# mine\nnet.ipv4.tcp_rmem = 1 2 3\nnet.core.somaxconn = 4096\n`;
    const after = sysctlFileText({ present: true, content: before }, [
      { key: 'net.ipv4.tcp_rmem', value: '4096 131072 67108864' },
      { key: 'net.ipv4.tcp_wmem', value: '4096 16384 67108864' },
    ]);
    expect(after).toBe(`${SYSCTL_FILE_HEADER}# mine\nnet.ipv4.tcp_rmem = 4096 131072 67108864\nnet.core.somaxconn = 4096\nnet.ipv4.tcp_wmem = 4096 16384 67108864\n`);
  });
});
