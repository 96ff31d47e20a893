import type { ArtifactVersion, ToolManifest } from '../../artifact.js';
import type { JsonValue } from '../../json.js';
import type { CapturedCall, CaseResult, CompareRequest, RegressionCase, RegressionRunner, Verdict } from '../../regression.js';
import type { Sandbox } from '../../sandbox.js';

/**
 * Test support: a regression runner that runs the candidate on each case through a sandbox and
 * compares outputs exactly (numbers within the case's tolerance). No baseline runs, no storage.
 */
export class InMemoryRegression implements RegressionRunner {
  readonly captured: CapturedCall[] = [];
  readonly compared: CompareRequest[] = [];
  readonly stored: RegressionCase[] = [];

  constructor(private readonly sandbox: Sandbox) {}

  async compare(request: CompareRequest): Promise<Verdict> {
    this.compared.push(request);
    const candidate = request.candidate;
    const tool = await this.sandbox.compile({ name: candidate.name, source: candidate.source, language: candidate.spec?.language ?? 'js', capabilities: candidate.spec?.capabilities ?? [] });
    const cases: CaseResult[] = [];
    for (const regressionCase of request.cases) {
      const result = await this.sandbox.run(tool, regressionCase.input);
      const pass = result.ok && close(result.value, regressionCase.expect.output, regressionCase.expect.tolerance ?? 0);
      cases.push({
        caseId: regressionCase.id,
        heldOut: regressionCase.heldOut,
        candidate: result.ok
          ? { pass, output: result.value, durationMs: result.durationMs, failures: pass ? [] : [`expected ${JSON.stringify(regressionCase.expect.output)}, got ${JSON.stringify(result.value)}`] }
          : { pass: false, error: result.error, durationMs: result.durationMs, failures: [result.error.code] },
        baseline: undefined,
        regressed: false,
      });
    }
    const passed = cases.filter((result) => result.candidate.pass).length;
    const decision = passed === cases.length && cases.length > 0 ? 'promote' : 'reject';
    return {
      tool: candidate.name,
      candidateVersion: 'version' in candidate && typeof candidate.version === 'number' ? (candidate as ArtifactVersion).version : undefined,
      baselineVersion: request.baseline?.version,
      decision,
      reasons: decision === 'promote' ? ['passes every case'] : [`${cases.length - passed} of ${cases.length} case(s) failed`],
      cases,
      totals: { cases: cases.length, candidatePassed: passed, baselinePassed: 0, regressions: 0 },
    };
  }

  async cases(tool: string): Promise<RegressionCase[]> {
    return this.stored.filter((regressionCase) => regressionCase.tool === tool && !regressionCase.heldOut);
  }

  async addExamples(_spec: ToolManifest): Promise<RegressionCase[]> {
    return [];
  }

  async capture(call: CapturedCall): Promise<{ readonly captured: boolean }> {
    this.captured.push(call);
    return { captured: true };
  }
}

function close(actual: JsonValue, expected: JsonValue | undefined, tolerance: number): boolean {
  if (typeof actual === 'number' && typeof expected === 'number') return Math.abs(actual - expected) <= tolerance;
  return JSON.stringify(actual) === JSON.stringify(expected);
}
