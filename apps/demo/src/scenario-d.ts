import { ZERO_USAGE, type GenerateRequest, type GenerateResult, type LanguageModel, type ToolManifest } from '@toolwright/core';
import { createToolwright, offlineModel, type Toolwright } from 'toolwright';

/** One row of scenario D's before/after table: a phase, the arm that served it, and its success rate. */
export interface EvolutionRow {
  readonly phase: string;
  readonly arm: string;
  readonly version: number;
  readonly runs: number;
  readonly successRate: number;
}

/** Everything scenario D showed. */
export interface EvolutionReport {
  readonly rows: readonly EvolutionRow[];
  /** The dominant failure pattern batch reflection named, with its share. */
  readonly dominant: string;
  readonly refinement: string;
  /** What the canary's controller did at the look that decided (the widening held for a person, with the figures). */
  readonly canaryOutcome: string;
  /** The requests a person approved: the refinement, then the canary's widening. */
  readonly approvals: readonly string[];
  /** The gate's answer to a variant that drops the protected disclaimer. */
  readonly protectedDenial: string;
  /** Tokens of the prompt the model saw, before and after the refinement. */
  readonly promptTokens: { readonly before: number; readonly after: number };
}

const DATE_SPEC: ToolManifest = {
  name: 'parse_date',
  description: 'Parses an ISO date (YYYY-MM-DD) into year, month and day.',
  inputSchema: { type: 'object', properties: { date: { type: 'string' } }, required: ['date'] },
  language: 'ts',
  capabilities: [],
  examples: [{ input: { date: '2024-05-06' }, output: { year: 2024, month: 5, day: 6 } }],
};
const PARSE_DATE =
  "export default function parseDate({ date }: { date: string }) {\n  const match = /^(\\d{4})-(\\d{2})-(\\d{2})$/.exec(date);\n  if (!match) throw new Error('unexpected format: ' + date + ' (expected YYYY-MM-DD)');\n  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };\n}\n";
const HINTS = 'Use the tools for every date. I may be mistaken.';

/** The i-th task's date: every third one written day/month/year, the rest ISO. */
function dateOf(index: number): string {
  const day = String((index % 27) + 1).padStart(2, '0');
  const month = String((index % 12) + 1).padStart(2, '0');
  return index % 3 === 0 ? `${day}/${month}/2024` : `2024-${month}-${day}`;
}

/**
 * A stand-in for a model that follows its system prompt, deterministic so the demo runs
 * offline: it calls parse_date with the date as written, unless a tool-use hint about
 * parse_date is in its prompt, in which case it rewrites a day/month/year date as ISO first.
 * Prompt-refinement requests go to the real offline model (`@toolwright/offline`), which
 * answers them from the recurring error codes.
 */
function promptFollowingModel(): LanguageModel {
  const offline = offlineModel();
  return {
    specificationVersion: 'toolwright.model.v1',
    provider: 'demo',
    modelId: 'prompt-following-demo',
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      if (request.responseSchema !== undefined) return offline.generate(request);
      const system = request.messages[0]?.content ?? '';
      const lastTool = [...request.messages].reverse().find((message) => message.role === 'tool');
      if (lastTool !== undefined) {
        const failed = 'isError' in lastTool && lastTool.isError === true;
        return { text: failed ? 'I cannot parse this date.' : lastTool.content, toolCalls: [], finishReason: 'stop', usage: ZERO_USAGE };
      }
      const date = /date (\S+)/.exec(request.messages[1]?.content ?? '')?.[1] ?? '';
      const hinted = /parse_date/.test(system.split('Learned rules:')[0] ?? '');
      const dmy = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(date);
      const input = hinted && dmy ? `${dmy[3]}-${dmy[2]}-${dmy[1]}` : date;
      return { text: '', toolCalls: [{ id: 'call-1', name: 'parse_date', input: { date: input } }], finishReason: 'tool-calls', usage: ZERO_USAGE };
    },
  };
}

async function runTasks(tw: Toolwright, from: number, count: number): Promise<{ arms: Map<string, { version: number; runs: number; successes: number }>; tokens: number }> {
  const arms = new Map<string, { version: number; runs: number; successes: number }>();
  let tokens = 0;
  for (let task = from; task < from + count; task++) {
    const result = await tw.run(`Parse the date ${dateOf(task)}`, { taskId: `date-task-${task}` });
    const section = result.prompt?.sections.find((entry) => entry.name === 'tool-hints');
    const arm = section?.arm ?? 'all traffic';
    const figures = arms.get(arm) ?? { version: section?.version ?? 0, runs: 0, successes: 0 };
    arms.set(arm, { ...figures, runs: figures.runs + 1, successes: figures.successes + (result.verification.status === 'verified' ? 1 : 0) });
    tokens = result.prompt?.tokens ?? tokens;
  }
  await tw.rollout.flush();
  return { arms, tokens };
}

const rowsOf = (phase: string, arms: Map<string, { version: number; runs: number; successes: number }>): EvolutionRow[] =>
  [...arms.entries()].map(([arm, figures]) => ({ phase, arm, version: figures.version, runs: figures.runs, successRate: figures.runs === 0 ? 0 : figures.successes / figures.runs }));

/**
 * Scenario D — prompt evolution, offline, on an in-memory database of its own: runs fail on
 * dates written day/month/year; batch reflection names the pattern and its share; the offline
 * model proposes a tool-use hint for the evolvable section `tool-hints` through the gate, where it
 * waits for a person; approved, it runs as a canary arm against the text it replaced; on measured
 * benefit its widening goes through the gate to the person, and then it serves every run; a
 * variant that drops the protected disclaimer is denied.
 */
export async function runPromptEvolution(progress: (line: string) => void): Promise<EvolutionReport> {
  const tw = await createToolwright({
    database: 'sqlite::memory:',
    model: promptFollowingModel(),
    improve: false,
    reflect: false,
    serveKnownTasks: false,
    shadow: false,
    instructions: { immutable: [{ name: 'safety', text: 'Never invent a date the user did not give.' }] },
    evolution: { sections: [{ name: 'tool-hints', text: HINTS }], experiment: { canaryShare: 0.5, steps: [1] } },
    policy: { protectedPhrases: [{ id: 'disclaimer', text: 'I may be mistaken.' }] },
    rollout: { tickMs: 0, flushIntervalMs: 0 },
  });
  try {
    const installed = await tw.gate.propose({ kind: 'create-tool', origin: 'person', name: 'parse_date', spec: DATE_SPEC, source: PARSE_DATE }, { by: 'demo-operator', reason: 'installed by the demo' });
    if (installed.status !== 'applied') throw new Error(`installing parse_date failed: ${installed.summary}`);
    const before = await runTasks(tw, 0, 90);
    await tw.memory.flush();
    const evolution = tw.evolution;
    if (evolution === undefined) throw new Error('evolution is not wired');
    const step = await evolution.refine();
    const dominant = step.reflection.dominant?.description ?? 'no failure';
    progress(`    batch reflection over ${step.reflection.calls} calls: ${dominant}`);
    if (step.refinement.status !== 'proposed' || step.refinement.outcome.status !== 'queued') {
      throw new Error(`the refinement was not proposed for a person: ${step.refinement.status === 'proposed' ? step.refinement.outcome.summary : step.refinement.reason}`);
    }
    const approvalId = step.refinement.outcome.approvalId;
    const refinement = step.refinement.answer.text;
    progress(`    refinement of tool-hints (v${step.refinement.outcome.version?.version ?? '?'}, waiting for a person as ${approvalId}): ${refinement}`);
    const approved = await tw.approve(approvalId, { by: 'demo-reviewer', note: 'a specific hint for the recurring failure' });
    if (approved.status !== 'applied') throw new Error(`approving ${approvalId} failed: ${approved.summary}`);
    progress('    approved by demo-reviewer: v2 is in force and runs as a canary at 50 % of the runs against v1');
    const canaryArms = new Map<string, { version: number; runs: number; successes: number }>();
    let canaryOutcome = '';
    for (let look = 0, task = 1000; look < 20; look++, task += 40) {
      const batch = await runTasks(tw, task, 40);
      for (const [arm, figures] of batch.arms) {
        const sum = canaryArms.get(arm) ?? { version: figures.version, runs: 0, successes: 0 };
        canaryArms.set(arm, { version: figures.version, runs: sum.runs + figures.runs, successes: sum.successes + figures.successes });
      }
      const [decided] = await tw.experiments.tick();
      if (decided !== undefined && decided.action !== 'none') canaryOutcome = `${decided.action}: ${decided.reason}`;
      // Held for lack of measured benefit (which task ids land in which arm is random): look again
      // after more runs; held because the widening waits for a person: that is the next step.
      if ((await tw.policy.approvals.list({ status: 'proposed', name: 'tool-hints' })).length > 0) break;
    }
    progress(`    canary: ${canaryOutcome.slice(0, 160)}`);
    const [widening] = await tw.policy.approvals.list({ status: 'proposed', name: 'tool-hints' });
    if (widening === undefined) throw new Error(`the canary proposed no widening: ${canaryOutcome}`);
    const widened = await tw.approve(widening.id, { by: 'demo-reviewer', note: 'measured benefit on task success' });
    if (widened.status !== 'applied') throw new Error(`approving ${widening.id} failed: ${widened.summary}`);
    const [done] = await tw.experiments.tick();
    progress(`    widening approved; the canary is ${done?.experiment.status ?? 'over'}; tool-hints v${(await tw.registry.active('tool-hints'))?.version ?? '?'} serves every run`);
    const after = await runTasks(tw, 5000, 90);
    const denied = await tw.gate.propose(
      { kind: 'change-prompt-section', origin: 'agent', name: 'tool-hints', fromVersion: (await tw.registry.active('tool-hints'))?.version, text: `Use the tools for every date. ${refinement}` },
      { reason: 'a shorter variant without the disclaimer' },
    );
    progress(`    a variant without the disclaimer: ${denied.status}`);
    return {
      rows: [...rowsOf('before', before.arms), ...rowsOf('canary', canaryArms).sort((a, b) => a.version - b.version), ...rowsOf('after widening', after.arms)],
      dominant,
      refinement,
      canaryOutcome,
      approvals: [approvalId, widening.id],
      protectedDenial: `${denied.status}: ${denied.summary}`,
      promptTokens: { before: before.tokens, after: after.tokens },
    };
  } finally {
    await tw.close();
  }
}
