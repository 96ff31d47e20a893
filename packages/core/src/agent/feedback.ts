import { z } from 'zod';
import type { ArtifactVersion } from '../artifact.js';
import { AgentError } from '../errors.js';
import { contentHash } from '../hash.js';
import { jsonValueSchema, type JsonValue } from '../json.js';
import { WRONG_OUTPUT_CODE, type Memory } from '../memory.js';
import type { RegistryReader } from '../registry.js';
import type { RegressionCase, RegressionRunner } from '../regression.js';
import { parseOrThrow } from '../validation.js';
import { parseCallId } from './call-id.js';
import type { Emit } from './events.js';
import type { NumericTolerance } from './output-match.js';
import type { ShadowComparer } from './shadow-comparison.js';
import type { ToolRunner } from './tool-runner.js';
import type { CallFeedback, FeedbackResult } from './types.js';

const feedbackSchema = z
  .object({
    correct: z.boolean(),
    expected: jsonValueSchema.optional(),
    input: jsonValueSchema.optional(),
    by: z.string().min(1).max(200).optional(),
  })
  .strict();

/** How many judged-wrong call ids one agent remembers to de-duplicate feedback. */
const MAX_JUDGED_CALLS = 10_000;

/** What {@link createFeedback} needs. */
export interface FeedbackDependencies {
  readonly toolRunner: Pick<ToolRunner, 'recall'>;
  readonly registry: Pick<RegistryReader, 'get'>;
  readonly memory: Pick<Memory, 'record'>;
  readonly regression: Pick<RegressionRunner, 'cases' | 'addCase' | 'recordFeedback'>;
  readonly shadow: Pick<ShadowComparer, 'judgedWrong'> | undefined;
  readonly tolerance: NumericTolerance;
  readonly emit: Emit;
  readonly now?: () => number;
}

/** Handles `agent.feedback`. */
export type FeedbackHandler = (callId: string, feedback: CallFeedback) => Promise<FeedbackResult>;

/**
 * Feedback on a call: the call is resolved from the agent's recent calls, else from its id
 * (tool, version, input hash) and the regression case stored for that input, else from the
 * input given with the feedback. A wrong answer is recorded as a `WRONG_OUTPUT` invocation of
 * the version (which the evaluator diagnoses as `wrong-output`) and counts toward the shadow
 * comparison's rollback when the previous version gives `expected`; `expected` (or, for a
 * correct answer, the output) becomes an explicit regression case, replacing a captured one.
 * Feedback is idempotent per call id: the same call marked wrong again stores the case again but
 * records no second `WRONG_OUTPUT` and adds nothing to the rollback count (`signal:
 * 'already-recorded'`, `wrongOutputRecorded: false`). The call ids judged wrong are kept where
 * the cases are (`regression.recordFeedback`), so this holds across agents and processes on the
 * same store; a runner without `recordFeedback` de-duplicates within this agent only (the last
 * 10,000 calls judged wrong).
 */
export function createFeedback(dependencies: FeedbackDependencies): FeedbackHandler {
  const { toolRunner, registry, memory, regression, shadow, tolerance, emit } = dependencies;
  const now = dependencies.now ?? Date.now;
  // The calls already judged wrong here (insertion order; the oldest forgotten past the bound):
  // the same call fed back again records no second WRONG_OUTPUT and counts once toward a rollback.
  const judgedWrong = new Set<string>();
  // The durable record (the regression store's unique key) decides first: another process may
  // have fed the same call back already.
  const rememberWrong = async (callId: string, version: ArtifactVersion): Promise<boolean> => {
    if (judgedWrong.has(callId)) return false;
    const first = regression.recordFeedback ? (await regression.recordFeedback({ callId, tool: version.name, version: version.version, at: now() })) === 'recorded' : true;
    judgedWrong.add(callId);
    if (judgedWrong.size > MAX_JUDGED_CALLS) judgedWrong.delete(judgedWrong.values().next().value as string);
    return first;
  };

  const resolve = async (callId: string, feedback: z.output<typeof feedbackSchema>): Promise<{ version: ArtifactVersion; input: JsonValue; output: JsonValue | undefined; from: FeedbackResult['resolvedFrom'] }> => {
    const recent = toolRunner.recall(callId);
    if (recent) return { version: recent.version, input: recent.input, output: recent.output, from: 'recent-call' };
    const parts = parseCallId(callId);
    if (!parts) throw new AgentError('AGENT_CALL_UNKNOWN', `"${callId.slice(0, 200)}" is not a tool call id. Use the callId of a tool call (result.toolCalls[i].callId, or the tool-called event).`, { details: { callId: callId.slice(0, 200) } });
    const version = await registry.get(parts.tool, parts.version);
    if (!version || version.kind !== 'tool') {
      throw new AgentError('AGENT_CALL_UNKNOWN', `The call ${callId} was served by ${parts.tool} v${parts.version}, which the registry does not hold.`, { details: { callId } });
    }
    if (feedback.input !== undefined) {
      if (contentHash(feedback.input) !== parts.inputHash) {
        throw new AgentError('AGENT_CALL_UNKNOWN', `The input given with the feedback is not the input of call ${callId} (its hash differs). Give the call's exact input.`, { details: { callId } });
      }
      return { version, input: feedback.input, output: undefined, from: 'given-input' };
    }
    const stored = (await regression.cases(parts.tool, { includeHeldOut: true })).find((entry) => contentHash(entry.input) === parts.inputHash);
    if (!stored) {
      throw new AgentError(
        'AGENT_CALL_UNKNOWN',
        `The call ${callId} is not among this agent's recent calls and no regression case holds its input. Give the input with the feedback (feedback.input, or --input on the command line).`,
        { details: { callId } },
      );
    }
    const output = stored.origin === 'captured' ? stored.expect.output : undefined;
    return { version, input: stored.input, output, from: 'stored-case' };
  };

  return async (callId, raw) => {
    const id = parseOrThrow(z.string().min(1).max(400), callId, 'call id');
    const feedback = parseOrThrow(feedbackSchema, raw, 'feedback');
    const { version, input, output, from } = await resolve(id, feedback);
    const expected = feedback.expected ?? (feedback.correct ? output : undefined);
    let stored: RegressionCase | undefined;
    if (expected !== undefined) {
      if (!regression.addCase) {
        throw new AgentError('AGENT_CALL_UNKNOWN', 'This regression runner cannot add cases (it has no addCase), so the expected output cannot be kept. Use @toolwright/regression.', { details: { callId: id } });
      }
      const relative = tolerance.relative ?? 0;
      const expect = { output: expected, ...(tolerance.absolute === undefined ? {} : { tolerance: tolerance.absolute }), ...(relative > 0 ? { relativeTolerance: relative } : {}) };
      stored = await regression.addCase({ tool: version.name, input, expect });
    }
    const firstWrong = !feedback.correct && (await rememberWrong(id, version));
    const signal: FeedbackResult['signal'] = feedback.correct ? 'none' : firstWrong ? 'recorded' : 'already-recorded';
    if (firstWrong) {
      memory.record({
        tool: version.name,
        version: version.version,
        startedAt: now(),
        durationMs: 0,
        outcome: {
          ok: false,
          error: {
            code: WRONG_OUTPUT_CODE,
            message: `a person${feedback.by === undefined ? '' : ` (${feedback.by})`} marked call ${id} wrong${expected === undefined ? '' : `; expected ${JSON.stringify(expected).slice(0, 200)}`}`.slice(0, 4000),
          },
        },
        inputHash: contentHash(input),
      });
      await shadow?.judgedWrong(version, input, feedback.expected);
    }
    emit({ type: 'feedback', callId: id, name: version.name, version: version.version, correct: feedback.correct, ...(stored ? { caseId: stored.id } : {}) });
    return { callId: id, tool: version.name, version: version.version, correct: feedback.correct, ...(stored ? { case: stored } : {}), wrongOutputRecorded: firstWrong, signal, resolvedFrom: from };
  };
}
