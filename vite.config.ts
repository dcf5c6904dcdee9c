import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  resolve: {
    // The dev fake serves the reports channels with main's own builders; csv-stringify's Node build calls Buffer as
    // it loads, its browser build carries its own.
    alias: { 'csv-stringify/sync': 'csv-stringify/browser/esm/sync' },
  },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // One local bundle for a desktop app (React + recharts ~1 MB): nothing is fetched over a network, so the web
    // advice to split chunks would only add requests. Keep the warning for real growth.
    chunkSizeWarningLimit: 1500,
  },
});
