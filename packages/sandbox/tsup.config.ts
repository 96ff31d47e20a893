import { defineConfig } from 'tsup';

export default defineConfig({
  // The worker is its own entry: the host starts it as a separate Node process (dist/worker.js).
  entry: { index: 'src/index.ts', worker: 'src/worker/main.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
});
