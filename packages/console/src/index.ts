export { startConsole, SESSION_COOKIE, CSRF_HEADER, type ConsoleServer } from './server.js';
export { consoleOptionsSchema, type ConsoleOptions } from './options.js';
export { sideBySide, type SideBySideRow, type SideLine } from './side-by-side.js';
export {
  listTools,
  toolDetail,
  toolSeries,
  toolDiff,
  listApprovals,
  listExperiments,
  SUMMARY_LAST_N,
  type ConsoleSource,
  type ToolRow,
  type ToolDetail,
  type ToolSeries,
  type SeriesPoint,
  type ToolDiff,
  type VersionFigures,
  type VersionInfo,
  type ApprovalView,
  type ExperimentArmView,
  rolloutOf,
} from './data.js';
export { liveFeed, type LiveEvent, type LiveEventType, type LiveFeed } from './live.js';
