import type { CommandDefinition } from '../command.js';
import { approvalsApproveCommand, approvalsListCommand, approvalsRejectCommand, approvalsShowCommand } from './approvals-commands.js';
import { exportCommand, importCommand } from './bundle-commands.js';
import { killSwitchCommand } from './kill-switch-command.js';
import { reportCommand } from './report-command.js';
import { runCommand } from './run-command.js';
import { toolsDiffCommand, toolsHistoryCommand, toolsListCommand, toolsShowCommand } from './tools-read-commands.js';
import { toolsPinCommand, toolsRollbackCommand, toolsUnpinCommand } from './tools-change-commands.js';

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
  killSwitchCommand,
  exportCommand,
  importCommand,
];
