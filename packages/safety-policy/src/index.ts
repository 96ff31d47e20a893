/**
 * `@toolwright/safety-policy`: decides, for every self-modification, whether it may happen now,
 * must wait for a person, or may not happen — with the approval queue, the kill switch and
 * immutable prompt sections, persisted on SQLite or PostgreSQL.
 *
 * @packageDocumentation
 */
export { createPolicy } from './create-policy.js';
export type { AssessOptions, FrozenArtifact, LearnedRule, PolicyDecision, ReviewOptions, SafetyPolicy } from './create-policy.js';
export { policyConfigSchema } from './config.js';
export type { PolicyAuditSink, PolicyConfig, ProtectedPhrase, ResolvedPolicyConfig } from './config.js';
export type { PolicyDatabase } from './database.js';
export { POLICY_RULES } from './rules/rule-names.js';
export type { PolicyRuleName } from './rules/rule-names.js';
export type { Approval, ApprovalCandidate, ApprovalEvidence, ApprovalQueue, ApprovalStatus, ApprovalStep, RecheckOptions } from './approvals.js';
export type { KillSwitch, KillSwitchInput } from './kill-switch.js';
export type { KillSwitchState, RuleOrigin } from './store/policy-store.js';
export type { ImmutableSection, SectionCheck, SectionDifference, SectionVerification, StoredSection } from './sections.js';
export { findContradictions } from './text/contradiction.js';
export type { Contradiction, ContradictionOptions, ProtectedText } from './text/contradiction.js';
export { POLICY_MIGRATION_TABLE } from './store/migrations.js';
export type { Change, Decision, DecisionReason, Policy, PolicyContext } from '@toolwright/core';
export { createPreferenceStore, PREFERENCE_MIGRATION_TABLE } from './preferences/preference-store.js';
export type { PreferenceStore, PreferenceStoreOptions } from './preferences/preference-store.js';
