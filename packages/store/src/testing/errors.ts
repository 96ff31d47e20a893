import { ToolwrightError } from '@toolwright/core';

/** The Toolwright error `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function caught(promise: Promise<unknown>): Promise<ToolwrightError> {
  try {
    await promise;
  } catch (error) {
    if (ToolwrightError.isInstance(error)) return error;
    throw new Error(`expected a ToolwrightError, got: ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The Toolwright error `run` throws synchronously. */
export function thrown(run: () => unknown): ToolwrightError {
  try {
    run();
  } catch (error) {
    if (ToolwrightError.isInstance(error)) return error;
    throw new Error(`expected a ToolwrightError, got: ${String(error)}`, { cause: error });
  }
  throw new Error('expected an error, but nothing was thrown');
}
