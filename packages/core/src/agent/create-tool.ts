import { z } from 'zod';
import { toolSpecSchema } from '../artifact.js';
import type { JsonSchema } from '../json.js';
import type { ToolDefinition } from '../model.js';

/** The name of the meta-tool through which a model authors a tool. */
export const CREATE_TOOL = 'create_tool';

/**
 * The meta-tool every model sees beside the active tools. Its argument is a tool spec; the
 * agent takes it through the one gate (policy → sandbox → examples as regression cases →
 * registry → promotion or approval) before the tool can be called.
 */
export const createToolDefinition: ToolDefinition = {
  name: CREATE_TOOL,
  description:
    'Write a new tool when no existing tool fits. Give a snake_case name, a description, the JSON Schema of its ' +
    'single object argument, TypeScript source (an ES module whose default export takes that argument and returns ' +
    'a JSON value), the capabilities it needs (none for pure computation), and at least one example of input and ' +
    'expected output. The tool becomes callable once it passes its examples and the safety policy allows it.',
  inputSchema: stripSchemaKeyword(z.toJSONSchema(toolSpecSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema),
};

function stripSchemaKeyword(schema: JsonSchema): JsonSchema {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}
