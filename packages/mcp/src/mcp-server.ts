import { createRequire } from 'node:module';
import { parseOrThrow, type JsonValue } from '@toolwright/core';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Toolwright } from 'toolwright';
import { z } from 'zod';
import { ArgumentValidator, callActiveTool, failureOf, mcpTaskId, newConnectionId, toolError } from './call-tool.js';
import { mcpOptionsSchema, type McpMode, type ToolwrightMcpOptions } from './options.js';
import { loadCatalog, toolMeta, type ServedTool } from './tool-catalog.js';
import { watchTools, type ToolWatch } from './tool-watch.js';

/** The stable tool that lists every active tool with its schema and version. */
export const LIST_TOOL = 'toolwright_tools';
/** The stable tool that calls any active tool by name. */
export const CALL_TOOL = 'toolwright_call';

const SERVER_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** The part of {@link Toolwright} the MCP server uses. */
export type McpSource = Pick<Toolwright, 'registry' | 'memory' | 'policy' | 'call' | 'database'>;

/** Toolwright's tools, served to MCP clients; one SDK `Server` per connection, one live watch for all. */
export interface ToolwrightMcp {
  readonly mode: McpMode;
  /** A new SDK server for one connection (stdio, or one HTTP session), wired to the live watch. */
  createServer(): Server;
  /** Creates a server and connects it to `transport`. */
  connect(transport: Transport): Promise<Server>;
  /** The watch over the active tools (re-check now with `watch.check()`). */
  readonly watch: ToolWatch;
  /** Stops the watch and closes every server created here. Toolwright stays open: its owner closes it. */
  close(): Promise<void>;
}

const stableListInput = z.object({ name: z.string().min(1).optional() }).strict();
const stableCallInput = z.object({ name: z.string().min(1), arguments: z.record(z.string(), z.json()).optional() }).strict();

const STABLE_TOOLS: readonly Tool[] = [
  {
    name: LIST_TOOL,
    title: 'List Toolwright tools',
    description:
      'Lists every active Toolwright tool — name, description, input JSON Schema, version, content hash, pin and the evidence that promoted it. ' +
      `Call it before ${CALL_TOOL}; new tools appear here as soon as they are promoted. Pass "name" for one tool.`,
    inputSchema: { type: 'object', properties: { name: { type: 'string', description: 'only this tool' } }, additionalProperties: false },
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  },
  {
    name: CALL_TOOL,
    title: 'Call a Toolwright tool',
    description: `Calls the active version of a Toolwright tool by name with its arguments (an object that fits the tool's input schema, as ${LIST_TOOL} lists it).`,
    inputSchema: {
      type: 'object',
      properties: { name: { type: 'string', description: 'the tool, e.g. "sum_fares_price"' }, arguments: { type: 'object', description: "the tool's arguments", additionalProperties: true } },
      required: ['name'],
      additionalProperties: false,
    },
  },
];

/**
 * Serves every active Toolwright tool to MCP clients, live: each call goes through Toolwright's
 * metered path (`toolwright.call`: sandbox, memory, capture, improvement), is refused while the
 * kill switch is on, and runs the active (or pinned) version; promotions, rollbacks, pins and
 * retirements — here or in another process on the same database — send
 * `notifications/tools/list_changed`.
 *
 * @example
 * ```ts
 * import { createToolwright } from 'toolwright';
 * import { createToolwrightMcp } from '@toolwright/mcp';
 * import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
 *
 * const toolwright = await createToolwright({ database: 'sqlite:./toolwright.db' });
 * const mcp = await createToolwrightMcp(toolwright);
 * await mcp.connect(new StdioServerTransport());
 * ```
 */
export async function createToolwrightMcp(toolwright: McpSource, options: ToolwrightMcpOptions = {}): Promise<ToolwrightMcp> {
  const parsed = parseOrThrow(mcpOptionsSchema, options, 'createToolwrightMcp options');
  const onError = parsed.onError ?? ((error: unknown) => process.emitWarning(`@toolwright/mcp: ${failureOf(error).message}`, 'ToolwrightWarning'));
  const watch = await watchTools(toolwright, { ...(parsed.pollIntervalMs === undefined ? {} : { pollIntervalMs: parsed.pollIntervalMs }), onError });
  const validator = new ArgumentValidator();
  const servers = new Set<Server>();
  const mode = parsed.mode;
  const listsTools = mode !== 'stable';
  const listsStable = mode !== 'tools';

  const createServer = (): Server => {
    const connection = newConnectionId();
    const server = new Server(
      { name: parsed.name, title: 'Toolwright', version: SERVER_VERSION },
      {
        capabilities: { tools: { listChanged: true } },
        instructions:
          'Toolwright serves the tools its agents wrote, proved and promoted. Every listed tool carries its version and content hash in _meta. ' +
          (listsStable ? `If your client does not refresh its tool list on notifications/tools/list_changed, use ${LIST_TOOL} and ${CALL_TOOL}: they reach every newly promoted tool.` : ''),
      },
    );
    const taskId = (): string => mcpTaskId(server.getClientVersion()?.name, connection);
    const call = (name: string, args: JsonValue | undefined, signal: AbortSignal): Promise<CallToolResult> =>
      callActiveTool(toolwright, validator, { name, arguments: args, taskId: taskId(), signal });

    server.setRequestHandler(ListToolsRequestSchema, async () => {
      const tools: Tool[] = listsStable ? [...STABLE_TOOLS] : [];
      if (listsTools) {
        for (const tool of await loadCatalog(toolwright)) {
          if (listsStable && (tool.name === LIST_TOOL || tool.name === CALL_TOOL)) continue; // reachable through toolwright_call
          tools.push(asMcpTool(tool));
        }
      }
      return { tools };
    });

    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const { name } = request.params;
      const args = request.params.arguments as JsonValue | undefined;
      if (listsStable && name === LIST_TOOL) return listStable(args);
      if (listsStable && name === CALL_TOOL) {
        const input = stableCallInput.safeParse(args ?? {});
        if (!input.success) return toolError({ code: 'INVALID_ARGUMENT', message: `${CALL_TOOL} takes { "name": "<tool>", "arguments": { … } }: ${z.prettifyError(input.error)}` });
        return call(input.data.name, input.data.arguments ?? {}, extra.signal);
      }
      if (!listsTools) return toolError({ code: 'REGISTRY_NOT_FOUND', message: `This server lists only ${LIST_TOOL} and ${CALL_TOOL}; call "${name}" through ${CALL_TOOL}.` });
      return call(name, args, extra.signal);
    });

    const listStable = async (args: JsonValue | undefined): Promise<CallToolResult> => {
      const input = stableListInput.safeParse(args ?? {});
      if (!input.success) return toolError({ code: 'INVALID_ARGUMENT', message: `${LIST_TOOL} takes { "name"?: "<tool>" }: ${z.prettifyError(input.error)}` });
      try {
        const tools = (await loadCatalog(toolwright)).filter((tool) => input.data.name === undefined || tool.name === input.data.name).map(asListing);
        if (input.data.name !== undefined && tools.length === 0) {
          return toolError({ code: 'REGISTRY_NOT_FOUND', message: `There is no active tool named "${input.data.name}". Call ${LIST_TOOL} without a name for every tool.` });
        }
        return { content: [{ type: 'text', text: JSON.stringify({ tools }) }], structuredContent: { tools } };
      } catch (error) {
        return toolError(failureOf(error));
      }
    };

    const unsubscribe = watch.onChange(() => {
      if (server.transport === undefined || !listsTools) return; // the stable pair never changes
      server.sendToolListChanged().catch(onError);
    });
    servers.add(server);
    server.onclose = () => {
      unsubscribe();
      servers.delete(server);
    };
    return server;
  };

  return {
    mode,
    watch,
    createServer,
    async connect(transport) {
      const server = createServer();
      await server.connect(transport);
      return server;
    },
    async close() {
      watch.stop();
      await Promise.all([...servers].map((server) => server.close().catch(() => undefined)));
      servers.clear();
    },
  };
}

/** A served tool as an MCP tool: its manifest's description and input schema, version facts in `_meta`. */
function asMcpTool(tool: ServedTool): Tool {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema as Tool['inputSchema'],
    _meta: toolMeta(tool),
  };
}

function asListing(tool: ServedTool): Record<string, JsonValue> {
  return JSON.parse(
    JSON.stringify({
      name: tool.name,
      description: tool.description,
      inputSchema: tool.inputSchema,
      version: tool.version,
      contentHash: tool.contentHash,
      pinned: tool.pinned,
      ...(tool.promotion === undefined ? {} : { promotion: tool.promotion }),
    }),
  ) as Record<string, JsonValue>;
}
