import { MAX_SOURCE_LENGTH, originSchema } from '@toolwright/core';
import { z } from 'zod';

/** The isolated-vm packages the worker tries, in order: 6.x (Node ≥ 22), 5.x (Node 20–21), then a plain install. */
export const DEFAULT_ISOLATED_VM_MODULES = ['isolated-vm-v6', 'isolated-vm-v5', 'isolated-vm'] as const;

const positiveInt = (max: number) => z.number().int().min(1).max(max);

/** What a sandbox grants to tools that request it. Nothing is granted unless listed. */
export const sandboxCapabilitiesSchema = z
  .object({
    /** `fetch` to these origins only (scheme, host and port), e.g. `http://127.0.0.1:8080`. */
    fetch: z
      .object({
        allow: z.array(originSchema).min(1, 'list at least one origin, or leave fetch out to deny it'),
        /** Per request; the run's own deadline still applies. Default 5,000 ms. */
        timeoutMs: positiveInt(600_000).default(5_000),
        /** Largest response body a tool may read, in bytes. Default 1,000,000. */
        maxResponseBytes: positiveInt(64 * 1024 * 1024).default(1_000_000),
        /** Requests one run may make. Default 20. */
        maxRequests: positiveInt(1_000).default(20),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Default of `maxBatchOutputBytes` (or `maxOutputBytes`, when that is larger). */
export const DEFAULT_MAX_BATCH_OUTPUT_BYTES = 16 * 1024 * 1024;
/** Default of `maxBatchOutputNodes` (or `maxOutputNodes`, when that is larger). */
export const DEFAULT_MAX_BATCH_OUTPUT_NODES = 500_000;
/** Default of `maxWorkerMemoryMb` (or twice `memoryLimitMb`, when that is larger). */
export const DEFAULT_MAX_WORKER_MEMORY_MB = 256;

const sandboxOptionsObject = z
  .object({
    /** Heap limit of each isolate, in MiB (isolated-vm's minimum is 8). Default 64. */
    memoryLimitMb: z.number().int().min(8).max(8_192).default(64),
    /**
     * What all warm isolates of one worker may hold together, in MiB; the least recently used
     * tools are unloaded to stay under it. Default 256, or twice `memoryLimitMb` when larger.
     */
    maxWorkerMemoryMb: z.number().int().min(8).max(65_536).optional(),
    /** Wall-clock limit of one run, async work and capability calls included. Default 1,000 ms. */
    timeoutMs: positiveInt(600_000).default(1_000),
    /** Largest serialised (UTF-8 JSON) result, in bytes. Default 1,000,000. */
    maxOutputBytes: positiveInt(256 * 1024 * 1024).default(1_000_000),
    /**
     * Most JSON nodes in one result (objects, arrays, strings, numbers, booleans, nulls, keys
     * included), counted before the host parses it. Default 100,000.
     */
    maxOutputNodes: positiveInt(100_000_000).default(100_000),
    /** Most result bytes (JSON and logs) of one `run`/`runMany` call together. Default 16 MiB, or `maxOutputBytes` when larger. */
    maxBatchOutputBytes: positiveInt(4 * 1024 * 1024 * 1024).optional(),
    /** Most JSON nodes of one `run`/`runMany` call together. Default 500,000, or `maxOutputNodes` when larger. */
    maxBatchOutputNodes: positiveInt(1_000_000_000).optional(),
    /** Largest serialised (UTF-8 JSON) argument, in bytes. Default 1,000,000. */
    maxInputBytes: positiveInt(256 * 1024 * 1024).default(1_000_000),
    /** Longest accepted source, in UTF-16 code units; at most core's `MAX_SOURCE_LENGTH` (the default). */
    maxSourceLength: positiveInt(MAX_SOURCE_LENGTH).default(MAX_SOURCE_LENGTH),
    /** Capabilities granted to tools that request them. Deny by default. */
    capabilities: sandboxCapabilitiesSchema.prefault({}),
    /** Worker processes; each runs one tool call at a time. Default 1. */
    workers: positiveInt(32).default(1),
    /** Compiled tools each worker keeps loaded (an isolate each); older ones are reloaded on demand. Default 16. */
    maxWarmTools: positiveInt(1_000).default(16),
    /** Leave `WebAssembly` in the guest global and let the static gate accept it. Default false. */
    allowWebAssembly: z.boolean().default(false),
    /**
     * The circuit breaker of a tool that keeps ending its worker process (a crash, a memory
     * blow-up or a missed deadline, each costing a worker restart): after `crashes` calls in a
     * row that ended a worker, the tool's calls fail at once with `CRASHED` ("circuit open"),
     * without running, for `coolDownMs`; then one call is let through, and the circuit closes
     * again on a call that does not end its worker. Counted per tool (name and code), across
     * compiles. `false` turns it off. Default `{ crashes: 3, coolDownMs: 30_000 }`.
     */
    circuitBreaker: z
      .union([
        z.literal(false),
        z
          .object({ crashes: positiveInt(1_000).default(3), coolDownMs: positiveInt(86_400_000).default(30_000) })
          .strict(),
      ])
      .default({ crashes: 3, coolDownMs: 30_000 }),
    /** isolated-vm module specifiers to try, in order, resolved from this package. */
    isolatedVmModules: z.array(z.string().min(1).max(500)).min(1).max(10).default([...DEFAULT_ISOLATED_VM_MODULES]),
  })
  .strict();

/**
 * Options of `createSandbox`. Every field is optional.
 *
 * @example
 * ```ts
 * const options = sandboxOptionsSchema.parse({ timeoutMs: 500, capabilities: { fetch: { allow: ['http://127.0.0.1:8080'] } } });
 * ```
 */
export const sandboxOptionsSchema = sandboxOptionsObject
  .superRefine((options, context) => {
    if (options.maxBatchOutputBytes !== undefined && options.maxBatchOutputBytes < options.maxOutputBytes) {
      context.addIssue({
        code: 'custom',
        path: ['maxBatchOutputBytes'],
        message: `maxBatchOutputBytes (${options.maxBatchOutputBytes}) is below maxOutputBytes (${options.maxOutputBytes}): one result would not fit in a call; raise it or lower maxOutputBytes`,
      });
    }
    if (options.maxBatchOutputNodes !== undefined && options.maxBatchOutputNodes < options.maxOutputNodes) {
      context.addIssue({
        code: 'custom',
        path: ['maxBatchOutputNodes'],
        message: `maxBatchOutputNodes (${options.maxBatchOutputNodes}) is below maxOutputNodes (${options.maxOutputNodes}): one result would not fit in a call; raise it or lower maxOutputNodes`,
      });
    }
    if (options.maxWorkerMemoryMb !== undefined && options.maxWorkerMemoryMb < options.memoryLimitMb) {
      context.addIssue({
        code: 'custom',
        path: ['maxWorkerMemoryMb'],
        message: `maxWorkerMemoryMb (${options.maxWorkerMemoryMb}) is below memoryLimitMb (${options.memoryLimitMb}): one isolate would not fit in a worker; raise it or lower memoryLimitMb`,
      });
    }
  })
  .transform((options) => ({
    ...options,
    maxBatchOutputBytes: options.maxBatchOutputBytes ?? Math.max(DEFAULT_MAX_BATCH_OUTPUT_BYTES, options.maxOutputBytes),
    maxBatchOutputNodes: options.maxBatchOutputNodes ?? Math.max(DEFAULT_MAX_BATCH_OUTPUT_NODES, options.maxOutputNodes),
    maxWorkerMemoryMb: options.maxWorkerMemoryMb ?? Math.max(DEFAULT_MAX_WORKER_MEMORY_MB, 2 * options.memoryLimitMb),
  }));

/** What a caller may pass to `createSandbox`. */
export type SandboxOptions = z.input<typeof sandboxOptionsSchema>;
/** The options with every default filled in. */
export type ResolvedSandboxOptions = z.output<typeof sandboxOptionsSchema>;

/** Per-run overrides, validated. */
export const runOptionsSchema = z
  .object({
    timeoutMs: positiveInt(600_000).optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();
