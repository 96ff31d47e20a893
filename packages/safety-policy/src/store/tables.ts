import type { ColumnType, Generated } from 'kysely';

/** PostgreSQL returns BIGINT as a string; SQLite returns a number. */
type BigIntColumn = ColumnType<number | string, number, number>;

/** Key-value state: the kill switch and the review lock row. */
export interface PolicyStateTable {
  key: string;
  value: string;
  updated_at: BigIntColumn;
}

/**
 * The ledger: one row per reviewed change, per applied approval, per retired learned rule and
 * per freeze / unfreeze. `effective = 1` marks changes that happened (allowed at review, or
 * approved and applied); caps and trajectory guards count those rows.
 */
export interface PolicyLedgerTable {
  id: Generated<number | string>;
  at: BigIntColumn;
  event: 'review' | 'applied' | 'retire-learned-rule' | 'freeze' | 'unfreeze';
  kind: string | null;
  origin: string | null;
  name: string | null;
  change_hash: string | null;
  outcome: string | null;
  effective: number;
  /** The diagnosis score that motivated a rewrite, when there was one. */
  score: number | null;
  /** For tool changes: the SHA-256 of the source (whitespace collapsed), so bounds follow a source under a new name. */
  source_hash: string | null;
  /** JSON: learned-rule text, granted capability, reasons. */
  data: string;
}

/** The approval queue. */
export interface PolicyApprovalTable {
  id: string;
  status: 'proposed' | 'approved' | 'rejected' | 'applied';
  change_hash: string;
  kind: string;
  origin: string;
  name: string | null;
  /** JSON of the change. */
  change: string;
  /** JSON of the evidence (diagnosis, verdict, diff). */
  evidence: string;
  /** JSON of the reasons the review gave. */
  reasons: string;
  proposed_at: BigIntColumn;
  decided_by: string | null;
  decided_at: BigIntColumn | null;
  decision_note: string | null;
  applied_by: string | null;
  applied_at: BigIntColumn | null;
  /** Who proposed it: a person's id, `agent`, or `person` when the person is unknown. Null only before migration 0002 filled it. */
  proposed_by: string | null;
  /** JSON `{ name, version, contentHash }` of the registered candidate the request carries, when there is one. */
  candidate: string | null;
}

/**
 * Learned rules as they stand: one row per rule ever added, `retired_at` set once the cap
 * retired it. Written in the same transaction as the ledger rows it summarises, so reading the
 * active rules costs O(active rules), not O(history).
 */
export interface PolicyLearnedRuleTable {
  name: string;
  text: string;
  /** Order of addition (1, 2, ...), assigned under the policy's write lock. */
  position: number;
  added_at: BigIntColumn;
  retired_at: BigIntColumn | null;
  /** `agent` or `person`: who added it. An agent's rule never retires a person's. */
  origin: string | null;
}

/** The policy's own tables. */
export interface PolicyTables {
  toolwright_policy_state: PolicyStateTable;
  toolwright_policy_ledger: PolicyLedgerTable;
  toolwright_policy_approvals: PolicyApprovalTable;
  toolwright_policy_learned_rules: PolicyLearnedRuleTable;
}
