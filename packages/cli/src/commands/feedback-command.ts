import { ToolwrightError, jsonValueSchema, type FeedbackResult, type JsonValue } from '@toolwright/core';
import type { CommandContext, CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatJson } from '../output.js';
import { UsageError } from '../usage-error.js';

/** `toolwright feedback <callId> --expected <json> | --correct`. */
export const feedbackCommand: CommandDefinition = {
  path: ['feedback'],
  summary: "Report a tool call's answer wrong (--expected <json>) or right (--correct): it becomes a regression case and a correctness signal.",
  details: [
    'The call id is a tool call\'s callId, e.g. from `toolwright run --json` (toolCalls[].callId).',
    'A wrong answer is recorded as a WRONG_OUTPUT call of the version (the evaluator then asks for a rewrite);',
    'the expected output replaces any captured case for the same input. The call\'s input is read from the',
    'regression case stored for it (every served call is captured); give --input <json> when none is stored.',
    'A call counts once: feeding the same call id back as wrong again (from any process on the database)',
    'updates its case but records no second WRONG_OUTPUT ("signal: already recorded").',
  ].join('\n'),
  positionals: [{ name: 'callId' }],
  options: {
    expected: { type: 'string', valueName: '<json>', description: 'the output the call should have given, as JSON (e.g. 590.59 or \'{"total": 3}\')' },
    correct: { type: 'boolean', description: 'the answer was right: keep it as a case' },
    input: { type: 'string', valueName: '<json>', description: "the call's input as JSON, when no case stores it" },
    by: { type: 'string', valueName: '<person>', description: 'who gives the feedback (default: the OS user)' },
  },
  async run(context) {
    const callId = context.args['callId'] ?? '';
    const correct = context.options['correct'] === true;
    const expected = jsonOption(context, 'expected');
    const input = jsonOption(context, 'input');
    if (!correct && expected === undefined) throw new UsageError('give --expected <json> (the right answer) or --correct.', 'feedback');
    if (correct && expected !== undefined) throw new UsageError('--correct and --expected contradict each other; give one.', 'feedback');

    const toolwright = await context.open();
    try {
      const result = await toolwright.feedback(callId, {
        correct,
        ...(expected === undefined ? {} : { expected }),
        ...(input === undefined ? {} : { input }),
        by: context.person(),
      });
      if (context.json) context.stdout.write(formatJson(result));
      else {
        context.stdout.write(
          [
            `${result.tool} v${result.version}: marked ${result.correct ? 'right' : 'wrong'}`,
            result.case ? `case:    ${result.case.id} (expected ${JSON.stringify(result.case.expect.output)})` : 'case:    none',
            `signal:  ${SIGNAL_LINES[result.signal]}`,
          ].join('\n') + '\n',
        );
      }
      return EXIT_CODES.ok;
    } catch (error) {
      if (ToolwrightError.isInstance(error) && error.code === 'AGENT_CALL_UNKNOWN') {
        context.stderr.write(`toolwright feedback: ${error.message}\n`);
        return EXIT_CODES.notFound;
      }
      throw error;
    } finally {
      await toolwright.close();
    }
  },
};

/** The `signal:` line of the text output, per {@link FeedbackResult.signal}. */
const SIGNAL_LINES: Record<FeedbackResult['signal'], string> = {
  recorded: 'WRONG_OUTPUT recorded',
  'already-recorded': 'already recorded (this call was fed back as wrong before: no second WRONG_OUTPUT, nothing more toward a rollback)',
  none: 'none',
};

function jsonOption(context: CommandContext, name: string): JsonValue | undefined {
  const text = context.options[name];
  if (typeof text !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--${name} ${text.slice(0, 60)}: not valid JSON (${(error as Error).message}). Quote strings: --${name} '"text"'.`, 'feedback');
  }
  const checked = jsonValueSchema.safeParse(parsed);
  if (!checked.success) throw new UsageError(`--${name}: not a JSON value.`, 'feedback');
  return checked.data;
}
