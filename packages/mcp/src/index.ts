/**
 * `@toolwright/mcp`: serves every active Toolwright tool to MCP clients — over stdio or
 * Streamable HTTP — through Toolwright's metered call path, live as tools are promoted, rolled
 * back, pinned or retired.
 *
 * @packageDocumentation
 */
export { createToolwrightMcp, CALL_TOOL, LIST_TOOL } from './mcp-server.js';
export type { McpSource, ToolwrightMcp } from './mcp-server.js';
export { startHttpServer } from './http-server.js';
export type { McpHttpServer } from './http-server.js';
export { serveToolwright, requireToken, parsePort } from './serve.js';
export type { ServeOptions, ServingMcp } from './serve.js';
export { MAX_POLL_INTERVAL_MS, MCP_MODES } from './options.js';
export type { HttpServerOptions, McpMode, ToolwrightMcpOptions } from './options.js';
export { watchTools } from './tool-watch.js';
export type { ToolWatch, WatchOptions } from './tool-watch.js';
export { loadCatalog, META_PREFIX } from './tool-catalog.js';
export type { PromotionEvidence, ServedTool } from './tool-catalog.js';
export { mcpTaskId } from './call-tool.js';
export { SUPPORTED_PROTOCOL_VERSIONS, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
