import type { JsonValue, Sandbox } from '@toolwright/core';
import { createSandbox } from '@toolwright/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeTool } from './synthesize-tool.js';
import { emitTypeScript } from './synthesis/emit-typescript.js';
import { evaluateProgram, jsonEqual } from './synthesis/semantics.js';
import { inferType, type ValueType } from './synthesis/value-type.js';
import { cheapestTwo, countOver, fareExamples, TASK_FARES, total } from './test-support/fares.js';
import { FARE_PROGRAM_ASTS, FARE_PROGRAMS, randomFareInput, seededRandom } from './test-support/programs.js';

/** Tests never depend on the machine's speed: the search's time budget is out of reach. */
const SLOW_MACHINE_SAFE = { timeBudgetMs: 600_000 };

/** The emitted TypeScript, compiled and run by the real sandbox (isolated-vm behind its worker). */
describe('emitted tools in the real sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = createSandbox({ timeoutMs: 5_000 });
  });
  afterAll(async () => {
    await sandbox.dispose();
  });

  it("pass the sandbox's static gate when the data's fields have host or prototype names", async () => {
    // A field named like a host global becomes a renamed variable; prototype names are never read.
    const examples = [
      { input: { process: [{ require: 2, constructor: 1 }, { require: 3, constructor: 1 }], constructor: 5 }, output: 5 },
      { input: { process: [{ require: 4, constructor: 9 }], constructor: 4 }, output: 4 },
    ];
    const result = synthesizeTool({ text: 'Total', input: { process: [{ require: 10, constructor: 0 }], constructor: 1 }, examples }, SLOW_MACHINE_SAFE);
    if (!result.ok) throw new Error(result.message);
    expect(result.program).toBe('sum(pluck(get($, "process"), "require"))');
    expect(result.spec.source).toContain('const processValue = input.process;');
    const compiled = await sandbox.compile({ name: result.spec.name, source: result.spec.source });
    const run = await sandbox.run(compiled, result.toolInput as JsonValue);
    expect(run).toMatchObject({ ok: true, value: 10 });
  });

  it('compile and reproduce the examples and the task answer of the representative fare tasks', async () => {
    const tasks = [
      { text: 'Total the fares', truth: total },
      { text: 'Count the fares over 300', truth: (fares: Parameters<typeof total>[0]) => countOver(fares, 300) },
      { text: 'Sum the cheapest two fares', truth: cheapestTwo },
    ];
    for (const task of tasks) {
      const result = synthesizeTool({ text: task.text, input: { fares: [...TASK_FARES] }, examples: fareExamples(task.truth) }, SLOW_MACHINE_SAFE);
      if (!result.ok) throw new Error(result.message);
      const compiled = await sandbox.compile({ name: result.spec.name, source: result.spec.source, language: 'ts', capabilities: [] });
      const runs = await sandbox.runMany(compiled, [...result.spec.examples.map((example) => example.input), result.toolInput as JsonValue]);
      const values = runs.map((run) => (run.ok ? run.value : run.error));
      expect(values).toEqual([...result.spec.examples.map((example) => example.output), task.truth(TASK_FARES)]);
    }
  });

  it('compute what the interpreter computes, for every operation, on generated inputs', async () => {
    const random = seededRandom(11);
    const inputs = Array.from({ length: 25 }, () => randomFareInput(random));
    const inputType = inferType(inputs) as ValueType;
    for (const [index, program] of FARE_PROGRAM_ASTS.entries()) {
      const source = emitTypeScript(program, { name: 'equivalence', inputType, summary: 's', provenance: 'p' });
      const compiled = await sandbox.compile({ name: 'equivalence', source });
      const runs = await sandbox.runMany(compiled, inputs);
      runs.forEach((run, inputIndex) => {
        const input = inputs[inputIndex] as JsonValue;
        let expected: JsonValue | undefined;
        try {
          expected = evaluateProgram(program, input);
        } catch {
          expected = undefined;
        }
        const label = `${FARE_PROGRAMS[index]} on ${JSON.stringify(input)}`;
        if (expected === undefined) {
          expect(run, label).toMatchObject({ ok: false, error: { code: 'THROWN' } });
        } else {
          expect(run.ok, label).toBe(true);
          if (run.ok) expect(jsonEqual(run.value, expected, { absolute: 0 }), label).toBe(true);
        }
      });
    }
  }, 60_000);
});
