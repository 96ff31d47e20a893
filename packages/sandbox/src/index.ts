/**
 * `@toolwright/sandbox`: runs untrusted, agent-written tool code in isolated-vm isolates
 * inside supervised worker processes, with hard limits, a static gate, a hardened guest
 * global, and capabilities granted per sandbox and requested per tool (deny by default).
 *
 * @packageDocumentation
 */
export { createSandbox } from './create-sandbox.js';
export type { IsolatedCompileRequest, IsolatedSandbox } from './create-sandbox.js';
export type { ToolIsolation } from './protocol.js';
export { DEFAULT_ISOLATED_VM_MODULES, sandboxCapabilitiesSchema, sandboxOptionsSchema } from './options.js';
export type { ResolvedSandboxOptions, SandboxOptions } from './options.js';
export type { PoolStats as SandboxStats } from './host/worker-pool.js';
export { checkStaticGate, MAX_BRACKET_DEPTH, MAX_SYNTAX_DEPTH, STATIC_GATE_RULES } from './compile/static-gate.js';
export type { StaticGateOptions, StaticGateResult, StaticGateRule, StaticGateViolation } from './compile/static-gate.js';
export type {
  CompileRequest,
  CompiledTool,
  RunOptions,
  RunResult,
  Sandbox,
  SandboxFaultCode,
} from '@toolwright/core';
