import {
  auditEntryInputSchema,
  lessonInputSchema,
  type AuditEntry,
  type AuditEntryInput,
  type Invocation,
  type Lesson,
  type LessonInput,
  type Memory,
  type SummaryOptions,
  type ToolSummary,
} from '../../memory.js';
import { summaryOf } from './versions.js';

/**
 * Test support: memory in arrays, for core's own tests. Audit entries are validated with the
 * real schema (so an action outside the catalogue fails the test); summaries come from
 * `summaries` (default: no calls).
 */
export class InMemoryMemory implements Memory {
  readonly buffered: Invocation[] = [];
  readonly invocations: Invocation[] = [];
  readonly audits: AuditEntry[] = [];
  readonly stored: Lesson[] = [];
  flushes = 0;
  summaries: (tool: string, options: SummaryOptions) => ToolSummary = (tool) => summaryOf(tool, 0);

  record(invocation: Invocation): void {
    this.buffered.push(invocation);
  }

  async flush(): Promise<void> {
    this.flushes++;
    this.invocations.push(...this.buffered.splice(0));
  }

  async summary(tool: string, options: SummaryOptions): Promise<ToolSummary> {
    return this.summaries(tool, options);
  }

  async addLesson(input: LessonInput): Promise<Lesson> {
    const parsed = lessonInputSchema.parse(input);
    const lesson: Lesson = { ...parsed, id: `lesson-${this.stored.length + 1}`, helpful: 0, harmful: 0, supersedes: undefined, superseded: false, createdAt: this.stored.length };
    this.stored.push(lesson);
    return lesson;
  }

  async updateLesson(): Promise<Lesson> {
    throw new Error('not used by the agent');
  }

  async rateLesson(): Promise<Lesson> {
    throw new Error('not used by the agent');
  }

  async lessons(): Promise<Lesson[]> {
    return this.stored.filter((lesson) => !lesson.superseded);
  }

  async audit(entry: AuditEntryInput): Promise<AuditEntry> {
    const parsed = auditEntryInputSchema.parse(entry);
    const stored: AuditEntry = { ...parsed, id: `audit-${this.audits.length + 1}`, at: this.audits.length };
    this.audits.push(stored);
    return stored;
  }

  async auditLog(query: { readonly artifact?: string } = {}): Promise<AuditEntry[]> {
    return this.audits.filter((entry) => query.artifact === undefined || entry.artifact === query.artifact);
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
