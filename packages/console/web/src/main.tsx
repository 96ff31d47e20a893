import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApprovalView, ToolDetail, ToolDiff, ToolRow, ToolSeries } from '../../src/data.js';
import type { SideBySideRow } from '../../src/side-by-side.js';
import { ApiError, getJson, postJson } from './api.js';
import { type ChartLine, LineChart } from './chart.js';
import './styles.css';

interface Overview {
  readonly person: string;
  readonly killSwitch: KillSwitchState;
  readonly proposedApprovals: number;
  readonly experiments: boolean;
}
interface KillSwitchState {
  readonly engaged: boolean;
  readonly by?: string;
  readonly reason?: string;
  readonly at?: number;
}
interface AuditEntry {
  readonly id: string;
  readonly at: number;
  readonly actor: { readonly kind: string; readonly id: string };
  readonly action: string;
  readonly artifact?: string;
  readonly fromVersion?: number;
  readonly toVersion?: number;
  readonly reason: string;
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563'];
const percent = (value: number | null | undefined): string => (value === null || value === undefined ? '–' : `${(value * 100).toFixed(value === 1 || value === 0 ? 0 : 1)}%`);
const ms = (value: number | null | undefined): string => (value === null || value === undefined ? '–' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`);
const score = (value: number | null | undefined): string => (value === null || value === undefined ? '–' : value.toFixed(2));
const time = (value: number | undefined): string => (value === undefined ? '–' : new Date(value).toLocaleString([], { hour12: false }));

/** The hash route: `#/`, `#/tools/<name>`, `#/approvals`, `#/audit`, `#/kill-switch`, `#/experiments`. */
function useRoute(): string[] {
  const read = (): string[] => (location.hash.replace(/^#\/?/, '') || '').split('/').filter((part) => part !== '').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = (): void => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Bumps on every server-sent event, so pages re-read what changed without a reload. */
function useLive(): { readonly revision: number; readonly connected: boolean; readonly last: string | undefined } {
  const [state, setState] = useState({ revision: 0, connected: false, last: undefined as string | undefined });
  useEffect(() => {
    const source = new EventSource('/api/events');
    let timer: number | undefined;
    const bump = (event: MessageEvent<string>): void => {
      const type = event.type;
      clearTimeout(timer);
      // Many calls in a burst: one re-read.
      timer = window.setTimeout(() => setState((previous) => ({ ...previous, revision: previous.revision + 1, last: `${type} ${new Date().toLocaleTimeString([], { hour12: false })}` })), 150);
    };
    for (const type of ['registry', 'calls', 'audit', 'approvals', 'kill-switch']) source.addEventListener(type, bump as EventListener);
    source.onopen = () => setState((previous) => ({ ...previous, connected: true }));
    source.onerror = () => setState((previous) => ({ ...previous, connected: false }));
    return () => {
      clearTimeout(timer);
      source.close();
    };
  }, []);
  return state;
}

/** Loads `path` again whenever `revision` (or the path) changes. */
function useData<T>(path: string | undefined, revision: number): { readonly data: T | undefined; readonly error: ApiError | Error | undefined; readonly reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [own, setOwn] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let current = true;
    getJson<T>(path).then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
      },
      (failure: Error) => current && setError(failure),
    );
    return () => {
      current = false;
    };
  }, [path, revision, own]);
  return { data, error, reload: useCallback(() => setOwn((value) => value + 1), []) };
}

function Failure({ error }: { readonly error: Error | undefined }) {
  if (error === undefined) return null;
  return (
    <p class="error" role="alert">
      {error instanceof ApiError ? `${error.code}: ` : ''}
      {error.message}
    </p>
  );
}

function ToolList({ revision }: { readonly revision: number }) {
  const { data, error } = useData<{ tools: ToolRow[] }>('/api/tools', revision);
  return (
    <section>
      <h1>Tools</h1>
      <Failure error={error} />
      {data === undefined ? (
        <p class="muted">Loading…</p>
      ) : data.tools.length === 0 ? (
        <p class="muted">No tools yet. `toolwright run "&lt;task&gt;" --examples file.json` lets the agent write one.</p>
      ) : (
        <table class="tools" data-testid="tool-list">
          <thead>
            <tr>
              <th>tool</th>
              <th>active</th>
              <th>versions</th>
              <th class="num">calls</th>
              <th class="num">success</th>
              <th class="num">p95</th>
              <th class="num">score</th>
              <th>health</th>
              <th>pinned</th>
              <th>description</th>
            </tr>
          </thead>
          <tbody>
            {data.tools.map((tool) => (
              <tr key={tool.name} data-tool={tool.name}>
                <td>
                  <a href={`#/tools/${encodeURIComponent(tool.name)}`}>{tool.name}</a>
                </td>
                <td>{tool.activeVersion === null ? '–' : `v${tool.activeVersion}`}</td>
                <td>
                  {tool.versions}
                  {tool.candidates.length > 0 ? <span class="badge wait">{tool.candidates.map((n) => `v${n}`).join(', ')} waiting</span> : null}
                </td>
                <td class="num">{tool.figures.calls}</td>
                <td class="num">{percent(tool.figures.successRate)}</td>
                <td class="num">{ms(tool.figures.p95)}</td>
                <td class="num">{score(tool.figures.score)}</td>
                <td>{tool.figures.health === null ? '–' : <span class={`badge ${tool.figures.health}`}>{tool.figures.health}</span>}</td>
                <td>{tool.pinned ? 'pinned' : ''}</td>
                <td class="muted">{tool.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** `v2`, or `v2 (b)` when an experiment's arm `b` serves v2: an arm's line is its version's. */
function versionLabel(series: ToolSeries, version: number): string {
  const arms = [...new Set(series.arms.filter((arm) => arm.version === version).map((arm) => arm.arm))];
  return arms.length === 0 ? `v${version}` : `v${version} (${arms.join(', ')})`;
}

function linesOf(series: ToolSeries, pick: (point: ToolSeries['versions'][number]['points'][number]) => number | null, suffix = '', dashed = false): ChartLine[] {
  return series.versions
    .filter((version) => version.points.some((point) => point.calls > 0))
    .map((version) => ({
      label: `${versionLabel(series, version.version)}${suffix}`,
      color: COLORS[(version.version - 1) % COLORS.length] ?? '#000',
      dashed,
      points: version.points.map((point) => ({ t: point.t + series.bucketMs / 2, v: pick(point) })),
    }));
}

function Plots({ series }: { readonly series: ToolSeries }) {
  if (series.from === null || series.to === null) return <p class="muted">No calls yet: nothing to plot.</p>;
  const from = series.from;
  const to = series.to;
  return (
    <div class="charts" data-testid="plots">
      <LineChart title="Success rate" lines={linesOf(series, (point) => point.successRate)} from={from} to={to} yMax={1} format={percent} />
      <LineChart
        title="Latency p50 / p95"
        lines={[...linesOf(series, (point) => point.p50, ' p50'), ...linesOf(series, (point) => point.p95, ' p95', true)]}
        from={from}
        to={to}
        format={ms}
      />
      <LineChart title="Score" lines={linesOf(series, (point) => point.score)} from={from} to={to} yMax={1} format={score} />
    </div>
  );
}

function DiffTable({ rows }: { readonly rows: readonly SideBySideRow[] }) {
  if (rows.length === 0) return <p class="muted">No differences.</p>;
  return (
    <table class="diff" data-testid="diff">
      <colgroup>
        <col class="ln" />
        <col />
        <col class="ln" />
        <col />
      </colgroup>
      <tbody>
        {rows.map((row, index) => {
          if (row.kind === 'file' || row.kind === 'hunk')
            return (
              <tr key={index} class={row.kind}>
                <td colSpan={4}>{row.text}</td>
              </tr>
            );
          const left = row.left;
          const right = row.right;
          const change = row.kind === 'change';
          return (
            <tr key={index}>
              <td class="ln">{left?.n ?? ''}</td>
              <td class={change && left ? 'code del' : change ? 'code empty' : 'code'}>{left?.text ?? ''}</td>
              <td class="ln">{right?.n ?? ''}</td>
              <td class={change && right ? 'code add' : change ? 'code empty' : 'code'}>{right?.text ?? ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function ToolPage({ name, revision }: { readonly name: string; readonly revision: number }) {
  const base = `/api/tools/${encodeURIComponent(name)}`;
  const detail = useData<ToolDetail>(base, revision);
  const series = useData<ToolSeries>(`${base}/series?buckets=24`, revision);
  const versions = detail.data?.versions ?? [];
  const newest = versions[versions.length - 1];
  const [pair, setPair] = useState<{ from: number; to: number } | undefined>(undefined);
  const chosen = pair ?? (newest === undefined ? undefined : { from: newest.parent ?? Math.max(1, newest.version - 1), to: newest.version });
  const diff = useData<ToolDiff>(chosen === undefined ? undefined : `${base}/diff?from=${chosen.from}&to=${chosen.to}`, revision);
  return (
    <section>
      <p class="crumbs">
        <a href="#/">Tools</a> / {name}
      </p>
      <h1>
        {name} {detail.data?.activeVersion ? <span class="badge active">v{detail.data.activeVersion} active</span> : <span class="badge">no active version</span>}
      </h1>
      <Failure error={detail.error ?? series.error} />
      <h2>Over time, per version{series.data !== undefined && series.data.arms.length > 0 ? ' and experiment arm' : ''}</h2>
      {series.data === undefined || series.data.arms.length === 0 ? null : (
        <p class="muted" data-testid="arms">
          Experiments: {[...new Set(series.data.arms.map((arm) => arm.experiment))].map((id) => {
            const arms = series.data?.arms.filter((arm) => arm.experiment === id) ?? [];
            return (
              <span key={id} class="badge">
                {arms[0]?.kind} {arms[0]?.status}: {arms.map((arm) => `${arm.arm} = v${arm.version}`).join(', ')}
              </span>
            );
          })}
        </p>
      )}
      {series.data === undefined ? <p class="muted">Loading…</p> : <Plots series={series.data} />}
      <h2>Versions</h2>
      <table data-testid="versions">
        <thead>
          <tr>
            <th>version</th>
            <th>status</th>
            <th>author</th>
            <th>created</th>
            <th>reason</th>
            <th class="num">calls</th>
            <th class="num">success</th>
            <th class="num">p50</th>
            <th class="num">p95</th>
            <th class="num">score</th>
          </tr>
        </thead>
        <tbody>
          {[...versions].reverse().map((version) => (
            <tr key={version.version} data-version={version.version}>
              <td>
                v{version.version}
                {version.parent === null ? '' : <span class="muted"> ← v{version.parent}</span>}
              </td>
              <td>
                <span class={`badge ${version.status}`}>{version.status}</span>
                {version.pinned ? <span class="badge">pinned</span> : null}
              </td>
              <td>
                {version.author.kind}:{version.author.id}
              </td>
              <td>{time(version.createdAt)}</td>
              <td class="reason">{version.reason}</td>
              <td class="num">{version.figures.calls}</td>
              <td class="num">{percent(version.figures.successRate)}</td>
              <td class="num">{ms(version.figures.p50)}</td>
              <td class="num">{ms(version.figures.p95)}</td>
              <td class="num">{score(version.figures.score)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Diff</h2>
      {chosen === undefined ? null : (
        <form class="diff-picker" onSubmit={(event) => event.preventDefault()}>
          <label>
            from{' '}
            <select name="from" value={chosen.from} onChange={(event) => setPair({ ...chosen, from: Number((event.target as HTMLSelectElement).value) })}>
              {versions.map((version) => (
                <option key={version.version} value={version.version}>
                  v{version.version}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            to{' '}
            <select name="to" value={chosen.to} onChange={(event) => setPair({ ...chosen, to: Number((event.target as HTMLSelectElement).value) })}>
              {versions.map((version) => (
                <option key={version.version} value={version.version}>
                  v{version.version}
                </option>
              ))}
            </select>
          </label>
        </form>
      )}
      <Failure error={diff.error} />
      {diff.data === undefined ? null : <DiffTable rows={diff.data.rows} />}
      <h2>Change log</h2>
      <table>
        <tbody>
          {[...(detail.data?.changes ?? [])].reverse().map((change, index) => (
            <tr key={index}>
              <td>{time(change.at)}</td>
              <td>{change.type}</td>
              <td>
                v{change.version}
                {change.previous === undefined ? '' : ` (was v${change.previous})`}
              </td>
              <td class="reason">{change.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function describeChange(change: ApprovalView['change']): string {
  const named = change as { kind: string; name?: string; fromVersion?: number; toVersion?: number };
  if (named.kind === 'rewrite-tool') return `rewrite-tool ${named.name ?? ''} (from v${named.fromVersion ?? '?'})`;
  if (named.kind === 'rollback') return `rollback ${named.name ?? ''} v${named.fromVersion ?? '?'} → v${named.toVersion ?? '?'}`;
  return `${named.kind}${named.name === undefined ? '' : ` ${named.name}`}`;
}

function ApprovalCard({ approval, onDone }: { readonly approval: ApprovalView; readonly onDone: (message: string) => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  // The page keeps the message of a decision: the card leaves the queue once it is decided.
  const act = async (action: 'approve' | 'reject'): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await postJson<{ done: boolean; summary: string; active: { name: string; version: number } | null }>(`/api/approvals/${encodeURIComponent(approval.id)}/${action}`, note === '' ? {} : { note });
      const text = result.active ? `${result.summary} — ${result.active.name} v${result.active.version} is now active.` : result.summary;
      if (result.done) onDone(text);
      else setMessage(text);
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  const { diagnosis, verdict } = approval.evidence;
  const candidate = approval.candidate as { name?: string; version?: number } | undefined;
  return (
    <article class="card" data-approval={approval.id}>
      <header>
        <h3>{describeChange(approval.change)}</h3>
        <span class={`badge ${approval.status}`}>{approval.status}</span>
      </header>
      <dl>
        <dt>id</dt>
        <dd>
          <code>{approval.id}</code>
        </dd>
        <dt>proposed</dt>
        <dd>
          {time(approval.proposedAt)} by {approval.proposedBy} (origin {approval.change.origin})
        </dd>
        {candidate?.version === undefined ? null : (
          <>
            <dt>candidate</dt>
            <dd>v{candidate.version}</dd>
          </>
        )}
        <dt>why a person</dt>
        <dd>
          {approval.reasons.map((reason) => (
            <div key={reason.rule}>
              <code>{reason.rule}</code>: {reason.detail}
            </div>
          ))}
        </dd>
        <dt>diagnosis</dt>
        <dd>{diagnosis === undefined ? <span class="muted">none (not a repair)</span> : `score ${diagnosis.score.toFixed(2)} (${diagnosis.status}): ${diagnosis.reasons.map((reason) => reason.message).join('; ')}`}</dd>
        <dt>verdict</dt>
        <dd>
          {verdict === undefined ? (
            <span class="muted">not run yet: a tool that needs a person runs with its capabilities only once approved</span>
          ) : (
            `${verdict.decision}: ${verdict.totals.candidatePassed}/${verdict.totals.cases} cases pass (baseline ${verdict.totals.baselinePassed}), ${verdict.totals.regressions} regressions${verdict.reasons.length > 0 ? ` — ${verdict.reasons.join('; ')}` : ''}`
          )}
        </dd>
        {approval.decidedBy === undefined ? null : (
          <>
            <dt>decided</dt>
            <dd>
              by {approval.decidedBy} at {time(approval.decidedAt)}
              {approval.decisionNote ? ` (${approval.decisionNote})` : ''}
            </dd>
          </>
        )}
      </dl>
      {approval.diffRows.length > 0 ? <DiffTable rows={approval.diffRows} /> : null}
      {approval.status === 'proposed' || approval.status === 'approved' ? (
        <div class="actions">
          <input type="text" name="note" placeholder="note for the audit log (optional)" value={note} onInput={(event) => setNote((event.target as HTMLInputElement).value)} />
          <button type="button" class="approve" disabled={busy} onClick={() => void act('approve')}>
            Approve
          </button>
          <button type="button" class="reject" disabled={busy} onClick={() => void act('reject')}>
            Reject
          </button>
        </div>
      ) : null}
      {message === undefined ? null : <p class="notice">{message}</p>}
      <Failure error={error} />
    </article>
  );
}

function Approvals({ revision }: { readonly revision: number }) {
  const [status, setStatus] = useState('proposed');
  const { data, error, reload } = useData<{ approvals: ApprovalView[] }>(`/api/approvals?status=${status}`, revision);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const done = useCallback(
    (message: string) => {
      setNotice(message);
      reload();
    },
    [reload],
  );
  return (
    <section>
      <h1>Approval queue</h1>
      {notice === undefined ? null : (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <p>
        <label>
          show{' '}
          <select value={status} onChange={(event) => setStatus((event.target as HTMLSelectElement).value)}>
            {['proposed', 'approved', 'rejected', 'applied', 'all'].map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
      </p>
      <Failure error={error} />
      {data === undefined ? <p class="muted">Loading…</p> : data.approvals.length === 0 ? <p class="muted">Nothing {status === 'all' ? 'here' : status}.</p> : data.approvals.map((approval) => <ApprovalCard key={approval.id} approval={approval} onDone={done} />)}
    </section>
  );
}

function AuditLog({ revision }: { readonly revision: number }) {
  const { data, error } = useData<{ entries: AuditEntry[] }>('/api/audit?limit=500', revision);
  return (
    <section>
      <h1>Audit log</h1>
      <Failure error={error} />
      <table data-testid="audit">
        <thead>
          <tr>
            <th>at</th>
            <th>actor</th>
            <th>action</th>
            <th>artifact</th>
            <th>versions</th>
            <th>reason</th>
          </tr>
        </thead>
        <tbody>
          {(data?.entries ?? []).map((entry) => (
            <tr key={entry.id} data-action={entry.action}>
              <td>{time(entry.at)}</td>
              <td>
                {entry.actor.kind}:{entry.actor.id}
              </td>
              <td>
                <code>{entry.action}</code>
              </td>
              <td>{entry.artifact ?? ''}</td>
              <td>{entry.fromVersion === undefined && entry.toVersion === undefined ? '' : `${entry.fromVersion === undefined ? '' : `v${entry.fromVersion}`} → ${entry.toVersion === undefined ? '' : `v${entry.toVersion}`}`}</td>
              <td class="reason">{entry.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function KillSwitchPage({ state, onChange }: { readonly state: KillSwitchState | undefined; readonly onChange: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  if (state === undefined) return <p class="muted">Loading…</p>;
  const flip = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await postJson('/api/kill-switch', { engaged: !state.engaged, ...(reason === '' ? {} : { reason }) });
      setReason('');
      onChange();
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <h1>Kill switch</h1>
      <p class={state.engaged ? 'switch on' : 'switch off'} data-testid="kill-switch-state">
        {state.engaged ? 'ON — every change is denied and approvals cannot be approved; active versions keep serving.' : 'off — changes go through the gate as usual.'}
      </p>
      {state.by === undefined ? null : (
        <p class="muted">
          Last {state.engaged ? 'engaged' : 'released'} by {state.by} at {time(state.at)}
          {state.reason ? `: ${state.reason}` : ''}
        </p>
      )}
      <div class="actions">
        <input type="text" name="reason" placeholder="why (kept in the audit log)" value={reason} onInput={(event) => setReason((event.target as HTMLInputElement).value)} />
        <button type="button" class={state.engaged ? 'approve' : 'reject'} disabled={busy} data-testid="kill-switch-toggle" onClick={() => void flip()}>
          {state.engaged ? 'Release the kill switch' : 'Engage the kill switch'}
        </button>
      </div>
      <Failure error={error} />
    </section>
  );
}

interface ExperimentReportView {
  readonly experiment: { readonly id: string; readonly kind: string; readonly artifact: string; readonly status: string; readonly startedAt: number; readonly step: number };
  readonly arms: readonly { readonly arm: string; readonly version: number; readonly share: number; readonly figures: Readonly<Record<string, unknown>> }[];
  readonly events: readonly { readonly at: number; readonly event?: string; readonly data?: Readonly<Record<string, unknown>> }[];
}

function figure(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (value === null || value === undefined) return '–';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function Experiments({ revision }: { readonly revision: number }) {
  const { data, error } = useData<{ available: boolean; experiments: ExperimentReportView[] }>('/api/experiments', revision);
  return (
    <section>
      <h1>Experiments</h1>
      <Failure error={error} />
      {data?.available === false ? <p class="muted">This Toolwright has no rollout: no experiments to show.</p> : null}
      {data?.available && data.experiments.length === 0 ? <p class="muted">No experiments yet.</p> : null}
      {(data?.experiments ?? []).map((report) => {
        const keys = [...new Set(report.arms.flatMap((arm) => Object.keys(arm.figures)))];
        return (
          <article class="card" key={report.experiment.id}>
            <header>
              <h3>
                {report.experiment.kind} on <a href={`#/tools/${encodeURIComponent(report.experiment.artifact)}`}>{report.experiment.artifact}</a>
              </h3>
              <span class="badge">{report.experiment.status}</span>
            </header>
            <p class="muted">
              {report.experiment.id}, started {time(report.experiment.startedAt)}
            </p>
            <table>
              <thead>
                <tr>
                  <th>arm</th>
                  <th>version</th>
                  <th class="num">share</th>
                  {keys.map((key) => (
                    <th key={key} class="num">
                      {key}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {report.arms.map((arm) => (
                  <tr key={arm.arm}>
                    <td>{arm.arm}</td>
                    <td>v{arm.version}</td>
                    <td class="num">{percent(arm.share)}</td>
                    {keys.map((key) => (
                      <td key={key} class="num">
                        {figure(arm.figures[key])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            <ul>
              {report.events.map((event, index) => (
                <li key={index}>
                  {time(event.at)} <strong>{event.event ?? ''}</strong> {typeof event.data?.['reason'] === 'string' ? event.data['reason'] : ''}
                </li>
              ))}
            </ul>
          </article>
        );
      })}
    </section>
  );
}

function App() {
  const route = useRoute();
  const live = useLive();
  const overview = useData<Overview>('/api/overview', live.revision);
  const page = route[0] ?? '';
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} class={active ? 'current' : ''}>
      {label}
    </a>
  );
  const killSwitch = overview.data?.killSwitch;
  return (
    <>
      <nav class="top">
        <strong class="brand">Toolwright</strong>
        {link('#/', 'Tools', page === '' || page === 'tools')}
        {link('#/approvals', `Approvals${overview.data?.proposedApprovals ? ` (${overview.data.proposedApprovals})` : ''}`, page === 'approvals')}
        {link('#/audit', 'Audit log', page === 'audit')}
        {overview.data?.experiments ? link('#/experiments', 'Experiments', page === 'experiments') : null}
        {link('#/kill-switch', killSwitch?.engaged ? 'Kill switch: ON' : 'Kill switch: off', page === 'kill-switch')}
        <span class={live.connected ? 'live on' : 'live'} title={live.last ?? ''} data-testid="live">
          {live.connected ? 'live' : 'offline'}
        </span>
        <span class="muted who">{overview.data?.person}</span>
      </nav>
      {killSwitch?.engaged ? <div class="banner">The kill switch is on: no self-modification until a person releases it.</div> : null}
      <main>
        {overview.error instanceof ApiError && overview.error.status === 401 ? (
          <Failure error={overview.error} />
        ) : page === 'tools' && route[1] !== undefined ? (
          <ToolPage key={route[1]} name={route[1]} revision={live.revision} />
        ) : page === 'approvals' ? (
          <Approvals revision={live.revision} />
        ) : page === 'audit' ? (
          <AuditLog revision={live.revision} />
        ) : page === 'kill-switch' ? (
          <KillSwitchPage state={killSwitch} onChange={overview.reload} />
        ) : page === 'experiments' ? (
          <Experiments revision={live.revision} />
        ) : (
          <ToolList revision={live.revision} />
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
