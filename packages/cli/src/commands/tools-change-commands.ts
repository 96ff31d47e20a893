import { RegistryError } from '@toolwright/core';
import { historyOf, parseVersion, versionOf } from '../artifact-lookup.js';
import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatJson } from '../output.js';
import { proposePersonChange } from '../person-change.js';
import { ALLOW_OPTION, PERSON_OPTIONS } from './shared-options.js';

/** `toolwright tools rollback <name> <version>`. */
export const toolsRollbackCommand: CommandDefinition = {
  path: ['tools', 'rollback'],
  summary: 'Make a retired version of a tool active again (back, or forward again after a rollback).',
  details: 'The safety policy reviews it as a person\'s change; it is refused while the tool is pinned or the kill switch is on.',
  positionals: [{ name: 'name' }, { name: 'version' }],
  options: { ...PERSON_OPTIONS, ...ALLOW_OPTION },
  async run(context) {
    const name = context.args['name'] ?? '';
    const toVersion = parseVersion(context.args['version'], '<version>', 'tools rollback');
    const toolwright = await context.open();
    try {
      const history = await historyOf(toolwright, name);
      const target = versionOf(history, name, toVersion);
      const active = history.find((version) => version.status === 'active');
      if (active?.version === toVersion) {
        context.stdout.write(context.json ? formatJson({ done: true, name, active: toVersion, changed: false }) : `${name} v${toVersion} is already active; nothing changed.\n`);
        return EXIT_CODES.ok;
      }
      if (target.pinned) {
        throw new RegistryError('REGISTRY_PINNED', `"${name}" is pinned; nothing changed. \`toolwright tools unpin ${name}\` first.`, { details: { name } });
      }
      if (target.status !== 'retired' || active === undefined) {
        throw new RegistryError(
          'REGISTRY_INVALID_TRANSITION',
          `${name} v${toVersion} is ${target.status}; only a retired version can be rolled back to${active === undefined ? ', and the tool has no active version' : ''}. A candidate becomes active through \`toolwright approvals approve\`.`,
          { details: { name, version: toVersion, status: target.status } },
        );
      }
      const by = context.person();
      return await proposePersonChange(context, toolwright, { kind: 'rollback', origin: 'person', name, fromVersion: active.version, toVersion }, () => ({
        message: `${name}: v${active.version} → v${toVersion} (now active), by ${by}.`,
        result: { name, from: active.version, active: toVersion, changed: true },
      }));
    } finally {
      await toolwright.close();
    }
  },
};

function pinCommand(kind: 'pin' | 'unpin'): CommandDefinition {
  return {
    path: ['tools', kind],
    summary:
      kind === 'pin'
        ? 'Pin a tool: its active version stays; promotions, rewrites and rollbacks are refused until unpinned.'
        : 'Unpin a tool: it may be promoted, rewritten and rolled back again.',
    positionals: [{ name: 'name' }],
    options: PERSON_OPTIONS,
    async run(context) {
      const name = context.args['name'] ?? '';
      const toolwright = await context.open();
      try {
        const history = await historyOf(toolwright, name);
        const active = history.find((version) => version.status === 'active');
        const pinned = history[0]?.pinned ?? false;
        if (pinned === (kind === 'pin')) {
          context.stdout.write(context.json ? formatJson({ done: true, name, pinned, changed: false }) : `${name} is already ${kind === 'pin' ? 'pinned' : 'unpinned'}; nothing changed.\n`);
          return EXIT_CODES.ok;
        }
        const by = context.person();
        return await proposePersonChange(context, toolwright, { kind, origin: 'person', name }, () => ({
          message: `${name} ${kind === 'pin' ? 'pinned' : 'unpinned'} by ${by}${active === undefined ? '' : ` (at v${active.version})`}.`,
          result: { name, pinned: kind === 'pin', changed: true },
        }));
      } finally {
        await toolwright.close();
      }
    },
  };
}

/** `toolwright tools pin <name>`. */
export const toolsPinCommand = pinCommand('pin');
/** `toolwright tools unpin <name>`. */
export const toolsUnpinCommand = pinCommand('unpin');
