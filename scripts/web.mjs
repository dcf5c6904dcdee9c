// npm run web [-- --port N --data-dir DIR]: builds what is missing or older than its sources, then runs web mode
// (dist/web/server.cjs) in this process. It prints "Ferry web console: http://127.0.0.1:PORT/?token=..." and keeps
// running until Ctrl-C. Build output goes to stderr so that stdout carries only that line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outputs = ['dist/web/server.cjs', 'dist/renderer/index.html'].map((p) => path.join(root, p));
const sources = ['electron', 'shared', 'renderer', 'package.json', 'vite.config.ts', 'scripts/build.mjs'];

function newestMtime(p) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

function needsBuild() {
  if (outputs.some((p) => !existsSync(p))) return true;
  const built = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  return sources.some((s) => newestMtime(path.join(root, s)) > built);
}

// A fresh clone: install the locked dependencies first (the same step npm start and npm test take).
const deps = spawnSync('bash', [path.join(root, 'scripts/ensure-deps.sh')], { cwd: root, stdio: ['ignore', 2, 2] });
if (deps.status !== 0) process.exit(deps.status ?? 1);

if (process.env.FERRY_SKIP_BUILD !== '1' && needsBuild()) {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    console.error('ferry web: the build failed (see above).');
    process.exit(r.status ?? 1);
  }
}
createRequire(import.meta.url)(outputs[0]);
