/**
 * `@toolwright/sandbox` — interface only today. The types it will implement are re-exported
 * from `@toolwright/core`; the implementation lands with the sandbox issue. Nothing here pretends to work.
 *
 * @packageDocumentation
 */
export type {
  CompileRequest,
  CompiledTool,
  RunOptions,
  RunResult,
  Sandbox,
  SandboxFaultCode,
} from '@toolwright/core';
