import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatJson } from '../output.js';
import { UsageError } from '../usage-error.js';

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
  summary: 'Import a bundle made by `toolwright export`: new tools arrive as they were; new versions of existing tools arrive as candidates.',
  details: 'The bundle is checked whole (shape, seal, every content hash) before anything is written; a tampered bundle writes nothing (exit 1).',
  positionals: [{ name: 'file' }],
  options: { by: { type: 'string', valueName: '<person>', description: 'who imports (default: the OS user); kept in the audit log' } },
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
      const result = await toolwright.registry.importBundle(text);
      await toolwright.memory.audit({
        actor: { kind: 'person', id: by },
        action: 'bundle.import',
        reason: `bundle ${file} imported by ${by} with the toolwright CLI`,
        evidence: { file, imported: result.imported, skipped: result.skipped },
      });
      context.stdout.write(context.json ? formatJson({ file, by, ...result }) : `Imported ${result.imported} version(s) from ${file}; ${result.skipped} already present.\n`);
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};
