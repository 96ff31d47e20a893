import { z } from 'zod';
import { ModelError } from './errors.js';
import { explainIssues } from './validation.js';
import type { JsonSchema } from './json.js';
import type { LanguageModel, Message, ResponseSchema, TokenUsage } from './model.js';
import type { RepairContext } from './repair.js';

/**
 * A {@link ResponseSchema} from a zod schema: its JSON Schema, named.
 *
 * @example
 * ```ts
 * const answer = zodResponseSchema('answer', z.object({ total: z.number() }));
 * ```
 */
export function zodResponseSchema(name: string, schema: z.ZodType, description?: string): ResponseSchema {
  const jsonSchema = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  return description === undefined ? { name, schema: jsonSchema } : { name, schema: jsonSchema, description };
}

/** What {@link generateObject} needs. */
export interface GenerateObjectRequest<S extends z.ZodType> {
  readonly messages: readonly Message[];
  readonly schema: S;
  /** Names the schema for the model; default `answer`. */
  readonly name?: string;
  readonly description?: string;
  readonly temperature?: number;
  readonly signal?: AbortSignal;
  /** Passed on as `GenerateRequest.repair`, for models that read a rewrite request as data. */
  readonly repair?: RepairContext;
}

/**
 * Structured output from a zod schema: asks the model for JSON matching the schema, then
 * validates the answer with zod. A model that answers something else fails with
 * `MODEL_INVALID_RESPONSE` listing what did not match — it is never passed on unchecked.
 *
 * @example
 * ```ts
 * const { object, usage } = await generateObject(model, {
 *   messages: [{ role: 'user', content: 'Total these fares: 229.92, 360.67' }],
 *   schema: z.object({ total: z.number() }),
 * });
 * object.total; // number
 * ```
 */
export async function generateObject<S extends z.ZodType>(
  model: LanguageModel,
  request: GenerateObjectRequest<S>,
): Promise<{ object: z.output<S>; text: string; usage: TokenUsage }> {
  const name = request.name ?? 'answer';
  const result = await model.generate({
    messages: request.messages,
    responseSchema: zodResponseSchema(name, request.schema, request.description),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
    ...(request.repair === undefined ? {} : { repair: request.repair }),
  });
  let candidate: unknown = result.object;
  if (candidate === undefined) {
    try {
      candidate = JSON.parse(result.text);
    } catch (error) {
      throw new ModelError('MODEL_INVALID_RESPONSE', `Model "${model.modelId}" was asked for "${name}" as JSON but answered text that is not JSON.`, {
        cause: error,
        details: { text: result.text.slice(0, 2000), usage: result.usage },
      });
    }
  }
  const parsed = request.schema.safeParse(candidate);
  if (!parsed.success) {
    throw new ModelError(
      'MODEL_INVALID_RESPONSE',
      `Model "${model.modelId}" answered JSON that does not match "${name}":\n${explainIssues(parsed.error)}`,
      { details: { text: result.text.slice(0, 2000), usage: result.usage } },
    );
  }
  return { object: parsed.data, text: result.text, usage: result.usage };
}
