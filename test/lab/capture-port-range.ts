// Captures test/fixtures/preflight/ports-range-hvA-to-hvB: the pre-flight ports probe (shared/commands/preflight.ts
// portProbe) over the whole migration range and 16509/16514, run on hvA toward hvB. Usage (lab up, from the repo root):
//   flock /var/tmp/ferry-lab.lock npx tsx test/lab/capture-port-range.ts
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { portProbe } from '../../shared/commands/preflight';
import { shJoin as quoteArgv } from '../../shared/shell/quote';
const ports = [...Array.from({ length: 64 }, (_, i) => 49152 + i), 16509, 16514];
const c = portProbe('10.77.0.12', ports);
if (!c.ok) throw new Error(c.error.message);
const argv = c.value.argv;
const r = spawnSync('bash', ['test/lab/lab.sh', 'hx', 'hvA', 'env', 'LC_ALL=C', ...argv], { encoding: 'utf8' });
const text = r.stdout + (r.stderr && !r.stdout.endsWith('\n') ? '\n' : '') + r.stderr;
const base = 'test/fixtures/preflight/ports-range-hvA-to-hvB';
writeFileSync(`${base}.txt`, text);
const bash = execFileSync('bash', ['test/lab/lab.sh', 'hx', 'hvA', 'bash', '--version'], { encoding: 'utf8' }).split('\n')[0];
writeFileSync(`${base}.cmd`, [
  `command: ${quoteArgv(argv)}`,
  'host: hvA (10.77.0.11), inside the lab host\'s namespaces: lab.sh hx hvA env LC_ALL=C <command>',
  `date: ${new Date().toISOString()}`,
  `exit: ${r.status}`,
  `stdout-bytes: ${Buffer.byteLength(r.stdout)}`,
  `stderr-bytes: ${Buffer.byteLength(r.stderr)}`,
  `tool: ${bash}`,
  `file: ports-range-hvA-to-hvB.txt is stdout followed by stderr`,
  'note: the whole migration range 49152-49215 and 16509/16514, all at once, as the pre-flight ports check probes them; nothing listens on hvB there: refused = reachable, not filtered',
  '',
].join('\n'));
console.log(text.split('\n').length, 'lines');
