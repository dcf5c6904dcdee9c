/**
 * Cost of one durable journal append (electron/main/migration/journal.ts: one write + fdatasync per record) with
 * records shaped like real samples (~1.3 KB: a parsed domjobinfo with figures). Run: node --import tsx
 * bench/journal-append.ts. Writes bench/results/journal-append.{txt,json}.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../electron/main/migration/journal';

const N = Number(process.env['BENCH_RECORDS'] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'ferry-journal-bench-'));
const info = {
  format: 'human', type: 'unbounded', operation: 'outgoing-migration', timeElapsedMs: 3003, dataProcessedBytes: 24165209,
  dataRemainingBytes: 106602496, dataTotalBytes: 134750208, memoryProcessedBytes: 24165209, memoryRemainingBytes: 106602496,
  memoryTotalBytes: 134750208, memoryBandwidthBytesPerSecond: 10408544, dirtyRatePagesPerSecond: 1270, pageSizeBytes: 4096,
  iteration: 3, postcopyRequests: 0, constantPages: 986, normalPages: 5886, normalDataBytes: 24109056, expectedDowntimeMs: 4467, setupTimeMs: 1,
};
const figures = { elapsedMs: 3003, throughputBytesPerSecond: 10408544, throughputSource: 'reported', dirtyRateBytesPerSecond: 5201920, processedBytes: 24165209, remainingBytes: 106602496, totalBytes: 134750208, iteration: 3, expectedDowntimeMs: 4467, passProgress: 0.21 };
try {
  const j = await Journal.open({ dataDir: dir });
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await j.append({ type: 'sample', id: 'm-bench', at: Date.now(), sample: { seq: i, latencyMs: 0.5, info, figures } });
    times.push(performance.now() - t0);
  }
  await j.close();
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN;
  const bytes = Buffer.byteLength(JSON.stringify({ v: 1, n: 1, type: 'sample', id: 'm-bench', at: Date.now(), sample: { seq: 1, latencyMs: 0.5, info, figures } })) + 1;
  const text = `Journal append (write + fdatasync) of ${N} sample records of ${bytes} bytes in ${dir.split('/').slice(0, -1).join('/')}: p50 ${q(0.5).toFixed(3)} ms, p90 ${q(0.9).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms, max ${q(1).toFixed(3)} ms (${new Date().toISOString()})`;
  console.log(text);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/journal-append.txt', import.meta.url), `${text}\n`);
  writeFileSync(new URL('./results/journal-append.json', import.meta.url), `${JSON.stringify({ records: N, bytes, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) }, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
