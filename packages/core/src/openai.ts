/**
 * `@toolwright/core/openai`: a `LanguageModel` over any OpenAI-compatible server, through the
 * `openai` client. A subpath of its own, so that a process that only reads the spec (the
 * registry, the CLI's read commands) never loads the client.
 *
 * @example
 * ```ts
 * import { openaiModel } from '@toolwright/core/openai';
 *
 * const model = openaiModel({ model: 'gpt-4o-mini' }); // reads OPENAI_API_KEY
 * ```
 *
 * @packageDocumentation
 */
export { openaiModel } from './providers/openai-model.js';
export type { OpenAIModelOptions } from './providers/openai-model.js';
