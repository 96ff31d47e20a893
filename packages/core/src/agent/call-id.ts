import { randomBytes } from 'node:crypto';

/**
 * A tool call's id, as the tool runner hands it out (`AgentToolCall.callId`, the `tool-called`
 * event): `<tool>.v<version>.<inputHash>.<nonce>`. It names the tool, the version that served
 * the call and the `contentHash` of its input, so feedback can be resolved after the process
 * that served the call has exited — the input is then read from the regression case stored
 * for that input hash (captured calls are cases) — and the nonce keeps two calls apart.
 */
export interface CallIdParts {
  readonly tool: string;
  readonly version: number;
  readonly inputHash: string;
}

const CALL_ID = /^([a-z][a-z0-9_]{0,63})\.v([1-9][0-9]{0,9})\.([0-9a-f]{64})\.([0-9a-f]{8,32})$/;

/** A new call id for one call. */
export function newCallId(parts: CallIdParts): string {
  return `${parts.tool}.v${parts.version}.${parts.inputHash}.${randomBytes(6).toString('hex')}`;
}

/** The parts of a call id, or `undefined` when `callId` is not one. */
export function parseCallId(callId: string): CallIdParts | undefined {
  const match = CALL_ID.exec(callId);
  if (!match) return undefined;
  return { tool: match[1] as string, version: Number(match[2]), inputHash: match[3] as string };
}
