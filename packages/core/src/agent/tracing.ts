import { SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { ArtifactVersion } from '../artifact.js';
import { ToolwrightError } from '../errors.js';
import type { GenerateResult, LanguageModel } from '../model.js';
import type { AgentRunResult, AgentToolCall } from './types.js';

/**
 * OpenTelemetry spans through `@opentelemetry/api` only: with no SDK registered they cost
 * nothing; with one, they follow the GenAI semantic conventions (`invoke_agent`,
 * `chat {model}`, `execute_tool {tool}`, `gen_ai.usage.*`).
 */
const TRACER_NAME = '@toolwright/core';

/** The spans the agent opens, one method per kind of work. */
export interface AgentTracing {
  /** `invoke_agent toolwright` around a whole run; records the run's tokens and tools. */
  invokeAgent(model: LanguageModel, run: () => Promise<AgentRunResult>): Promise<AgentRunResult>;
  /** `chat {model}` around one model turn; records its usage and finish reason. */
  chat(model: LanguageModel, generate: () => Promise<GenerateResult>): Promise<GenerateResult>;
  /** `execute_tool {tool}` around one tool call; a failed call gets `error.type`. */
  executeTool(version: ArtifactVersion, callId: string, execute: () => Promise<AgentToolCall>): Promise<AgentToolCall>;
}

/** Options of {@link createTracing}. */
export interface TracingOptions {
  /** The tracer to use; default the global provider's tracer for `@toolwright/core`, looked up per span (so a provider registered later is used). */
  readonly tracer?: () => Tracer;
}

/** The agent's spans over a tracer. */
export function createTracing(options: TracingOptions = {}): AgentTracing {
  const tracer = options.tracer ?? (() => trace.getTracer(TRACER_NAME));
  const inSpan = <T>(name: string, kind: SpanKind, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> =>
    tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.setAttribute('error.type', ToolwrightError.isInstance(error) ? error.code : error instanceof Error ? error.name : 'unknown');
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    });

  return {
    invokeAgent: (model, run) =>
      inSpan('invoke_agent toolwright', SpanKind.INTERNAL, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'toolwright', 'gen_ai.request.model': model.modelId }, async (span) => {
        const result = await run();
        span.setAttributes({
          'gen_ai.conversation.id': result.taskId,
          'gen_ai.usage.input_tokens': result.tokens.input,
          'gen_ai.usage.output_tokens': result.tokens.output,
          'toolwright.tools.created': result.createdTools.length,
          'toolwright.tools.reused': result.reusedTools.length,
        });
        return result;
      }),
    chat: (model, generate) =>
      inSpan(`chat ${model.modelId}`, SpanKind.CLIENT, { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': model.provider, 'gen_ai.request.model': model.modelId }, async (span) => {
        const generated = await generate();
        span.setAttributes({
          'gen_ai.usage.input_tokens': generated.usage.inputTokens,
          'gen_ai.usage.output_tokens': generated.usage.outputTokens,
          'gen_ai.response.finish_reasons': [generated.finishReason],
        });
        return generated;
      }),
    executeTool: (version, callId, execute) =>
      inSpan(
        `execute_tool ${version.name}`,
        SpanKind.INTERNAL,
        {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': version.name,
          'gen_ai.tool.call.id': callId,
          'gen_ai.tool.type': 'function',
          'toolwright.tool.version': version.version,
        },
        async (span) => {
          const result = await execute();
          if (!result.ok) span.setAttribute('error.type', result.error?.code ?? 'unknown');
          return result;
        },
      ),
  };
}
