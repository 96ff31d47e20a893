import type { UnitOfWork } from '@toolwright/store';
import { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { BundleKey } from './bundle-signature.js';
import type { RegistryDatabase } from './registry-database.js';

/** Options of `createRegistry`. */
export interface CreateRegistryOptions {
  /** The database, e.g. from `openDatabase` of `@toolwright/memory`. The registry never closes it. */
  readonly database: RegistryDatabase;
  /** The clock for timestamps, in epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Reader: an Ed25519 private key (`KeyObject` or PEM): `exportBundle()` signs every bundle
   * with it (`signature: { algorithm: 'ed25519', value }`).
   */
  readonly bundleSigningKey?: BundleKey;
  /**
   * Writer: an Ed25519 public key (`KeyObject` or PEM): `importBundle()` imports only bundles
   * signed with its private key (`REGISTRY_BUNDLE_UNSIGNED` / `REGISTRY_BUNDLE_INVALID`).
   */
  readonly bundlePublicKey?: BundleKey;
}

/** Options of `createRegistryWriter` (`@toolwright/registry/writer`): the same as the reader's. */
export type CreateRegistryWriterOptions = CreateRegistryOptions;

/** Validates {@link CreateRegistryOptions}. */
export const storeOptionsSchema = z
  .object({
    database: z.custom<RegistryDatabase>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        ['sqlite', 'postgres'].includes((value as { dialect?: unknown }).dialect as string) &&
        typeof (value as { kysely?: unknown }).kysely === 'object' &&
        typeof (value as { listen?: unknown }).listen === 'function' &&
        typeof (value as { notify?: unknown }).notify === 'function',
      { message: 'pass a database handle: openDatabase() of @toolwright/memory returns one' },
    ),
    now: z.custom<() => number>((value) => typeof value === 'function').optional(),
    bundleSigningKey: z.custom<BundleKey>(isKey, { message: 'pass a KeyObject or PEM text of an Ed25519 private key' }).optional(),
    bundlePublicKey: z.custom<BundleKey>(isKey, { message: 'pass a KeyObject or PEM text of an Ed25519 public key' }).optional(),
  })
  .strict();

function isKey(value: unknown): boolean {
  return typeof value === 'string' || value instanceof KeyObject;
}

/** A unit of work from `runInUnit` of `@toolwright/store` (checked structurally). */
export const unitSchema = z.custom<UnitOfWork>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { kysely?: unknown }).kysely === 'object' &&
    typeof (value as { database?: unknown }).database === 'object' &&
    typeof (value as { afterCommit?: unknown }).afterCommit === 'function',
  { message: 'pass a unit of work from runInUnit() of @toolwright/store' },
);
