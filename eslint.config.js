// Lint: typescript-eslint's recommended rules plus a layering rule. shared/ must stay importable
// from both processes, so it may import nothing from Node, Electron, React or the other layers; only the composition
// root may import Electron's values.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'net', 'child_process', 'crypto', 'util', 'events', 'stream'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'shared/ runs in the renderer too: no Node built-ins.' },
            { group: ['electron', 'react', 'react-dom', 'ssh2', 'zustand', 'recharts'], message: 'shared/ is pure.' },
            { group: ['**/electron/**', '**/renderer/**', '**/test/**'], message: 'shared/ imports no other layer.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'The renderer is sandboxed: no Node built-ins.' },
            { group: ['electron', 'ssh2', '**/electron/**'], message: 'The renderer talks to main only through window.ferry.' },
          ],
        },
      ],
    },
  },
  {
    // The dev fake (never in a production bundle) runs main's IPC core and handler factories in the page: it may
    // import them, but still nothing Node-only, so what it pulls in must stay browser-safe.
    files: ['renderer/src/dev/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', 'ssh2'].map((name) => ({ name, message: 'The dev fake runs in the browser.' })),
          patterns: [{ group: nodeBuiltins, message: 'The dev fake runs in the browser: no Node built-ins.' }],
        },
      ],
    },
  },
  {
    files: ['electron/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['electron/main/index.ts', 'electron/preload/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'Only the composition root imports Electron values; use `import type` and parameters.', allowTypeImports: true }],
        },
      ],
    },
  },
);
