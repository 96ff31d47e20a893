import type { Attributes, AttributeValue, Span, SpanKind, SpanStatus, Tracer } from '@opentelemetry/api';

/** A span the recording tracer finished. */
export interface RecordedSpan {
  readonly name: string;
  readonly kind: SpanKind | undefined;
  readonly attributes: Attributes;
  status: SpanStatus | undefined;
  /** The name of the span active when this one started. */
  readonly parent: string | undefined;
  ended: boolean;
}

/**
 * Test support: a tracer that records spans and tracks the active one in a stack (enough for
 * awaited, nested work). Core depends on `@opentelemetry/api` only, so it cannot use the SDK's
 * in-memory exporter; the umbrella package tests with the real SDK.
 */
export class RecordingTracer {
  readonly spans: RecordedSpan[] = [];
  readonly #active: RecordedSpan[] = [];

  readonly tracer = {
    startActiveSpan: <T>(name: string, options: { kind?: SpanKind; attributes?: Attributes }, fn: (span: Span) => T): T => {
      const recorded: RecordedSpan = { name, kind: options.kind, attributes: { ...options.attributes }, status: undefined, parent: this.#active.at(-1)?.name, ended: false };
      this.spans.push(recorded);
      const span = {
        setAttribute: (key: string, value: AttributeValue) => {
          recorded.attributes[key] = value;
          return span;
        },
        setAttributes: (attributes: Attributes) => {
          Object.assign(recorded.attributes, attributes);
          return span;
        },
        setStatus: (status: SpanStatus) => {
          recorded.status = status;
          return span;
        },
        end: () => {
          recorded.ended = true;
          this.#active.splice(this.#active.indexOf(recorded), 1);
        },
      } as unknown as Span;
      this.#active.push(recorded);
      return fn(span);
    },
  } as unknown as Tracer;
}
