import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertNotOption, shJoin, shQuote, ShellArgumentError } from '../../shared/shell/quote';

/** Runs `printf '%s\0' <quoted args>` in a real shell and returns the arguments it received. */
function roundTrip(shell: readonly string[], args: readonly string[]): string[] {
  const out = execFileSync(shell[0]!, [...shell.slice(1), `printf '%s\\0' ${shJoin(args)}`], { encoding: 'utf8' });
  const parts = out.split('\0');
  expect(parts.pop()).toBe('');
  return parts;
}

const HOSTILE: readonly string[] = [
  '',
  ' ',
  "'",
  "''",
  "'\\''",
  '"',
  '\\',
  '\\\\n',
  '$(touch /tmp/ferry-pwned)',
  '`touch /tmp/ferry-pwned`',
  '${HOME}',
  '$HOME',
  '$0 $1 $@ $* $# $? $$ $!',
  'a;b',
  'a|b',
  'a&b',
  'a&&b||c',
  '<in >out 2>&1',
  '*',
  '?',
  '[a-z]*',
  '~',
  '~root',
  '-rf',
  '--shell',
  '-',
  '--',
  'line1\nline2',
  '\n',
  'trailing newline\n',
  '\r\n',
  'tab\there',
  '#not a comment',
  'a #b',
  '!',
  '!!',
  '{',
  '}',
  'if',
  'then fi',
  'FOO=bar',
  'a=b c=d',
  '(subshell)',
  "it's",
  "'quoted'",
  '"double"',
  "mixed 'single' and \"double\" and `back` and $(dollar)",
  'é ü 日本語 🚀 \u200b zero-width',
  '\u0001\u0002\u001b[31mred\u001b[0m\u007f',
  'x'.repeat(5000),
];

describe('shQuote', () => {
  it('single-quotes every word, including plain ones and the empty string', () => {
    expect(shQuote('')).toBe("''");
    expect(shQuote('virsh')).toBe("'virsh'");
    expect(shQuote("it's")).toBe("'it'\\''s'");
  });

  it('joins argv with single spaces', () => {
    expect(shJoin(['virsh', 'domjobinfo', 'vm 1'])).toBe("'virsh' 'domjobinfo' 'vm 1'");
    expect(shJoin([])).toBe('');
  });

  for (const [name, shell] of [
    ['dash (/bin/sh)', ['/bin/sh', '-c']],
    ['bash', ['bash', '-c']],
    ['busybox ash', ['busybox', 'sh', '-c']],
  ] as const) {
    it(`hostile arguments reach the program byte-exact through ${name}`, () => {
      expect(roundTrip(shell, HOSTILE)).toEqual(HOSTILE);
    });
  }

  it('a command that would run if unquoted is never executed', () => {
    const marker = `/tmp/ferry-quote-${process.pid}`;
    const out = roundTrip(['/bin/sh', '-c'], [`$(touch ${marker})`, `\`touch ${marker}\``, `; touch ${marker}`]);
    expect(out).toHaveLength(3);
    expect(() => execFileSync('test', ['-e', marker])).toThrow();
  });

  it('survives a second round of parsing (eval of a quoted command line, as the shell session does)', () => {
    const line = shJoin(['printf', '%s\\0', ...HOSTILE]);
    const out = execFileSync('/bin/sh', ['-c', `eval ${shQuote(line)}`], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(HOSTILE);
  });

  it('round-trips a generated set of random hostile strings', () => {
    // Deterministic PRNG (mulberry32) so a failure can be reproduced.
    let seed = 0x5eed;
    const rand = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const alphabet = [..."'\"\\$`;|&<>*?~!#(){}[]= -\n\t\r%^aZ09é日🚀"];
    const cases: string[] = [];
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(rand() * 24);
      let s = '';
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
      cases.push(s);
    }
    expect(roundTrip(['/bin/sh', '-c'], cases)).toEqual(cases);
    expect(roundTrip(['bash', '-c'], cases)).toEqual(cases);
  });

  it('rejects a NUL byte with a typed error instead of truncating the argument', () => {
    expect(() => shQuote('a\0b')).toThrow(ShellArgumentError);
    try {
      shJoin(['ok', 'bad\0']);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ShellArgumentError);
      expect((e as ShellArgumentError).reason).toBe('nul');
    }
  });

  it('rejects an unpaired surrogate, which cannot be sent as UTF-8', () => {
    expect(() => shQuote('a\uD800b')).toThrow(/surrogate/);
    expect(() => shQuote('\uDC00')).toThrow(ShellArgumentError);
    expect(shQuote('🚀')).toBe("'🚀'");
  });
});

describe('assertNotOption', () => {
  it('passes positional arguments through unchanged', () => {
    expect(assertNotOption('vm1')).toBe('vm1');
    expect(assertNotOption('a-b')).toBe('a-b');
    expect(assertNotOption('')).toBe('');
  });

  it('refuses an argument a program would read as an option, because quoting cannot prevent that', () => {
    // Proof that quoting alone is not enough: a quoted '--version' is still an option to ls.
    const out = execFileSync('/bin/sh', ['-c', `ls ${shJoin(['--version'])}`], { encoding: 'utf8' });
    expect(out).toMatch(/ls \(GNU coreutils\)/);
    for (const a of ['-rf', '--shell', '-']) {
      expect(() => assertNotOption(a)).toThrow(ShellArgumentError);
    }
  });
});
