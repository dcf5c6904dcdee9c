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

// ssh2 optionally loads native parts (its crypto binding, cpu-features) inside try/catch and falls back to pure
// JavaScript without them. They are never built here (.npmrc ignore-scripts) and must never ship: replace them in the
// bundle by a module that throws as a missing module would, so the app carries no reference to a native addon.
const noNativeAddons = {
  name: 'no-native-addons',
  setup(build) {
    build.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({ path: args.path, namespace: 'no-native' }));
    build.onLoad({ filter: /.*/, namespace: 'no-native' }, (args) => ({
      contents: `throw Object.assign(new Error(${JSON.stringify(`native addon ${args.path} is not shipped with Ferry`)}), { code: 'MODULE_NOT_FOUND' });`,
      loader: 'js',
    }));
  },
};

await Promise.all([
  esbuild({ ...common, entryPoints: ['electron/main/index.ts'], outfile: 'dist/electron/main/index.cjs', plugins: [noNativeAddons] }),
  esbuild({ ...common, entryPoints: ['electron/preload/index.ts'], outfile: 'dist/electron/preload/index.cjs' }),
  esbuild({ ...common, entryPoints: ['electron/main/web/main.ts'], outfile: 'dist/web/server.cjs', packages: 'external' }),
]);
if (!process.argv.includes('--no-renderer')) await viteBuild({ configFile: 'vite.config.ts', logLevel: 'warn' });
console.log('built dist/electron/main/index.cjs, dist/electron/preload/index.cjs, dist/web/server.cjs, dist/renderer/');
