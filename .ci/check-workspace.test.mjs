// Proves that .ci/check-workspace.mjs catches what it claims to, on a small fixture workspace,
// and that the real workspace passes it. Run: node --test .ci/
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkWorkspace } from './check-workspace.mjs';

const published = (name, extra = {}) => ({
  name,
  version: '0.0.0',
  type: 'module',
  sideEffects: false,
  engines: { node: '>=20' },
  files: ['dist'],
  exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './package.json': './package.json' },
  ...extra,
});

function fixture(packages) {
  const root = mkdtempSync(join(tmpdir(), 'tw-check-'));
  for (const [folder, { json, files }] of Object.entries(packages)) {
    const dir = join(root, folder);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'README.md'), `# ${json.name}\n`);
    writeFileSync(join(dir, 'src', 'index.ts'), 'export {};\n');
    for (const [file, text] of Object.entries(files ?? {})) writeFileSync(join(dir, 'src', file), text);
  }
  return root;
}

const roots = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

const peerOnCore = { peerDependencies: { '@toolwright/core': 'workspace:^' }, devDependencies: { '@toolwright/core': 'workspace:*' } };

describe('check-workspace', () => {
  it('accepts a well-formed workspace', () => {
    const root = fixture({
      'packages/core': { json: published('@toolwright/core') },
      'packages/sandbox': {
        json: published('@toolwright/sandbox', peerOnCore),
        files: { 'run.ts': "import { ToolwrightError } from '@toolwright/core';\nimport { x } from './index.js';\n" },
      },
    });
    roots.push(root);
    assert.deepEqual(checkWorkspace(root), []);
  });

  it("catches an import of another package's internals", () => {
    const root = fixture({
      'packages/core': { json: published('@toolwright/core') },
      'packages/sandbox': {
        json: published('@toolwright/sandbox', peerOnCore),
        files: { 'run.ts': "import { ERROR_CODES } from '@toolwright/core/src/errors.js';\n" },
      },
    });
    roots.push(root);
    const problems = checkWorkspace(root);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /is internal to @toolwright\/core/);
  });

  it('catches a relative import that leaves the package', () => {
    const root = fixture({
      'packages/core': { json: published('@toolwright/core') },
      'packages/sandbox': {
        json: published('@toolwright/sandbox', peerOnCore),
        files: { 'run.ts': "export { ToolwrightError } from '../../core/src/errors.js';\n" },
      },
    });
    roots.push(root);
    assert.match(checkWorkspace(root).join('\n'), /reaches outside @toolwright\/sandbox/);
  });

  it('catches core depending on another package, an undeclared import, a missing peer, and a cycle', () => {
    const root = fixture({
      'packages/core': {
        json: published('@toolwright/core', { dependencies: { '@toolwright/memory': 'workspace:*' } }),
        files: { 'x.ts': "import type { Memory } from '@toolwright/registry';\n" },
      },
      'packages/memory': { json: published('@toolwright/memory', { dependencies: { '@toolwright/core': 'workspace:*' } }) },
    });
    roots.push(root);
    const problems = checkWorkspace(root).join('\n');
    assert.match(problems, /@toolwright\/core must depend on no other Toolwright package/);
    assert.match(problems, /imports @toolwright\/registry without declaring it/);
    assert.match(problems, /@toolwright\/memory: declare @toolwright\/core as a peer dependency/);
    assert.match(problems, /belongs in peerDependencies/);
    assert.match(problems, /dependency cycle: @toolwright\/core → @toolwright\/memory → @toolwright\/core/);
  });

  it('lets a package depend at run time on the foundation package without becoming a composer', () => {
    const root = fixture({
      'packages/core': { json: published('@toolwright/core') },
      'packages/store': { json: published('@toolwright/store', peerOnCore) },
      'packages/memory': {
        json: published('@toolwright/memory', { ...peerOnCore, dependencies: { '@toolwright/store': 'workspace:^' } }),
        files: { 'run.ts': "import { runMigrations } from '@toolwright/store';\nimport type { Memory } from '@toolwright/core';\n" },
      },
    });
    roots.push(root);
    assert.deepEqual(checkWorkspace(root), []);
  });

  it('catches a foundation depending on anything but core, a foundation declared as a peer, and the cycle', () => {
    const root = fixture({
      'packages/core': { json: published('@toolwright/core') },
      'packages/store': {
        json: published('@toolwright/store', { ...peerOnCore, devDependencies: { ...peerOnCore.devDependencies, '@toolwright/memory': 'workspace:*' } }),
      },
      'packages/memory': {
        json: published('@toolwright/memory', { peerDependencies: { ...peerOnCore.peerDependencies, '@toolwright/store': 'workspace:^' }, devDependencies: peerOnCore.devDependencies }),
      },
      'packages/registry': {
        json: published('@toolwright/registry', { ...peerOnCore, dependencies: { '@toolwright/store': '^1.0.0', '@toolwright/memory': 'workspace:^' } }),
      },
    });
    roots.push(root);
    const problems = checkWorkspace(root).join('\n');
    assert.match(problems, /@toolwright\/store is a foundation package: it depends on @toolwright\/core alone, but declares @toolwright\/memory/);
    assert.match(problems, /@toolwright\/memory: declare @toolwright\/store in dependencies \("workspace:\^"\), not peerDependencies/);
    assert.match(problems, /@toolwright\/registry: declare @toolwright\/store as "workspace:\^"/);
    // Depending on memory at run time is a composer's privilege, and registry is not on the list.
    assert.match(problems, /@toolwright\/registry depends at run time on @toolwright\/memory, but it is not a composer/);
    assert.match(problems, /dependency cycle: @toolwright\/memory → @toolwright\/store → @toolwright\/memory/);
  });

  it('catches a package without types in its exports or without engines', () => {
    const root = fixture({
      'packages/core': {
        json: published('@toolwright/core', { engines: undefined, exports: { '.': { import: './dist/index.js' } } }),
      },
    });
    roots.push(root);
    const problems = checkWorkspace(root).join('\n');
    assert.match(problems, /engines.node must be ">=20"/);
    assert.match(problems, /needs "types" and "import"/);
  });

  it('catches shipped source importing a devDependency, and lets tests import it', () => {
    const root = fixture({
      'packages/core': { json: published('@toolwright/core') },
      'packages/sandbox': {
        json: published('@toolwright/sandbox', { ...peerOnCore, dependencies: { zod: '^4.0.0' }, devDependencies: { ...peerOnCore.devDependencies, kysely: '^0.28.0' } }),
        files: {
          'run.ts': "import { z } from 'zod';\nimport type { Kysely } from 'kysely';\nimport { readFile } from 'node:fs/promises';\nimport path from 'path';\n",
          'run.test.ts': "import { Kysely } from 'kysely';\n",
          'store.suite.ts': "import { Kysely } from 'kysely';\n",
        },
      },
    });
    roots.push(root);
    const problems = checkWorkspace(root);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], /run\.ts: shipped source imports kysely, which is only a devDependency/);
  });

  it('catches a package that is not on the composer list composing others', () => {
    const root = fixture({
      'packages/core': { json: published('@toolwright/core') },
      'packages/sandbox': { json: published('@toolwright/sandbox', peerOnCore) },
      'packages/evaluator': {
        json: published('@toolwright/evaluator', { ...peerOnCore, dependencies: { '@toolwright/sandbox': 'workspace:^' } }),
      },
    });
    roots.push(root);
    assert.match(checkWorkspace(root).join('\n'), /@toolwright\/evaluator depends at run time on @toolwright\/sandbox, but it is not a composer/);
  });

  it('catches any package but the gate importing the registry writer, tests included', () => {
    const composer = { dependencies: { '@toolwright/core': 'workspace:^', '@toolwright/registry': 'workspace:^' } };
    const root = fixture({
      'packages/core': { json: published('@toolwright/core') },
      'packages/registry': {
        json: published('@toolwright/registry', { ...peerOnCore, exports: { ...published('x').exports, './writer': { types: './dist/writer.d.ts', import: './dist/writer.js' } } }),
      },
      'packages/gate': { json: published('@toolwright/gate', composer), files: { 'gate.ts': "import { createRegistryWriter } from '@toolwright/registry/writer';\n" } },
      'packages/cli': {
        json: published('@toolwright/cli', composer),
        files: { 'seed.test.ts': "import { createRegistryWriter } from '@toolwright/registry/writer';\n" },
      },
    });
    roots.push(root);
    const problems = checkWorkspace(root);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], /packages\/cli\/src\/seed\.test\.ts: imports @toolwright\/registry\/writer; only the gate writes the registry/);
  });

  it('passes on this repository', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    assert.deepEqual(checkWorkspace(root), []);
  });
});
