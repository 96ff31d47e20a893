import type { Finding, Rule } from './finding.js';

/**
 * Bounded evolution, for the agent's changes (counted from the ledger, so they hold across
 * restarts and processes):
 * - `tool-identity`: create-tool may not reuse an existing tool's name;
 * - `max-tools`: at most `evolution.maxTools` tools;
 * - `rewrite-rate`: at most `evolution.rewritesPerTool.max` rewrites of one tool per window;
 * - `change-rate`: at most `evolution.changesPerHour` changes in any hour.
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
  }
  if (facts.changesLastHour >= changesPerHour) {
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
