import type { ArtifactVersion, Decision } from '@toolwright/core';
import type { ReviewInput } from '../change-schema.js';
import type { ResolvedPolicyConfig } from '../config.js';
import type { Finding, Rule } from './finding.js';

/**
 * `regression-verdict` (agent tool changes and promotions with a verdict): denied when the verdict rejects the
 * candidate, is about another tool, or says promote while recording regressions.
 */
export const regressionVerdictRule: Rule = ({ review }) => {
  const change = review.change;
  const verdict = review.verdict;
  if (change.origin !== 'agent' || verdict === undefined || (change.kind !== 'create-tool' && change.kind !== 'rewrite-tool' && change.kind !== 'promote-version')) return [];
  if (verdict.tool !== change.name) {
    return [{ rule: 'regression-verdict', outcome: 'deny', detail: `The verdict is about "${verdict.tool}", not "${change.name}": evidence from another tool proves nothing.` }];
  }
  if (verdict.decision === 'reject') {
    return [{ rule: 'regression-verdict', outcome: 'deny', detail: `The regression runner rejected "${change.name}": ${verdict.reasons.join(' ') || 'no reason given'}` }];
  }
  const regressed = verdict.cases.filter((result) => result.regressed).length;
  if (verdict.totals.regressions > 0 || regressed > 0) {
    return [
      {
        rule: 'regression-verdict',
        outcome: 'deny',
        detail: `The verdict for "${change.name}" says promote but records ${Math.max(verdict.totals.regressions, regressed)} regression(s): an inconsistent verdict is not proof.`,
      },
    ];
  }
  return [];
};

function finding(outcome: Decision['outcome'], detail: string): Finding {
  return { rule: 'risk-approval', outcome, detail };
}

/**
 * `risk-approval`: how much trust an agent change needs, by risk (all configurable in `approval`).
 * Defaults: a pure tool (no capabilities) that passed regression is allowed; a tool that requests
 * `fetch` needs a person; a tool change without a verdict needs a person; a prompt change (or a
 * prompt-section rollback) needs a person, and so does a learned rule (its text checks are
 * heuristics) and a bundle import; a tool rollback and a pin are allowed. Live experiments: widening
 * a canary (`widen-rollout`) and promoting a version (`promote-version`) of a network tool need a
 * person (`approval.network`), of a prompt section too (`approval.promptChange`); of a pure tool they
 * are allowed, except an agent's promotion with no experiment behind it, or of a tool with no
 * regression verdict whether or not an experiment is named (`approval.untestedTool`).
 * A person's change is allowed here (a person proposed it).
 */
export const riskApprovalRule: Rule = ({ review, config, sections, facts }) => {
  const change = review.change;
  const { approval } = config;
  // envelope-widening decides grants, for both origins.
  if (change.kind === 'grant-capability') return [];
  if (change.origin === 'person') return [finding('allow', 'Proposed by a person: nothing further to approve.')];
  switch (change.kind) {
    case 'create-tool':
    case 'rewrite-tool': {
      const findings: Finding[] = [];
      const origins = change.spec.capabilities.flatMap((capability) => capability.origins);
      if (origins.length > 0) {
        const before = review.current?.spec?.capabilities.flatMap((capability) => capability.origins) ?? [];
        const added = origins.filter((origin) => !before.includes(origin));
        findings.push(
          finding(
            approval.network,
            `"${change.name}" uses the network (fetch to ${origins.join(', ')}${
              change.kind === 'rewrite-tool' && added.length > 0 ? `; this rewrite adds ${added.join(', ')}` : ''
            }): network tools need a person.`,
          ),
        );
      }
      const verdict = review.verdict;
      if (verdict === undefined && review.assumeTested === true) {
        // The gate's pre-check runs before the cases do; the recorded review sees the verdict.
        if (findings.length === 0) findings.push(finding('allow', `Pure tool (no capabilities), judged as it will be once its regression cases pass (not tested yet).`));
      } else if (verdict === undefined) {
        findings.push(finding(approval.untestedTool, `"${change.name}" has no regression verdict yet: untested tools are not promoted automatically.`));
      } else if (verdict.decision === 'promote' && findings.length === 0) {
        findings.push(finding('allow', `Pure tool (no capabilities) that passed regression (${verdict.totals.candidatePassed}/${verdict.totals.cases} cases).`));
      }
      return findings;
    }
    case 'change-prompt-section':
      return [finding(approval.promptChange, `Changing prompt section "${change.name}": prompt changes need a person.`)];
    case 'add-learned-rule':
      return [finding(approval.learnedRule, learnedRuleDetail(change.name, approval.learnedRule, sections.length, facts.learnedRules.length))];
    case 'rollback':
      return review.current?.kind === 'prompt-section'
        ? [finding(approval.promptChange, `Rolling prompt section "${change.name}" back to version ${change.toVersion}: prompt changes need a person.`)]
        : [finding(approval.rollback, `Rolling "${change.name}" back from version ${change.fromVersion} to ${change.toVersion}.`)];
    case 'pin':
    case 'unpin':
      return [finding(approval.pin, `${change.kind === 'pin' ? 'Pinning' : 'Unpinning'} "${change.name}".`)];
    case 'widen-rollout':
      return [rolloutFinding(review, approval, `Widening the canary ${change.experimentId} of "${change.name}" v${change.version} from ${percent(change.fromShare)} to ${percent(change.toShare)} of the calls`)];
    case 'promote-version': {
      // A tool's promotion needs a regression verdict (the gate proves the target first), with or without an experiment: an experiment id is a claim, not evidence.
      const untested =
        servedVersion(review)?.kind === 'tool' && review.verdict === undefined && review.assumeTested !== true
          ? [finding(approval.untestedTool, `"${change.name}" v${change.toVersion} has no regression verdict: untested tools are not promoted automatically, whatever experiment is named.`)]
          : [];
      if (change.experimentId === undefined && !servesNetworkOrPrompt(review)) {
        return [finding(approval.untestedTool, `The agent asks to make "${change.name}" v${change.toVersion} active with no experiment behind it: a candidate without measured evidence is not promoted automatically.`), ...untested];
      }
      return [
        rolloutFinding(
          review,
          approval,
          `Promoting "${change.name}" v${change.toVersion} over v${change.fromVersion}${change.experimentId === undefined ? '' : ` (the winner of experiment ${change.experimentId})`}`,
        ),
        ...untested,
      ];
    }
    case 'import-bundle':
      return [
        finding(
          'needs-approval',
          `The agent asks to import bundle ${change.bundleHash.slice(0, 12)}… (${change.names.length} artifact(s)${
            change.names.length === 0 ? '' : `: ${change.names.slice(0, 5).join(', ')}${change.names.length > 5 ? ', …' : ''}`
          }): imports need a person.`,
        ),
      ];
  }
};

/**
 * Why an agent's learned rule is allowed or queued, saying only what the checks did: they are
 * heuristics, and the rule got past them, which proves nothing about a rewording.
 */
function learnedRuleDetail(name: string, mode: Decision['outcome'], sections: number, rules: number): string {
  const checked =
    sections === 0 && rules === 0
      ? 'no immutable section is declared and no learned rule is active, so there was nothing to check it against'
      : `the text heuristics found no contradiction with ${sections} immutable section(s) and ${rules} active learned rule(s), which rewordings can pass`;
  if (mode === 'allow') return `Learned rule "${name}" from the agent is allowed by configuration (approval.learnedRule: allow); ${checked}.`;
  if (mode === 'needs-approval') return `Learned rule "${name}" from the agent needs a person: ${checked}.`;
  return `Learned rules from the agent are refused by configuration (approval.learnedRule: deny): "${name}" is not added.`;
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}

/** The version a rollout change gives calls to: the candidate the gate read, else the active one. */
function servedVersion(review: ReviewInput): ArtifactVersion | undefined {
  return review.candidate ?? review.current;
}

function networkOrigins(version: ArtifactVersion | undefined): readonly string[] {
  return version?.spec?.capabilities.flatMap((capability) => capability.origins) ?? [];
}

function servesNetworkOrPrompt(review: ReviewInput): boolean {
  const version = servedVersion(review);
  return version === undefined || version.kind === 'prompt-section' || networkOrigins(version).length > 0;
}

/**
 * A widening or a promotion by the agent: a network tool needs a person, a prompt section too; a
 * version the gate did not name (no candidate, no current version) needs a person, because its
 * risk is unknown; a pure tool is allowed (its calls are measured by the experiment).
 */
function rolloutFinding(review: ReviewInput, approval: ResolvedPolicyConfig['approval'], what: string): Finding {
  const version = servedVersion(review);
  if (version === undefined) return finding('needs-approval', `${what}: the version is not known to the policy, so its risk is unknown; a person decides.`);
  if (version.kind === 'prompt-section') return finding(approval.promptChange, `${what}: prompt changes need a person.`);
  const origins = networkOrigins(version);
  if (origins.length > 0) return finding(approval.network, `${what}: it uses the network (fetch to ${origins.join(', ')}); network tools need a person.`);
  return finding('allow', `${what}: a pure tool (no capabilities), measured live by the experiment.`);
}
