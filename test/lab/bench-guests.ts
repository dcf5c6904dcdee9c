// bench-guests.sh from TypeScript (benchmarks and integration tests): extra small transient guests bench-gNN.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench-guests.sh');

/** `bench-guests.sh up N MEM HOST` prints their names; `down` removes every bench-g* guest from every host. */
export function benchGuests(args: readonly string[]): Promise<{ readonly code: number; readonly out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** bench-gNN, the name bench-guests.sh gives its Nth guest. */
export const benchGuestName = (i: number): string => `bench-g${String(i).padStart(2, '0')}`;
