import { defineConfig } from 'tsup';

// `vite build` writes the front end to dist/web first; tsup must not clean it away.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: false,
  target: 'node20',
  platform: 'node',
});
