/* global process, console, URL */
// Calls per second and median latency of one tool, in one run, four ways:
//   in-process   toolwright.call() — the agent's metered path (sandbox, memory, capture), no MCP
//   MCP memory   the SDK's Client over an in-memory transport: + kill switch, schema check, MCP framing
//   MCP HTTP     the SDK's Client over Streamable HTTP on 127.0.0.1 (bearer token, one session)
//   MCP HTTP ×8  the same, eight calls in flight at once (throughput)
// Usage (after `npx tsup`):  node bench/mcp-call.bench.mjs   [BENCH_CALLS=1000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createToolwright } from 'toolwright';
import { createToolwrightMcp, startHttpServer } from '../dist/index.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const WARMUP = 50;
const TOKEN = 'bench-token-0123456789abcdef';
const SPEC = {
  name: 'add_numbers',
  description: 'Adds a and b.',
  inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
  language: 'ts',
  capabilities: [],
  examples: [{ input: { a: 2, b: 3 }, output: 5 }],
};
const SOURCE = 'export default function addNumbers({ a, b }: { a: number; b: number }): number { return a + b; }\n';

function stats(name, latencies, wallMs) {
  const sorted = [...latencies].sort((x, y) => x - y);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { way: name, calls: latencies.length, 'calls/s': Math.round((latencies.length / wallMs) * 1000), 'median ms': +at(0.5).toFixed(3), 'p95 ms': +at(0.95).toFixed(3) };
}

async function sequential(name, call) {
  for (let i = 0; i < WARMUP; i += 1) await call(i);
  const latencies = [];
  const start = performance.now();
  for (let i = 0; i < CALLS; i += 1) {
    const t0 = performance.now();
    await call(i);
    latencies.push(performance.now() - t0);
  }
  return stats(name, latencies, performance.now() - start);
}

async function concurrent(name, call, inFlight) {
  const latencies = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < CALLS) {
        const i = next++;
        const t0 = performance.now();
        await call(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return stats(name, latencies, performance.now() - start);
}

const check = (result, i) => {
  if (result.isError || JSON.parse(result.content[0].text) !== i + 1) throw new Error(`unexpected result: ${JSON.stringify(result)}`);
};

const directory = mkdtempSync(join(tmpdir(), 'toolwright-mcp-bench-'));
const toolwright = await createToolwright({ database: `sqlite:${join(directory, 'bench.db')}`, improve: false, reflect: false });
try {
  const outcome = await toolwright.gate.propose({ kind: 'create-tool', origin: 'person', name: 'add_numbers', spec: SPEC, source: SOURCE }, { by: 'bench', reason: 'benchmark' });
  if (outcome.status !== 'applied') throw new Error(outcome.summary);
  const rows = [];

  rows.push(
    await sequential('in-process toolwright.call', async (i) => {
      const call = await toolwright.call('add_numbers', { a: i, b: 1 });
      if (!call.ok || call.output !== i + 1) throw new Error(JSON.stringify(call));
    }),
  );

  const mcp = await createToolwrightMcp(toolwright, { pollIntervalMs: 0 });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.connect(serverSide);
  const memoryClient = new Client({ name: 'bench', version: '1' });
  await memoryClient.connect(clientSide);
  rows.push(await sequential('MCP, in-memory transport', async (i) => check(await memoryClient.callTool({ name: 'add_numbers', arguments: { a: i, b: 1 } }), i)));
  await memoryClient.close();

  const http = await startHttpServer(mcp, { port: 0, token: TOKEN });
  const httpClient = new Client({ name: 'bench', version: '1' });
  await httpClient.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
  rows.push(await sequential('MCP, Streamable HTTP (127.0.0.1)', async (i) => check(await httpClient.callTool({ name: 'add_numbers', arguments: { a: i, b: 1 } }), i)));
  rows.push(await concurrent('MCP, Streamable HTTP, 8 in flight', async (i) => check(await httpClient.callTool({ name: 'add_numbers', arguments: { a: i, b: 1 } }), i), 8));
  await httpClient.close();
  await http.close();
  await mcp.close();

  console.log(`node ${process.version}, ${CALLS} calls each after ${WARMUP} warm-up calls, SQLite, one tool (add_numbers)`);
  console.table(rows);
} finally {
  await toolwright.close();
  rmSync(directory, { recursive: true, force: true });
}
