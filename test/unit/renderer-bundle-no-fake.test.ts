// The production renderer holds no dev fake: main.tsx imports it only under import.meta.env.DEV, which a production
// build makes false, so the fake's modules (and the lab captures they embed) must be absent from the built files.
// Built once here, as `npm run build` builds it (Vite, NODE_ENV=production), into a temporary directory; each
// marker is a string of one fake module, checked to be in its source, so the test cannot pass by looking for
// something that was never there.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const DEV = join(ROOT, 'renderer', 'src', 'dev');

/** A string only the fake holds, by module (and one from a lab capture the fake embeds). */
const MARKERS: readonly { readonly file: string; readonly marker: string }[] = [
  { file: join(DEV, 'fakeApi.ts'), marker: '0.1.0-fake' },
  { file: join(DEV, 'fakeInventory.ts'), marker: '/var/tmp/ferry-lab/keys/client_ed25519' },
  { file: join(DEV, 'fakeEngine.ts'), marker: 'db-split' },
  { file: join(DEV, 'fakeNetwork.ts'), marker: 'DF pings of 9000 bytes pass' },
  { file: join(DEV, 'fakeData.ts'), marker: 'ci-runner' },
  { file: join(ROOT, 'test', 'fixtures', 'migration-runs', 'autoconverge-8.json'), marker: '576646545' },
];

let out = '';
let js = '';

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'ferry-bundle-'));
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', 'vite.config.ts', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: 'pipe',
  });
  const assets = join(out, 'assets');
  js = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(assets, f), 'utf8'))
    .join('\n');
}, 120_000);

afterAll(() => {
  if (out !== '') rmSync(out, { recursive: true, force: true });
});

describe('the production renderer bundle', () => {
  it('is the console (its own words are in it)', () => {
    expect(js.length).toBeGreaterThan(100_000);
    expect(js).toContain('Back to inventory');
  });

  it.each(MARKERS)('holds nothing of $file ("$marker")', ({ file, marker }) => {
    expect(readFileSync(file, 'utf8')).toContain(marker);
    expect(js).not.toContain(marker);
  });
});
