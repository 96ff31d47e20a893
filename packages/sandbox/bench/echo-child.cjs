// The far end of bench/transport.mjs's raw round trips: echoes every message back at once.
// As a forked child (IPC) or as a worker thread (parentPort).
const { parentPort } = require('node:worker_threads');
if (parentPort) parentPort.on('message', (message) => parentPort.postMessage(message));
else {
  process.on('message', (message) => process.send(message));
  process.on('disconnect', () => process.exit(0));
}
