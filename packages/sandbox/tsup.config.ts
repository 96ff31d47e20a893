import { defineConfig } from 'tsup';

export default defineConfig({
  // The worker is its own entry: the host starts it as a separate Node process (dist/worker.js);
  // so is the thread that checks sources off the host's event loop (dist/prepare-worker.js).
  entry: { index: 'src/index.ts', worker: 'src/worker/main.ts', 'prepare-worker': 'src/compile/prepare-thread-main.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
});
