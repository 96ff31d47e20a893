#!/usr/bin/env node
// Checks the shape of the workspace that no compiler checks:
// - every publishable package has the fields a consumer relies on (exports with types, files,
//   engines, sideEffects, README, src/index.ts);
// - dependency direction: @toolwright/core depends on no other Toolwright package; a foundation
//   package (@toolwright/store: plumbing several packages share) depends on core alone, and
//   others may depend on it at run time without becoming composers; every package but a
//   composer takes core as a peer dependency plus a workspace dev dependency; no cycles;
// - composers (packages that depend at run time on other Toolwright packages than core and the
//   foundations) are an explicit list, COMPOSERS; any other package that does so is a problem;
// - no package imports another package's internals, imports a package it does not declare,
//   or reaches outside its own folder with a relative import; shipped source (everything but
//   tests, test support and fixtures) may import only what the package declares in dependencies,
//   peerDependencies or optionalDependencies — a devDependency is not there for a consumer;
// - only the gate writes the registry: no package but @toolwright/gate (and the registry itself)
//   imports @toolwright/registry/writer, tests included.
// Usage: node .ci/check-workspace.mjs [workspace-root]   (exit 1 and a list of problems when any)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';

const SCOPE = '@toolwright/';
const CORE = '@toolwright/core';
const UMBRELLA = 'toolwright';
/**
 * Foundation packages: shared infrastructure that sits just above core (it depends on core
 * alone), which the other packages may take as ordinary dependencies without becoming composers.
 */
export const FOUNDATIONS = new Set(['@toolwright/store']);
/**
 * Composers: the packages that wire other Toolwright packages together at run time. A package
 * joins this list deliberately, in review; nothing becomes a composer by accident.
 */
export const COMPOSERS = new Set(['@toolwright/gate', 'toolwright', '@toolwright/mcp', '@toolwright/console', '@toolwright/cli', '@toolwright/demo']);
/** The registry's writer: the gate's alone. */
export const REGISTRY_WRITER = '@toolwright/registry/writer';
export const REGISTRY_WRITERS = new Set(['@toolwright/gate', '@toolwright/registry']);
const TEST_FILE = /(\.(test|suite)\.[cm]?[jt]sx?$)|([\\/](test-support|__fixtures__)[\\/])/;
const NODE_BUILTINS = new Set(builtinModules);
const SOURCE_FILE = /\.(c|m)?tsx?$|\.(c|m)?jsx?$/;
const IMPORT_PATTERNS = [
  /\bimport\s+(?:type\s+)?[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /\bexport\s+(?:type\s+)?[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** @param {string} root @returns {{ dir: string, json: any }[]} */
function listWorkspaces(root) {
  const workspaces = [];
  for (const group of ['packages', 'apps']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir).sort()) {
      const dir = join(groupDir, entry);
      const manifest = join(dir, 'package.json');
      if (statSync(dir).isDirectory() && existsSync(manifest)) {
        workspaces.push({ dir, json: JSON.parse(readFileSync(manifest, 'utf8')) });
      }
    }
  }
  return workspaces;
}

/** @param {string} dir @returns {string[]} */
function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (SOURCE_FILE.test(entry.name)) files.push(path);
  }
  return files;
}

/** @param {string} text @returns {string[]} */
function importsOf(text) {
  const withoutComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const specifiers = new Set();
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of withoutComments.matchAll(pattern)) specifiers.add(match[1]);
  }
  return [...specifiers];
}

/** @param {any} json */
function declaredDependencies(json) {
  return new Set([
    ...Object.keys(json.dependencies ?? {}),
    ...Object.keys(json.peerDependencies ?? {}),
    ...Object.keys(json.devDependencies ?? {}),
    ...Object.keys(json.optionalDependencies ?? {}),
  ]);
}

/** What shipped source may import: everything but devDependencies. @param {any} json */
function shippedDependencies(json) {
  return new Set([
    ...Object.keys(json.dependencies ?? {}),
    ...Object.keys(json.peerDependencies ?? {}),
    ...Object.keys(json.optionalDependencies ?? {}),
  ]);
}

/** The package a bare specifier names: `kysely`, `@scope/name`. @param {string} specifier */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** @param {any} json */
function internalDependencies(json) {
  return [...declaredDependencies(json)].filter(isInternal);
}

/** @param {string} name */
function isInternal(name) {
  return name.startsWith(SCOPE) || name === UMBRELLA;
}

/**
 * A composer depends at runtime on Toolwright packages other than core and the foundations
 * (e.g. the umbrella `toolwright`). @param {any} json
 */
function isComposer(json) {
  return Object.keys(json.dependencies ?? {}).some((name) => isInternal(name) && name !== CORE && !FOUNDATIONS.has(name));
}

/**
 * @param {string} root
 * @returns {string[]} problems, one sentence each
 */
export function checkWorkspace(root) {
  const problems = [];
  const workspaces = listWorkspaces(root);
  const byName = new Map(workspaces.map((workspace) => [workspace.json.name, workspace]));

  for (const { dir, json } of workspaces) {
    const where = relative(root, dir);
    const name = json.name ?? where;
    if (!json.name?.startsWith(SCOPE) && json.name !== UMBRELLA) problems.push(`${where}: the package name must start with ${SCOPE} (or be the umbrella "${UMBRELLA}")`);
    if (json.engines?.node !== '>=20') problems.push(`${name}: engines.node must be ">=20"`);
    if (json.type !== 'module') problems.push(`${name}: "type" must be "module" (ESM only)`);
    if (!existsSync(join(dir, 'src', 'index.ts')) && !existsSync(join(dir, 'src', 'main.ts'))) {
      problems.push(`${name}: src/index.ts is missing`);
    }
    if (!existsSync(join(dir, 'README.md'))) problems.push(`${name}: README.md is missing`);

    if (!json.private) {
      if (typeof json.sideEffects !== 'boolean' && !Array.isArray(json.sideEffects)) {
        problems.push(`${name}: declare "sideEffects"`);
      }
      if (!Array.isArray(json.files) || !json.files.includes('dist')) problems.push(`${name}: "files" must include "dist"`);
      const root = json.exports?.['.'];
      if (!root || typeof root !== 'object' || !root.types || !root.import) {
        problems.push(`${name}: exports["."] needs "types" and "import"`);
      }
      for (const [subpath, target] of Object.entries(json.exports ?? {})) {
        if (subpath === './package.json') continue;
        if (typeof target !== 'object' || !target.types) problems.push(`${name}: exports["${subpath}"] needs "types"`);
        else if (Object.keys(target)[0] !== 'types') problems.push(`${name}: exports["${subpath}"]: "types" must come first`);
      }
    }

    const internal = internalDependencies(json);
    if (json.name === CORE) {
      for (const dependency of internal) problems.push(`${CORE} must depend on no other Toolwright package, but declares ${dependency}`);
    } else if (isComposer(json) && !COMPOSERS.has(json.name)) {
      problems.push(`${name} depends at run time on ${Object.keys(json.dependencies ?? {}).filter((dependency) => isInternal(dependency) && dependency !== CORE && !FOUNDATIONS.has(dependency)).join(', ')}, but it is not a composer: a domain package depends on core and the foundations alone (an interface both need belongs in core), or the package is added to COMPOSERS in .ci/check-workspace.mjs`);
    } else if (!json.private && isComposer(json)) {
      // A composer (the umbrella package) ships every part: core is an ordinary dependency.
      if (!json.dependencies?.[CORE]?.startsWith('workspace:')) problems.push(`${name}: a composer declares ${CORE} in dependencies`);
    } else if (!json.private) {
      if (!json.peerDependencies?.[CORE]?.startsWith('workspace:')) {
        problems.push(`${name}: declare ${CORE} as a peer dependency ("workspace:^")`);
      }
      if (!json.devDependencies?.[CORE]?.startsWith('workspace:')) {
        problems.push(`${name}: declare ${CORE} as a dev dependency ("workspace:*")`);
      }
      if (json.dependencies?.[CORE]) problems.push(`${name}: ${CORE} belongs in peerDependencies, not dependencies`);
    }
    if (FOUNDATIONS.has(json.name)) {
      for (const dependency of internal) {
        if (dependency !== CORE) problems.push(`${name} is a foundation package: it depends on ${CORE} alone, but declares ${dependency}`);
      }
    }
    for (const foundation of FOUNDATIONS) {
      // A foundation is ordinary runtime plumbing, not a second copy of the spec: never a peer.
      if (json.peerDependencies?.[foundation]) problems.push(`${name}: declare ${foundation} in dependencies ("workspace:^"), not peerDependencies`);
      else if (json.dependencies?.[foundation]?.startsWith('workspace:') === false) problems.push(`${name}: declare ${foundation} as "workspace:^"`);
    }
    for (const dependency of internal) {
      const target = byName.get(dependency);
      if (!target) problems.push(`${name}: depends on ${dependency}, which is not in this workspace`);
      else if (target.json.private) problems.push(`${name}: depends on ${dependency}, which is private`);
    }

    const declared = declaredDependencies(json);
    const shipped = shippedDependencies(json);
    for (const file of sourceFiles(join(dir, 'src'))) {
      const at = relative(root, file);
      const isTest = TEST_FILE.test(file);
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        if (specifier === REGISTRY_WRITER || specifier.startsWith(`${REGISTRY_WRITER}/`)) {
          if (!REGISTRY_WRITERS.has(json.name)) problems.push(`${at}: imports ${REGISTRY_WRITER}; only the gate writes the registry — propose the change through the gate (gate.propose) instead`);
        }
        if (!specifier.startsWith('.') && !specifier.startsWith('node:') && !NODE_BUILTINS.has(specifier) && !isTest && !json.private) {
          const dependency = packageOf(specifier);
          if (dependency !== json.name && declared.has(dependency) && !shipped.has(dependency)) {
            problems.push(`${at}: shipped source imports ${dependency}, which is only a devDependency of ${name}; declare it in dependencies (or peerDependencies), or move the import to a test`);
          }
        }
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (target !== dir && !target.startsWith(dir + sep)) {
            problems.push(`${at}: "${specifier}" reaches outside ${name}; import the other package by name`);
          }
          continue;
        }
        const [, packageName = '', ...rest] = /^(@toolwright\/[^/]+|toolwright)(?:\/(.*))?$/.exec(specifier) ?? [];
        if (!isInternal(packageName)) continue;
        const subpath = rest[0] === undefined ? '.' : `./${rest[0]}`;
        if (packageName === json.name) {
          problems.push(`${at}: imports its own package "${specifier}"; use a relative import`);
          continue;
        }
        if (!declared.has(packageName)) problems.push(`${at}: imports ${packageName} without declaring it in package.json`);
        const target = byName.get(packageName);
        if (target && !Object.hasOwn(target.json.exports ?? {}, subpath)) {
          problems.push(`${at}: "${specifier}" is internal to ${packageName}; only its exports (${Object.keys(target.json.exports ?? {}).join(', ')}) are public`);
        }
      }
    }
  }

  // Cycles over declared internal dependencies.
  const state = new Map();
  const visit = (name, path) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'active') {
      problems.push(`dependency cycle: ${[...path.slice(path.indexOf(name)), name].join(' → ')}`);
      return;
    }
    state.set(name, 'active');
    for (const dependency of internalDependencies(byName.get(name)?.json ?? {})) {
      if (byName.has(dependency)) visit(dependency, [...path, name]);
    }
    state.set(name, 'done');
  };
  for (const name of byName.keys()) visit(name, []);

  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const problems = checkWorkspace(root);
  if (problems.length > 0) {
    console.error(`check-workspace: ${problems.length} problem(s):`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exit(1);
  }
  console.log(`check-workspace: ${listWorkspaces(root).length} workspaces, dependency direction and imports OK`);
}
