import { defineConfig } from 'vite';

// The front end (web/) is built into dist/web, which the server serves and the package ships.
export default defineConfig({
  root: 'web',
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // One small bundle; no inline scripts, so the page runs under the console's strict CSP.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
});
