/**
 * The thread that prepares sources (transpile, static gate, hash) off the host's event loop:
 * a 256 KiB source takes a parser some hundreds of milliseconds, which the host's other work
 * must not wait for. Started by {@link SourcePreparer}; one request at a time.
 */
import { parentPort } from 'node:worker_threads';
import { ToolwrightError } from '@toolwright/core';
import { prepareSource } from './prepare-source.js';
import type { PrepareReply, PrepareRequest } from './prepare-thread.js';

parentPort?.on('message', (request: PrepareRequest) => {
  let reply: PrepareReply;
  try {
    reply = { id: request.id, ok: true, prepared: prepareSource(request.name, request.source, request.language, request.options) };
  } catch (error) {
    reply = ToolwrightError.isInstance(error)
      ? { id: request.id, ok: false, error: { code: error.code, message: error.message, details: error.details } }
      : { id: request.id, ok: false, unexpected: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  parentPort?.postMessage(reply);
});
