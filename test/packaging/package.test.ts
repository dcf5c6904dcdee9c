// Validates the electron-builder configuration offline: builds the bundles, packs the unpacked Linux app against a
// stand-in Electron distribution (the real binary cannot be downloaded on these machines; npm rebuild off), and
// checks that the packed app holds the main, preload and renderer bundles and nothing else: no node_modules, no
// native addon, no source map. Release machines build AppImage/deb/dmg/nsis from the same file.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtinModules } from 'node:module';
import asar from '@electron/asar';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string>; main: string };
const electronVersion = pkg.devDependencies['electron'] ?? '';

describe('packaging', () => {
  it('pins an exact Electron version (an unpinned install fails offline)', () => {
    expect(electronVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('packs the unpacked Linux app with the main, preload and renderer bundles only', () => {
    execFileSync('node', ['scripts/build.mjs'], { stdio: 'pipe' });
    const standIn = mkdtempSync(path.join(tmpdir(), 'ferry-electron-standin-'));
    writeFileSync(path.join(standIn, 'electron'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(standIn, 'electron'), 0o755);
    writeFileSync(path.join(standIn, 'version'), electronVersion);
    writeFileSync(path.join(standIn, 'LICENSE'), 'stand-in for the Electron distribution\n');
    const out = mkdtempSync(path.join(tmpdir(), 'ferry-pack-'));
    execFileSync(
      'npx',
      [
        'electron-builder', '--config', 'build/electron-builder.yml', '--linux', 'dir',
        `-c.electronVersion=${electronVersion}`, `-c.electronDist=${standIn}`, '-c.npmRebuild=false', `-c.directories.output=${out}`,
      ],
      { stdio: 'pipe', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
    );
    const files = asar.listPackage(path.join(out, 'linux-unpacked', 'resources', 'app.asar'), { isPack: false }).map((f) => f.replaceAll('\\', '/'));
    expect(files).toContain(`/${pkg.main}`);
    expect(files).toContain('/dist/electron/preload/index.cjs');
    expect(files).toContain('/dist/renderer/index.html');
    expect(files.some((f) => /^\/dist\/renderer\/assets\/.+\.js$/.test(f))).toBe(true);
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.node') || f.endsWith('.map'))).toEqual([]);
  });

  it('bundles every runtime dependency into main: only electron and Node built-ins stay external', () => {
    const main = readFileSync(pkg.main, 'utf8');
    const required = [...main.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] ?? '');
    const external = required.filter((r) => r !== 'electron' && !r.startsWith('node:') && !builtinModules.includes(r));
    expect(external).toEqual([]);
  });
});
