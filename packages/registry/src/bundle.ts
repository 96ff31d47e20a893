import {
  type ArtifactVersion,
  artifactVersionSchema,
  type Bundle,
  contentHash,
  type JsonValue,
  RegistryError,
} from '@toolwright/core';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { type BundleKey, bundleSignatureSchema, checkBundleSignature, verifyingKeyOf } from './bundle-signature.js';
import { containsNul } from './nul.js';

/** The bundle format this code writes and reads. */
export const BUNDLE_FORMAT = 'toolwright.bundle';
/** The bundle format version this code writes; it reads this one only. */
export const BUNDLE_FORMAT_VERSION = 1;

const bundleSchema = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    formatVersion: z.number().int().min(1),
    exportedAt: z.number().int().nonnegative(),
    versions: z.array(z.unknown()),
    bundleHash: z.string().regex(/^[0-9a-f]{64}$/, 'a bundle hash is 64 lowercase hex digits'),
    signature: bundleSignatureSchema.optional(),
  })
  .strict();

/** The content hash of a version: `contentHash({ kind, name, source, spec })`. */
export function versionContentHash(version: Pick<ArtifactVersion, 'kind' | 'name' | 'source' | 'spec'>): string {
  return contentHash({ kind: version.kind, name: version.name, source: version.source, spec: version.spec });
}

/** The hash that seals a bundle: over every other field, every version in full. */
export function bundleHashOf(bundle: Pick<Bundle, 'format' | 'formatVersion' | 'exportedAt'> & { readonly versions: readonly unknown[] }): string {
  return contentHash({ format: bundle.format, formatVersion: bundle.formatVersion, exportedAt: bundle.exportedAt, versions: bundle.versions });
}

/** Builds a sealed bundle of `versions`. */
export function sealBundle(versions: readonly ArtifactVersion[], exportedAt: number): Bundle {
  const unsealed = { format: BUNDLE_FORMAT, formatVersion: BUNDLE_FORMAT_VERSION, exportedAt, versions } as const;
  return { ...unsealed, bundleHash: bundleHashOf(unsealed) };
}

function invalid(message: string, details?: Record<string, unknown>): RegistryError {
  return new RegistryError('REGISTRY_BUNDLE_INVALID', `${message} Nothing was imported.`, details === undefined ? {} : { details });
}

/** Options of {@link checkBundle} and {@link readBundle}. */
export interface CheckBundleOptions {
  /**
   * An Ed25519 public key (checked with `verifyingKeyOf`): the bundle must carry a signature
   * that verifies with it (`REGISTRY_BUNDLE_UNSIGNED` without one, `REGISTRY_BUNDLE_INVALID`
   * for a wrong one). Without a key, a signature is neither required nor checked.
   */
  readonly publicKey?: KeyObject;
}

/**
 * Validates a bundle completely before anything is written: its shape, its format version,
 * the seal over the whole bundle, its signature when a public key is given, every version
 * against `artifactVersionSchema` and its own
 * content hash, and its consistency (unique versions, one kind and one pin state per
 * artifact, at most one active version, parents inside the bundle, no duplicate content).
 * Returns the bundle's hash and its versions grouped by artifact, oldest first.
 */
export function checkBundle(input: JsonValue | Bundle | string, options: CheckBundleOptions = {}): CheckedBundle {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw invalid(`The bundle is not valid JSON (${(error as Error).message}).`);
    }
  }
  const shape = bundleSchema.safeParse(value);
  if (!shape.success) {
    throw invalid(`The bundle is malformed:\n${z.prettifyError(shape.error)}`, {
      issues: shape.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
    });
  }
  const bundle = shape.data;
  if (bundle.formatVersion !== BUNDLE_FORMAT_VERSION) {
    throw invalid(
      `The bundle has format version ${bundle.formatVersion}; this @toolwright/registry reads version ${BUNDLE_FORMAT_VERSION}. Upgrade to import it.`,
    );
  }
  let sealed: string;
  try {
    sealed = bundleHashOf(bundle);
  } catch {
    throw invalid('The bundle holds values JSON cannot represent.');
  }
  if (sealed !== bundle.bundleHash) {
    throw invalid('The bundle hash does not match its contents: the bundle was altered or corrupted after export.', {
      expected: bundle.bundleHash,
      actual: sealed,
    });
  }
  if (options.publicKey !== undefined) checkBundleSignature(bundle.bundleHash, bundle.signature, options.publicKey);

  const byName = new Map<string, ArtifactVersion[]>();
  bundle.versions.forEach((raw, index) => {
    const parsed = artifactVersionSchema.safeParse(raw);
    if (!parsed.success) {
      throw invalid(`Version ${index} of the bundle is invalid:\n${z.prettifyError(parsed.error)}`, { index });
    }
    const version = parsed.data;
    // PostgreSQL text and jsonb cannot hold NUL, and SQLite would: refused alike on both.
    if (containsNul(version)) {
      throw invalid(`${version.name}@${version.version} holds a NUL character (\\0), which no registry stores.`, { name: version.name, version: version.version });
    }
    if (versionContentHash(version) !== version.contentHash) {
      throw invalid(`${version.name}@${version.version} does not match its content hash: its source or spec was altered.`, {
        name: version.name,
        version: version.version,
      });
    }
    const list = byName.get(version.name) ?? [];
    list.push(version);
    byName.set(version.name, list);
  });

  for (const [name, versions] of byName) {
    versions.sort((a, b) => a.version - b.version);
    const numbers = new Set<number>();
    const hashes = new Set<string>();
    for (const version of versions) {
      if (numbers.has(version.version)) throw invalid(`${name}@${version.version} appears twice.`);
      if (hashes.has(version.contentHash)) throw invalid(`${name} holds the same content twice (${name}@${version.version}).`);
      numbers.add(version.version);
      hashes.add(version.contentHash);
      if (version.kind !== versions[0]?.kind) throw invalid(`${name} mixes kinds ${versions[0]?.kind} and ${version.kind}.`);
      if (version.pinned !== versions[0]?.pinned) throw invalid(`${name} is pinned in some versions and not in others.`);
      if (version.parent !== null && (version.parent >= version.version || !versions.some((other) => other.version === version.parent))) {
        throw invalid(`${name}@${version.version} names parent ${version.parent}, which is not an earlier version in the bundle.`);
      }
    }
    if (versions.filter((version) => version.status === 'active').length > 1) throw invalid(`${name} has more than one active version.`);
  }
  return { bundleHash: bundle.bundleHash, artifacts: byName };
}

/** A bundle that passed {@link checkBundle}. */
export interface CheckedBundle {
  readonly bundleHash: string;
  /** The versions of each artifact, oldest first. */
  readonly artifacts: ReadonlyMap<string, readonly ArtifactVersion[]>;
}

/** What a bundle holds, from {@link readBundle}. */
export interface BundleSummary {
  /** The bundle's seal, `contentHash({ format, formatVersion, exportedAt, versions })`. */
  readonly bundleHash: string;
  /** The artifacts it holds, sorted by name. */
  readonly names: string[];
  /** How many versions it holds, of all artifacts. */
  readonly versions: number;
}

/**
 * Validates a bundle exactly as an import does, writing nothing, and says what it holds: so a
 * caller can describe an import (an `import-bundle` change) before proposing it.
 * A corrupted or tampered bundle is `REGISTRY_BUNDLE_INVALID`. With `options.publicKey` (a
 * `KeyObject` or PEM text of an Ed25519 public key), the bundle must be signed with its
 * private key: unsigned is `REGISTRY_BUNDLE_UNSIGNED`, wrongly signed `REGISTRY_BUNDLE_INVALID`.
 *
 * @example
 * ```ts
 * const { bundleHash, names } = readBundle(await readFile('toolkit.json', 'utf8'));
 * await gate.propose({ kind: 'import-bundle', origin: 'person', bundleHash, names }, { by: 'ana' });
 * ```
 */
export function readBundle(bundle: JsonValue | Bundle | string, options: { readonly publicKey?: BundleKey } = {}): BundleSummary {
  const { bundleHash, artifacts } = checkBundle(bundle, options.publicKey === undefined ? {} : { publicKey: verifyingKeyOf(options.publicKey) });
  let versions = 0;
  for (const list of artifacts.values()) versions += list.length;
  return { bundleHash, names: [...artifacts.keys()].sort(), versions };
}
