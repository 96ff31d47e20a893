import type { EvidenceError } from '@toolwright/core';

/** "3 × TIMEOUT, 2 × THROWN (HTTP 429 …)": the errors grouped for a reason sentence. */
export function describeErrors(errors: readonly EvidenceError[], limit = 4): string {
  const groups = new Map<string, { count: number; example: string }>();
  for (const error of errors) {
    const key = error.code === 'TIMEOUT' ? 'TIMEOUT' : `${error.code}: ${error.message.slice(0, 60)}`;
    const group = groups.get(key) ?? { count: 0, example: key };
    group.count += 1;
    groups.set(key, group);
  }
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count);
  const shown = sorted.slice(0, limit).map((group) => `${group.count} × ${group.example}`);
  return sorted.length > limit ? `${shown.join('; ')}; …` : shown.join('; ');
}
