import { z } from 'zod';
import { exampleToleranceSchema, toolExampleSchema } from '../artifact.js';
import { jsonValueSchema } from '../json.js';
import { userIdSchema } from '../preferences.js';

/** zod schema of `agent.run`'s options (the schema and the signal apart). */
export const runOptionsSchema = z
  .object({
    input: jsonValueSchema.optional(),
    examples: z.array(toolExampleSchema).optional(),
    tolerance: exampleToleranceSchema.optional(),
    tools: z.enum(['auto', 'none']).default('auto'),
    taskId: z.string().min(1).max(200).optional(),
    userId: userIdSchema.optional(),
    taskType: z.string().trim().min(1).max(200).optional(),
    timeoutMs: z.number().int().positive().max(86_400_000).optional(),
  })
  .strict();
/** `agent.run`'s options, parsed. */
export type ParsedRunOptions = z.output<typeof runOptionsSchema>;
