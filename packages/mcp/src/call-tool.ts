import { randomUUID } from 'node:crypto';
import type { JsonObject, JsonValue } from '@toolwright/core';
import { ToolwrightError } from '@toolwright/core';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Toolwright } from 'toolwright';
import { META_PREFIX } from './tool-catalog.js';

/** The part of {@link Toolwright} a call uses: the kill switch, the registry reader and the metered `call`. */
export type CallSource = Pick<Toolwright, 'registry' | 'policy' | 'call'>;

/** A coded failure as an MCP tool error carries it. */
export interface ToolFailure {
  readonly code: string;
  readonly message: string;
}

/** Compiles input schemas once per content hash and checks arguments against them. */
export class ArgumentValidator {
  readonly #ajv = new AjvJsonSchemaValidator();
  readonly #compiled = new Map<string, JsonSchemaValidator<unknown> | ToolFailure>();

  /** `undefined` when `args` fit the schema; otherwise the failure to answer with. */
  check(key: string, name: string, schema: JsonObject, args: JsonValue): ToolFailure | undefined {
    let validator = this.#compiled.get(key);
    if (validator === undefined) {
      validator = this.#compile(name, schema);
      this.#compiled.set(key, validator);
    }
    if (typeof validator !== 'function') return validator;
    const result = validator(args);
    if (result.valid) return undefined;
    return { code: 'INVALID_ARGUMENT', message: `The arguments of ${name} do not fit its input schema: ${result.errorMessage}. Nothing ran; read the schema with tools/list (or toolwright_tools) and call again.` };
  }

  #compile(name: string, schema: JsonObject): JsonSchemaValidator<unknown> | ToolFailure {
    // The registry's schemas come from z.toJSONSchema (draft 2020-12); Ajv's default meta-schema
    // is draft-07, and the keywords tools use mean the same in both.
    const { $schema: _dialect, ...rest } = schema;
    try {
      return this.#ajv.getValidator(rest as JsonSchemaType);
    } catch (error) {
      return { code: 'INVALID_ARGUMENT', message: `The input schema of ${name} cannot be compiled (${error instanceof Error ? error.message : String(error)}); nothing ran. Fix the tool's schema through the gate.` };
    }
  }
}

/** The task id recorded with every call an MCP client causes: `mcp:<client>:<connection>`. */
export function mcpTaskId(clientName: string | undefined, connection: string): string {
  const client = (clientName ?? 'client').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64) || 'client';
  return `mcp:${client}:${connection}`;
}

/** A fresh connection id for {@link mcpTaskId}. */
export function newConnectionId(): string {
  return randomUUID().slice(0, 8);
}

/** An MCP tool error (`isError: true`) carrying Toolwright's code and message, never a stack. */
export function toolError(failure: ToolFailure, meta: Record<string, unknown> = {}): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `${failure.code}: ${failure.message}` }],
    _meta: { ...meta, [`${META_PREFIX}error`]: { code: failure.code, message: failure.message } },
  };
}

/** A thrown value as a {@link ToolFailure}: a Toolwright error's code and message; anything else's message only. */
export function failureOf(error: unknown): ToolFailure {
  if (ToolwrightError.isInstance(error)) return { code: error.code, message: error.message };
  return { code: 'UNKNOWN', message: error instanceof Error ? error.message : String(error) };
}

/**
 * Calls an active tool the way the agent does — sandbox, metering, memory record (task id
 * `taskId`), regression capture, improvement trigger — after refusing it while the kill switch is
 * on and checking the arguments against the active version's input schema.
 */
export async function callActiveTool(
  source: CallSource,
  validator: ArgumentValidator,
  request: { readonly name: string; readonly arguments: JsonValue | undefined; readonly taskId: string; readonly signal?: AbortSignal },
): Promise<CallToolResult> {
  const { name } = request;
  try {
    const killSwitch = await source.policy.killSwitch.state();
    if (killSwitch.engaged) {
      const who = killSwitch.by === undefined ? '' : ` by ${killSwitch.by}${killSwitch.reason ? ` (${killSwitch.reason})` : ''}`;
      return toolError({
        code: 'POLICY_KILL_SWITCH',
        message: `The kill switch is on${who}: Toolwright refuses every tool call from MCP clients until a person releases it (\`toolwright kill-switch off\`). Nothing ran.`,
      });
    }
    const active = await source.registry.active(name);
    if (active?.spec === undefined) {
      return toolError({ code: 'REGISTRY_NOT_FOUND', message: `There is no active tool named "${name}". List the active tools with tools/list (or toolwright_tools).` });
    }
    const args: JsonValue = request.arguments ?? {};
    const invalid = validator.check(active.contentHash, name, active.spec.inputSchema, args);
    const versionMeta = { [`${META_PREFIX}version`]: active.version, [`${META_PREFIX}contentHash`]: active.contentHash };
    if (invalid !== undefined) return toolError(invalid, versionMeta);
    const call = await source.call(name, args, { taskId: request.taskId, ...(request.signal === undefined ? {} : { signal: request.signal }) });
    const meta = {
      [`${META_PREFIX}version`]: call.version ?? active.version,
      ...(call.version === active.version ? { [`${META_PREFIX}contentHash`]: active.contentHash } : {}),
      [`${META_PREFIX}durationMs`]: call.durationMs,
    };
    if (!call.ok) return toolError(call.error ?? { code: 'UNKNOWN', message: `${name} failed without saying why.` }, meta);
    const output = call.output ?? null;
    return {
      content: [{ type: 'text', text: JSON.stringify(output) }],
      ...(typeof output === 'object' && output !== null && !Array.isArray(output) ? { structuredContent: output } : {}),
      _meta: meta,
    };
  } catch (error) {
    return toolError(failureOf(error));
  }
}
