import type { ArtifactVersion } from '@toolwright/core';
import { historyOf, parseVersion, versionOf } from '../artifact-lookup.js';
import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatJson, formatTable, formatTime, truncate } from '../output.js';

const STATUSES = ['active', 'candidate', 'retired', 'rejected'] as const;

/** `toolwright tools list`. */
export const toolsListCommand: CommandDefinition = {
  path: ['tools', 'list'],
  summary: 'List the tools: active version, number of versions, candidates waiting, pin, description.',
  positionals: [],
  options: {},
  async run(context) {
    const toolwright = await context.open();
    try {
      const names = new Set<string>();
      for (const status of STATUSES) for (const version of await toolwright.registry.list({ kind: 'tool', status })) names.add(version.name);
      const tools = [];
      for (const name of [...names].sort()) {
        const history = await toolwright.registry.history(name);
        const active = history.find((version) => version.status === 'active');
        const latest = history[history.length - 1];
        tools.push({
          name,
          activeVersion: active?.version ?? null,
          versions: history.length,
          candidates: history.filter((version) => version.status === 'candidate').map((version) => version.version),
          pinned: latest?.pinned ?? false,
          description: (active ?? latest)?.spec?.description ?? '',
          author: (active ?? latest)?.author ?? null,
        });
      }
      if (context.json) context.stdout.write(formatJson(tools));
      else if (tools.length === 0) context.stdout.write('No tools yet. `toolwright run "<task>" --examples file.json` lets the agent write one.\n');
      else
        context.stdout.write(
          formatTable(
            ['name', 'active', 'versions', 'candidates', 'pinned', 'author', 'description'],
            tools.map((tool) => [tool.name, tool.activeVersion === null ? '-' : `v${tool.activeVersion}`, tool.versions, tool.candidates.map((n) => `v${n}`).join(','), tool.pinned, tool.author ? `${tool.author.kind}:${tool.author.id}` : '-', truncate(tool.description, 60)]),
          ),
        );
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

function describeVersion(version: ArtifactVersion): string {
  const lines = [
    `${version.name} v${version.version}  (${version.status}${version.pinned ? ', pinned' : ''})`,
    `author:      ${version.author.kind}:${version.author.id}`,
    `created:     ${formatTime(version.createdAt)}`,
    `parent:      ${version.parent === null ? '-' : `v${version.parent}`}`,
    `reason:      ${version.reason}`,
    `hash:        ${version.contentHash}`,
  ];
  if (version.spec) {
    lines.push(`description: ${version.spec.description}`, `language:    ${version.spec.language}`);
    lines.push(`input:       ${JSON.stringify(version.spec.inputSchema)}`);
    lines.push(`capabilities: ${version.spec.capabilities.length === 0 ? 'none' : JSON.stringify(version.spec.capabilities)}`);
    lines.push(`examples:    ${version.spec.examples.length}`);
  }
  return `${lines.join('\n')}\n\n${version.source.endsWith('\n') ? version.source : `${version.source}\n`}`;
}

/** `toolwright tools show <name> [--version n]`. */
export const toolsShowCommand: CommandDefinition = {
  path: ['tools', 'show'],
  summary: 'Show one version of a tool (the active one by default, else the newest): metadata, spec and source.',
  positionals: [{ name: 'name' }],
  options: { version: { type: 'string', valueName: '<n>', description: 'the version to show' } },
  async run(context) {
    const name = context.args['name'] ?? '';
    const wanted = context.options['version'];
    const versionNumber = typeof wanted === 'string' ? parseVersion(wanted, '--version', 'tools show') : undefined;
    const toolwright = await context.open();
    try {
      const history = await historyOf(toolwright, name);
      const version =
        versionNumber === undefined
          ? (history.find((entry) => entry.status === 'active') ?? history[history.length - 1])
          : versionOf(history, name, versionNumber);
      if (!version) return EXIT_CODES.notFound;
      context.stdout.write(context.json ? formatJson(version) : describeVersion(version));
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** `toolwright tools history <name>`. */
export const toolsHistoryCommand: CommandDefinition = {
  path: ['tools', 'history'],
  summary: 'Every version of a tool, oldest first, and the change log: registrations, promotions, rollbacks, pins.',
  positionals: [{ name: 'name' }],
  options: {},
  async run(context) {
    const name = context.args['name'] ?? '';
    const toolwright = await context.open();
    try {
      const history = await historyOf(toolwright, name);
      const changes = await toolwright.registry.changeLog(name);
      if (context.json) {
        context.stdout.write(formatJson({ name, versions: history.map(({ source: _source, ...rest }) => rest), changes }));
        return EXIT_CODES.ok;
      }
      context.stdout.write(
        formatTable(
          ['version', 'status', 'pinned', 'parent', 'author', 'created', 'hash', 'reason'],
          history.map((version) => [
            `v${version.version}`,
            version.status,
            version.pinned,
            version.parent === null ? '-' : `v${version.parent}`,
            `${version.author.kind}:${version.author.id}`,
            formatTime(version.createdAt),
            version.contentHash.slice(0, 12),
            truncate(version.reason, 70),
          ]),
        ),
      );
      context.stdout.write('\nChanges:\n');
      context.stdout.write(
        formatTable(
          ['at', 'change', 'version', 'previous', 'reason'],
          changes.map((change) => [formatTime(change.at), change.type, `v${change.version}`, change.previous === undefined ? '-' : `v${change.previous}`, truncate(change.reason ?? '', 70)]),
        ),
      );
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** `toolwright tools diff <name> <a> <b>`. */
export const toolsDiffCommand: CommandDefinition = {
  path: ['tools', 'diff'],
  summary: 'A unified diff of two versions of a tool: the source, then the spec when it differs.',
  positionals: [{ name: 'name' }, { name: 'a' }, { name: 'b' }],
  options: {},
  async run(context) {
    const name = context.args['name'] ?? '';
    const from = parseVersion(context.args['a'], '<a>', 'tools diff');
    const to = parseVersion(context.args['b'], '<b>', 'tools diff');
    const toolwright = await context.open();
    try {
      const history = await historyOf(toolwright, name);
      versionOf(history, name, from);
      versionOf(history, name, to);
      const diff = await toolwright.registry.diff(name, from, to);
      context.stdout.write(context.json ? formatJson({ name, from, to, diff }) : diff.endsWith('\n') ? diff : `${diff}\n`);
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};
