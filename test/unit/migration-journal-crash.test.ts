// The journal survives kill -9: a child appends records in a loop and reports each acknowledged append; it is
// killed at a random moment 30 times; after each kill the journal reopens with every acknowledged record present,
// numbers rising, at most one cut-off line (moved aside once, its number accounted for, never fatal), and a second
// open reports nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { Journal } from '../../electron/main/migration/journal';

const KILLS = 30;
let work: string;
let childJs: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ferry-journal-crash-'));
  childJs = join(work, 'child.mjs');
  buildSync({
    entryPoints: [join(import.meta.dirname, 'migration-journal-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: childJs,
    logLevel: 'silent',
  });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function runAndKill(dataDir: string, afterAcks: number): Promise<{ acked: number[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childJs, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const p of parts) {
        const m = /^ack (\d+)$/.exec(p);
        if (m) acked.push(Number(m[1]));
      }
      if (!killed && acked.length >= afterAcks) {
        killed = true;
        // A random extra delay so that the kill lands anywhere in a write/fdatasync cycle.
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 3);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (!killed) reject(new Error(`child ended on its own: ${stderr}`));
      else resolve({ acked, signal });
    });
  });
}

describe('migration journal under kill -9', () => {
  it(`keeps every acknowledged record across ${KILLS} kills at random moments`, async () => {
    const dataDir = join(work, 'data');
    rmSync(dataDir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dataDir);
    let maxAcked = 0;
    let tornSeen = 0;
    let totalAcked = 0;
    for (let k = 0; k < KILLS; k++) {
      const { acked, signal } = await runAndKill(dataDir, 5 + Math.floor(Math.random() * 200));
      expect(signal).toBe('SIGKILL');
      totalAcked += acked.length;
      const j = await Journal.open({ dataDir });
      const ns = j.initial.lines.map((l) => l.n);
      await j.close();
      // Rising numbers; the only damage a kill leaves is one cut-off last line, moved aside.
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
      expect(j.initial.damaged.filter((d) => d.reason !== 'cut-off')).toEqual([]);
      expect(j.initial.damaged.length).toBeLessThanOrEqual(1);
      expect(j.initial.problems.filter((p) => p.kind !== 'damaged')).toEqual([]);
      tornSeen += j.initial.damaged.length;
      const again = await Journal.open({ dataDir });
      await again.close();
      expect(again.initial.problems).toEqual([]);
      const present = new Set(ns);
      for (const n of acked) expect(present.has(n), `acknowledged record ${n} lost after kill ${k + 1}`).toBe(true);
      const last = acked[acked.length - 1] ?? 0;
      expect(last).toBeGreaterThan(maxAcked);
      maxAcked = Math.max(maxAcked, ...ns);
    }
    // Each cut-off line was moved to a file of its own.
    const aside = readdirSync(dataDir).filter((f) => f.includes('.damaged-'));
    expect(aside.length).toBe(tornSeen);
    console.log(`journal crash test: ${KILLS} kills, ${totalAcked} acknowledged appends, ${maxAcked} records, ${tornSeen} torn tails`);
  }, 120_000);
});
