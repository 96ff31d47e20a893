import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatJson } from '../output.js';
import { reportOutcome } from '../person-change.js';
import { UsageError } from '../usage-error.js';
import { ALLOW_OPTION } from './shared-options.js';

/** `toolwright export [--out file]`. */
export const exportCommand: CommandDefinition = {
  path: ['export'],
  summary: 'Export every version of every tool and prompt section as a sealed JSON bundle (to stdout, or --out).',
  positionals: [],
  options: { out: { type: 'string', short: 'o', valueName: '<file>', description: 'write the bundle to this file instead of stdout' } },
  async run(context) {
    const out = typeof context.options['out'] === 'string' ? resolve(context.cwd, context.options['out']) : undefined;
    const toolwright = await context.open();
    try {
      const bundle = await toolwright.registry.exportBundle();
      const text = formatJson(bundle);
      if (out === undefined) {
        context.stdout.write(text);
        return EXIT_CODES.ok;
      }
      await writeFile(out, text);
      const artifacts = new Set(bundle.versions.map((version) => version.name)).size;
      const summary = { out, artifacts, versions: bundle.versions.length, bundleHash: bundle.bundleHash };
      context.stdout.write(context.json ? formatJson(summary) : `Exported ${summary.versions} version(s) of ${artifacts} artifact(s) to ${out} (bundle hash ${bundle.bundleHash.slice(0, 12)}).\n`);
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** `toolwright import <file>`. */
export const importCommand: CommandDefinition = {
  path: ['import'],
  summary: 'Import a bundle made by `toolwright export` through the gate: its versions arrive as candidates, and each version it marks active is proposed as a change of its own.',
  details: 'The bundle is checked whole (shape, seal, every content hash) before anything is written; a tampered bundle writes nothing (exit 1), and so does the kill switch. Tools are proven on their examples before they become active; changes that need a person are queued (see `toolwright approvals`).',
  positionals: [{ name: 'file' }],
  options: { by: { type: 'string', valueName: '<person>', description: 'who imports (default: the OS user); kept in the audit log' }, ...ALLOW_OPTION },
  createsDatabase: true,
  async run(context) {
    const path = context.args['file'] ?? '';
    const file = resolve(context.cwd, path);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read the bundle ${file} (${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}).`, 'import');
    }
    const by = context.person();
    const toolwright = await context.open();
    try {
      const outcome = await toolwright.gate.importBundle(text, { by, reason: `bundle ${file} imported by ${by} with the toolwright CLI` });
      const activations = outcome.status === 'applied' ? (outcome.imported?.activations ?? []) : [];
      const imported = outcome.status === 'applied' ? outcome.imported : undefined;
      const lines = activations.map((activation) => `  ${activation.status}: ${activation.summary}`);
      return reportOutcome(context, outcome, {
        message: [`Imported ${imported?.versions ?? 0} version(s) from ${file} as candidates; ${imported?.skipped ?? 0} already present.`, ...lines].join('\n'),
        result: {
          file,
          by,
          imported: imported?.versions ?? 0,
          skipped: imported?.skipped ?? 0,
          activations: activations.map((activation) => ({ status: activation.status, summary: activation.summary, ...(activation.status === 'queued' ? { approvalId: activation.approvalId } : {}) })),
        },
      });
    } finally {
      await toolwright.close();
    }
  },
};
