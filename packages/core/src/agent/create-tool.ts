import type { ToolDefinition } from '../model.js';

/** The name of the meta-tool through which a model authors a tool. */
export const CREATE_TOOL = 'create_tool';

/**
 * The meta-tool every model sees beside the active tools. Its argument is a tool spec; the
 * agent takes it through the one gate (policy → sandbox → examples as regression cases →
 * registry → promotion or approval) before the tool can be called.
 *
 * The schema shown to the model is a compact hand-written one (about 150 tokens, sent on every
 * turn, against 520 for the full schema): the agent validates the argument with
 * `toolSpecSchema` itself and answers what is wrong, field by field.
 */
export const createToolDefinition: ToolDefinition = {
  name: CREATE_TOOL,
  description:
    'Write a tool. Callable once it passes its examples and the policy allows it.',
  inputSchema: {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'snake_case' },
      description: { type: 'string' },
      inputSchema: { type: 'object', description: 'JSON Schema of its object argument' },
      source: { type: 'string', description: 'TypeScript module, code only: export default (argument) => JSON' },
      capabilities: { type: 'array', items: { type: 'object' }, description: 'network only: [{"kind":"fetch","origins":[…]}]' },
      examples: { type: 'array', items: { type: 'object' }, description: '[{"input","output"}]; default: the task\'s' },
    },
    required: ['name', 'description', 'inputSchema', 'source'],
  },
};
