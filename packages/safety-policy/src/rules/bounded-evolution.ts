import type { Finding, Rule } from './finding.js';

/**
 * Bounded evolution, for the agent's changes (counted from the ledger, so they hold across
 * restarts and processes):
 * - `tool-identity`: create-tool may not reuse an existing tool's name;
 * - `max-tools`: at most `evolution.maxTools` tools;
 * - `rewrite-rate`: at most `evolution.rewritesPerTool.max` rewrites of one tool per window
 *   (keyed on the source too: a source proposed for a capped tool is capped under any name);
 * - `change-rate`: at most `evolution.changesPerHour` changes in any hour. A rollback (it restores
 *   a version that was active before) and a canary's widening (an experiment's step, guarded by
 *   its own acceleration stream) are neither throttled by it nor counted in it.
 */
export const boundedEvolutionRule: Rule = ({ review, config, facts }) => {
  const change = review.change;
  if (change.origin !== 'agent') return [];
  const findings: Finding[] = [];
  const { maxTools, rewritesPerTool, changesPerHour } = config.evolution;
  if (change.kind === 'create-tool') {
    if (facts.createdTools.has(change.name) || review.current !== undefined) {
      findings.push({
        rule: 'tool-identity',
        outcome: 'deny',
        detail: `Tool "${change.name}" already exists: propose a rewrite-tool of it instead of creating it again.`,
      });
    } else if (facts.createdTools.size >= maxTools) {
      findings.push({
        rule: 'max-tools',
        outcome: 'deny',
        detail: `The agent already has ${facts.createdTools.size} tools, the maximum (${maxTools}); "${change.name}" is not created.`,
      });
    }
  }
  if (change.kind === 'rewrite-tool' && facts.rewritesInWindow >= rewritesPerTool.max) {
    findings.push({
      rule: 'rewrite-rate',
      outcome: 'deny',
      detail: `"${change.name}" was already rewritten ${facts.rewritesInWindow} times in the last ${formatDuration(rewritesPerTool.windowMs)} (maximum ${rewritesPerTool.max}).`,
    });
  } else if (change.kind === 'create-tool' || change.kind === 'rewrite-tool') {
    const capped = facts.sourceOwners.find((owner) => owner.rewritesInWindow >= rewritesPerTool.max);
    if (capped !== undefined) {
      findings.push({
        rule: 'rewrite-rate',
        outcome: 'deny',
        detail: `This source was proposed for "${capped.name}", which was already rewritten ${capped.rewritesInWindow} times in the last ${formatDuration(
          rewritesPerTool.windowMs,
        )} (maximum ${rewritesPerTool.max}): the same code under the name "${change.name}" is bound by the same cap.`,
      });
    }
  }
  if (change.kind !== 'rollback' && change.kind !== 'widen-rollout' && facts.changesLastHour >= changesPerHour) {
    findings.push({
      rule: 'change-rate',
      outcome: 'deny',
      detail: `The agent already made ${facts.changesLastHour} changes in the last hour (maximum ${changesPerHour}).`,
    });
  }
  return findings;
};

/** A duration in the largest whole unit, e.g. `24 h`, `10 min`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
