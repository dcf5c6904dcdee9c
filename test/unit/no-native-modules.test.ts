import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// A native addon compiled here is built against Node's ABI and fails to load inside Electron. Ferry ships none:
// install scripts are off (.npmrc), so ssh2's optional crypto binding and cpu-features are never compiled, and ssh2
// falls back to its pure JavaScript implementation.

function nativeFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...nativeFiles(full));
    else if (entry.name.endsWith('.node')) found.push(full);
  }
  return found;
}

describe('native modules', () => {
  it('installs with install scripts disabled', () => {
    const npmrc = readFileSync('.npmrc', 'utf8');
    expect(npmrc).toMatch(/^ignore-scripts=true$/m);
  });

  it('ships no compiled addon in any production dependency', () => {
    const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8' });
    const dirs = out.split('\n').filter((d) => d.includes('node_modules'));
    expect(dirs.length).toBeGreaterThan(5);
    expect(dirs.some((d) => d.endsWith(path.join('node_modules', 'ssh2')))).toBe(true);
    const natives = dirs.flatMap((d) => nativeFiles(d));
    expect(natives).toEqual([]);
  });

  it('keeps ssh2 working without its native parts', async () => {
    const ssh2 = await import('ssh2');
    expect(typeof ssh2.Client).toBe('function');
  });
});
