import type { Message, RepairTransform } from '@toolwright/core';
import type { CheckedRewriteRequest } from './rewrite-request.js';

/** How much evidence goes into a prompt. */
export interface PromptLimits {
  readonly maxRecentErrors: number;
  readonly maxFailingInputs: number;
  readonly maxCases: number;
  /** Longest JSON shown for one input or output, in characters. */
  readonly maxValueLength: number;
}

const SYSTEM = [
  'You repair one tool of a Toolwright agent: a measured problem was diagnosed, and you write the next version of its source.',
  'A tool is an ES module whose default export takes one JSON argument and returns a JSON value, or a Promise of one.',
  'It runs in a sandbox: no import or require, no process, no eval or Function, no dynamic import, no changes to globalThis.',
  'It may use only the capabilities its spec lists (fetch to the listed origins), and setTimeout for waiting.',
  "Rules: keep the tool's name and input schema exactly as they are, and repeat them unchanged in your answer;",
  'change only what fixes the diagnosed problem and keep every behaviour that works; the same input must give the same output as before wherever the current version is right.',
  'Answer with one JSON object: {"name", "inputSchema", "source" (the whole new module), "reason" (one or two sentences on what you changed and why), "description" (optional, only if the description must change)}.',
  'When the request lists deterministic transforms, you may instead answer {"transforms": [their names], "reason"}: they are written into the current source for you, as tested code.',
].join('\n');

/**
 * The conversation for a first attempt: instructions, then the tool, its problem, the
 * evidence, and the deterministic transforms that apply to its source (the model may name
 * those instead of writing source).
 */
export function rewriteMessages(request: CheckedRewriteRequest, limits: PromptLimits, transforms: readonly RepairTransform[] = []): Message[] {
  const { artifact, diagnosis, evidence } = request;
  const spec = artifact.spec;
  const lines: string[] = [];
  lines.push(`## Tool "${artifact.name}" (version ${artifact.version})`);
  lines.push(`Description: ${spec.description}`);
  lines.push(`Language: ${spec.language === 'ts' ? 'TypeScript (types are stripped before it runs)' : 'JavaScript'}`);
  lines.push(`Capabilities: ${spec.capabilities.length === 0 ? 'none' : JSON.stringify(spec.capabilities)}`);
  lines.push(`Input schema (keep it exactly): ${JSON.stringify(spec.inputSchema)}`);
  if (spec.examples.length > 0) {
    lines.push('Examples from the spec:');
    for (const example of spec.examples.slice(0, limits.maxCases)) lines.push(`- ${show(example.input, limits)} → ${show(example.output, limits)}`);
  }
  lines.push('', '## Current source', '```' + (spec.language === 'ts' ? 'ts' : 'js'), artifact.source, '```');

  lines.push('', '## Diagnosis');
  lines.push(`Status ${diagnosis.status}, score ${diagnosis.score.toFixed(2)} over ${diagnosis.sampleSize} calls${diagnosis.needsRewrite ? ', rewrite needed' : ''}.`);
  if (diagnosis.components.length > 0) {
    lines.push(`Components: ${diagnosis.components.map((component) => `${component.name} ${component.value.toFixed(2)} (weight ${component.weight})`).join(', ')}.`);
  }
  for (const reason of diagnosis.reasons) lines.push(`- ${reason.kind}: ${reason.message}`);

  if (evidence.recentErrors.length > 0) {
    lines.push('', `## Recent errors (${Math.min(evidence.recentErrors.length, limits.maxRecentErrors)} of ${evidence.recentErrors.length})`);
    for (const error of evidence.recentErrors.slice(0, limits.maxRecentErrors)) lines.push(`- ${error.code}: ${truncate(error.message, limits.maxValueLength)}`);
  }
  if (evidence.failingInputs.length > 0) {
    lines.push('', `## Inputs on which the current version failed (${Math.min(evidence.failingInputs.length, limits.maxFailingInputs)} of ${evidence.failingInputs.length})`);
    for (const input of evidence.failingInputs.slice(0, limits.maxFailingInputs)) lines.push(`- ${show(input, limits)}`);
  }
  if (evidence.cases.length > 0) {
    lines.push('', `## Cases the new version must pass (${Math.min(evidence.cases.length, limits.maxCases)} of ${evidence.cases.length})`);
    for (const entry of evidence.cases.slice(0, limits.maxCases)) {
      const expected: string[] = [];
      if (entry.expect.output !== undefined) expected.push(`output ${show(entry.expect.output, limits)}${entry.expect.tolerance ? ` (±${entry.expect.tolerance})` : ''}`);
      if (entry.expect.schema !== undefined) expected.push(`output matching ${show(entry.expect.schema, limits)}`);
      if (entry.expect.maxLatencyMs !== undefined) expected.push(`within ${entry.expect.maxLatencyMs} ms`);
      lines.push(`- ${show(entry.input, limits)} → ${expected.join(', ')}`);
    }
  }
  if (transforms.length > 0) {
    lines.push('', '## Deterministic transforms that apply to this source');
    for (const transform of transforms) lines.push(`- ${transform.name}: ${transform.description}.`);
    lines.push('', 'Write the next version, or name the transforms that fix the diagnosed problem.');
  } else {
    lines.push('', 'Write the next version.');
  }
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: lines.join('\n') },
  ];
}

/** What the model is told after a refused answer: why, and to answer again in full. */
export function refusalMessages(previousAnswer: string, reason: string): Message[] {
  return [
    { role: 'assistant', content: previousAnswer === '' ? '(no answer)' : truncate(previousAnswer, 20_000) },
    {
      role: 'user',
      content: `That answer was refused: ${reason}\nAnswer again with the whole JSON object, fixing exactly this.`,
    },
  ];
}

function show(value: unknown, limits: PromptLimits): string {
  return truncate(JSON.stringify(value) ?? 'undefined', limits.maxValueLength);
}

function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}
