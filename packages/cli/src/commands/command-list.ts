import type { CommandDefinition } from '../command.js';
import { approvalsApproveCommand, approvalsListCommand, approvalsRejectCommand, approvalsShowCommand } from './approvals-commands.js';
import { exportCommand, importCommand } from './bundle-commands.js';
import { consoleCommand } from './console-command.js';
import { experimentsListCommand, experimentsShowCommand, experimentsStopCommand } from './experiments-commands.js';
import { feedbackCommand } from './feedback-command.js';
import { killSwitchCommand } from './kill-switch-command.js';
import { mcpCommand } from './mcp-command.js';
import { reportCommand } from './report-command.js';
import { runCommand } from './run-command.js';
import { toolsDiffCommand, toolsHistoryCommand, toolsListCommand, toolsShowCommand } from './tools-read-commands.js';
import { toolsPinCommand, toolsRollbackCommand, toolsUnpinCommand } from './tools-change-commands.js';
import { workerCommand } from './worker-command.js';
import { preferencesCommands } from './preferences-commands.js';

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly CommandDefinition[] = [
  runCommand,
  toolsListCommand,
  toolsShowCommand,
  toolsHistoryCommand,
  toolsDiffCommand,
  toolsRollbackCommand,
  toolsPinCommand,
  toolsUnpinCommand,
  approvalsListCommand,
  approvalsShowCommand,
  approvalsApproveCommand,
  approvalsRejectCommand,
  reportCommand,
  experimentsListCommand,
  experimentsShowCommand,
  experimentsStopCommand,
  feedbackCommand,
  killSwitchCommand,
  exportCommand,
  importCommand,
  mcpCommand,
  consoleCommand,
  workerCommand,
  ...preferencesCommands,
];
