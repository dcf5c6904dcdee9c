// Builds the bundles: Electron main (CommonJS, electron external), preload (CommonJS: a sandboxed preload cannot be
// an ES module), web mode's server (CommonJS for plain Node; dependencies stay in node_modules) and the renderer
// (Vite). `node scripts/build.mjs --no-renderer` skips the slow Vite step.
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['electron'],
  logLevel: 'warning',
};

await Promise.all([
  // ssh2's optional native parts are never built (.npmrc ignore-scripts); leave their requires to fail softly.
  esbuild({ ...common, entryPoints: ['electron/main/index.ts'], outfile: 'dist/electron/main/index.cjs', external: [...common.external, 'cpu-features', '*.node'] }),
  esbuild({ ...common, entryPoints: ['electron/preload/index.ts'], outfile: 'dist/electron/preload/index.cjs' }),
  esbuild({ ...common, entryPoints: ['electron/main/web/main.ts'], outfile: 'dist/web/server.cjs', packages: 'external' }),
]);
if (!process.argv.includes('--no-renderer')) await viteBuild({ configFile: 'vite.config.ts', logLevel: 'warn' });
console.log('built dist/electron/main/index.cjs, dist/electron/preload/index.cjs, dist/web/server.cjs, dist/renderer/');
