import { SandboxError } from '../../errors.js';
import type { JsonValue } from '../../json.js';
import type { CompiledTool, CompileRequest, RunResult, Sandbox } from '../../sandbox.js';

type ToolFunction = (input: JsonValue) => JsonValue | Promise<JsonValue>;

/**
 * Test support: a sandbox without isolation, for core's own tests (core cannot depend on
 * `@toolwright/sandbox`). Sources are plain JavaScript modules whose `export default` is the
 * tool; `eval` is refused like the real static gate refuses it. Never use it for untrusted code.
 */
export class InMemorySandbox implements Sandbox {
  readonly compiled: string[] = [];
  readonly runs: { readonly name: string; readonly input: JsonValue }[] = [];
  readonly #tools = new Map<string, { name: string; run: ToolFunction }>();
  #next = 0;

  async compile(request: CompileRequest): Promise<CompiledTool> {
    if (/\beval\s*\(/.test(request.source)) throw new SandboxError('SANDBOX_STATIC_GATE', `${request.name}: eval is not allowed.`);
    if (!/export\s+default/.test(request.source)) throw new SandboxError('SANDBOX_NO_DEFAULT_EXPORT', `${request.name} has no default export.`);
    const body = request.source.replace(/export\s+default/, 'return ');
    const run = new Function(body)() as ToolFunction;
    const codeHash = `code-${this.#next++}`;
    this.#tools.set(codeHash, { name: request.name, run });
    this.compiled.push(request.name);
    return { name: request.name, codeHash, capabilities: request.capabilities ?? [] };
  }

  async run(tool: CompiledTool, input: JsonValue): Promise<RunResult> {
    const entry = this.#tools.get(tool.codeHash);
    if (!entry) throw new SandboxError('SANDBOX_DISPOSED', 'unknown handle');
    this.runs.push({ name: entry.name, input });
    try {
      const value = await entry.run(input);
      if (typeof value === 'number' && !Number.isFinite(value)) return { ok: false, error: { code: 'INVALID_OUTPUT', message: 'not JSON' }, durationMs: 1, logs: [] };
      return { ok: true, value, durationMs: 1, logs: [] };
    } catch (error) {
      return { ok: false, error: { code: 'THROWN', message: error instanceof Error ? error.message : String(error) }, durationMs: 1, logs: [] };
    }
  }

  async runMany(tool: CompiledTool, inputs: readonly JsonValue[]): Promise<RunResult[]> {
    const results: RunResult[] = [];
    for (const input of inputs) results.push(await this.run(tool, input));
    return results;
  }

  async dispose(): Promise<void> {
    this.#tools.clear();
  }
}
