/**
 * Where an agent sends its improvement cycles when the work is shared by several instances (a
 * fleet on PostgreSQL): instead of running a cycle in-process every N calls of a tool, the
 * agent's scheduler asks the queue for one, and whichever worker of the fleet takes the job
 * runs it. The queue dedupes: many instances asking for the same tool in the same degradation
 * episode get one job. `@toolwright/jobs` implements it (`createImprovementQueue`).
 *
 * @example
 * ```ts
 * const queue: ImprovementQueue = { request: async (tool) => ({ key: `improve:${tool}`, enqueued: true }) };
 * const agent = createAgent({ ...parts, improvementQueue: queue });
 * ```
 */
export interface ImprovementQueue {
  /**
   * Asks for one improvement cycle of `tool`. Resolves once the request is durable, or known to
   * duplicate one already asked for (`enqueued: false`); never runs the cycle itself.
   */
  request(tool: string): Promise<ImprovementRequestReceipt>;
}

/** What {@link ImprovementQueue.request} answers. */
export interface ImprovementRequestReceipt {
  /** The dedupe key of the request: one job per key, e.g. `improve:get_quote@v1`. */
  readonly key: string;
  /** `false` when a job for this key already exists (queued, running, or finished in the same episode). */
  readonly enqueued: boolean;
  /** The job's id, when one was created. */
  readonly jobId?: string;
}
