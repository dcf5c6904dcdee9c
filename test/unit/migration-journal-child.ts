// Child process for the journal crash test (test/unit/migration-journal-crash.test.ts): appends records to the
// journal in DIR as fast as it can and prints "ack N" on stdout after each append resolved (fdatasync returned).
// The parent kill -9s it at a random moment, then checks that every acknowledged N is in the file.
import { Journal } from '../../electron/main/migration/journal';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: migration-journal-child DIR');
const journal = await Journal.open({ dataDir: dir });
process.stdout.write(`open ${journal.initial.lines.length}\n`);
const id = `m-${process.pid}`;
for (let i = 0; ; i++) {
  // Lines of varying length, some of them long, so that a kill can land inside a bigger write.
  const line = await journal.append({ type: 'sample', id, at: Date.now(), sample: { seq: i, latencyMs: 0, pad: 'x'.repeat((i * 7919) % 9000) } });
  process.stdout.write(`ack ${line.n}\n`);
}
