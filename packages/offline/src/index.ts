/**
 * `@toolwright/offline`: a `LanguageModel` that needs no network and spends no tokens. It is
 * not a language model but a deterministic engine: it writes tools from examples by
 * searching compositions of typed primitives, reuses the tools it wrote, and says plainly
 * when it cannot solve a task.
 *
 * @packageDocumentation
 */

export { offlineModel } from './offline-model.js';
export type { OfflineModelEvent, OfflineModelOptions } from './offline-model.js';

export { synthesizeTool } from './synthesize-tool.js';
export type { SynthesisFailureReason, SynthesisOptions, SynthesisResult } from './synthesize-tool.js';

export { SYNTHESIS_DEFAULTS } from './options.js';
export type { SynthesisLimits } from './options.js';
