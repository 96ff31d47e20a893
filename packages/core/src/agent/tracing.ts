import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { ToolwrightError } from '../errors.js';

/**
 * OpenTelemetry spans through `@opentelemetry/api` only: with no SDK registered they cost
 * nothing; with one, they follow the GenAI semantic conventions (`invoke_agent`,
 * `chat {model}`, `execute_tool {tool}`, `gen_ai.usage.*`).
 */
const TRACER_NAME = '@toolwright/core';

/** Runs `fn` inside an active span; records errors (with `error.type`) and always ends the span. */
export function inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { kind, attributes }, async (span) => {
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
}

export { SpanKind };
