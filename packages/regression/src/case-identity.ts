import { type JsonValue, contentHash, sha256 } from '@toolwright/core';

/** The input hash of a case: the same `contentHash` memory records for an invocation's input. */
export function inputHashOf(input: JsonValue): string {
  return contentHash(input);
}

/** A case's id: stable for one tool and one input, so the same input never becomes two cases. */
export function caseIdOf(tool: string, inputHash: string): string {
  return `case_${sha256(`${tool}\n${inputHash}`).slice(0, 24)}`;
}

/**
 * Whether a captured case is held out: a hash of its id, read as a number in [0, 1), falls
 * below `share`. Stable (the same case always lands on the same side) and stored with the
 * case, so changing `share` later never moves a case a rewriter has already seen.
 */
export function isHeldOut(caseId: string, share: number): boolean {
  const bucket = Number.parseInt(sha256(`held-out\n${caseId}`).slice(0, 8), 16) / 0x1_0000_0000;
  return bucket < share;
}
