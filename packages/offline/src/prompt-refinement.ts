import { ModelError, type GenerateResult, ZERO_USAGE } from '@toolwright/core';
import { z } from 'zod';

const patternsSchema = z.array(
  z.object({ tool: z.string(), code: z.string(), count: z.number(), share: z.number().optional(), example: z.string().optional() }).loose(),
);

/** A sentence for one recurring failure, chosen by its error code: the same trace gives the same hint. */
function hintFor(pattern: z.output<typeof patternsSchema>[number]): string {
  const { tool, code, count } = pattern;
  if (/INPUT|ARGUMENT|SCHEMA|REF/u.test(code)) return `Before calling ${tool}, check the input against its input schema (${count} calls failed with ${code}).`;
  if (/TIMEOUT|DEADLINE/u.test(code)) return `Give ${tool} smaller inputs and split large tasks (${count} calls timed out with ${code}).`;
  if (/OUTPUT|FORMAT|WRONG/u.test(code)) return `Check the shape of what ${tool} returns before using it (${count} calls failed with ${code}).`;
  return `When ${tool} fails with ${code}, do not call it again with the same input: read its error, change the input, or say you cannot (${count} calls failed).`;
}

/**
 * The offline model's answer to core's `prompt-refinement` request (`createPromptEvolver`):
 * deterministic, from the recurring error codes the request lists — one hint per pattern (at
 * most three), appended to the section. No prose is read but the JSON list of patterns.
 */
export function refinePrompt(modelId: string, messages: readonly { readonly role: string; readonly content: string }[]): GenerateResult {
  const user = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
  const listed = /Failure patterns: (\[.*\])\s*$/su.exec(user)?.[1];
  const parsed = listed === undefined ? undefined : patternsSchema.safeParse(JSON.parse(listed));
  if (parsed === undefined || !parsed.success || parsed.data.length === 0) {
    throw new ModelError('MODEL_UNSUPPORTED_REQUEST', `The offline model "${modelId}" answers a prompt-refinement request only from its "Failure patterns: [...]" list, and this request has none. Ask with createPromptEvolver of @toolwright/core.`);
  }
  const patterns = parsed.data.slice(0, 3);
  const object = {
    mode: 'append' as const,
    text: patterns.map(hintFor).join(' '),
    reason: `recurring ${patterns.map((pattern) => `${pattern.code} from ${pattern.tool}`).join(', ')}`,
  };
  return { text: JSON.stringify(object), toolCalls: [], finishReason: 'stop', usage: ZERO_USAGE, object };
}
