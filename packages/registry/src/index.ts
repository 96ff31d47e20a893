/**
 * `@toolwright/registry`: what exists — tools and prompt sections, their versions,
 * statuses, pins, diffs and bundles — persisted through kysely in SQLite or PostgreSQL, with
 * change events across processes. This entry reads; the writer, for the gate alone, is
 * `@toolwright/registry/writer`.
 *
 * @packageDocumentation
 */
export { createRegistry } from './create-registry.js';
export type { RegistryStore } from './create-registry.js';
export { REGISTRY_CHANNEL } from './change-bus.js';
export type { CreateRegistryOptions } from './store-options.js';
export type { RegistryChange } from './registry-change.js';
export type { RegistryDatabase } from './registry-database.js';
export { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, readBundle } from './bundle.js';
export type { BundleSummary } from './bundle.js';
export type { BundleKey, BundleSignature, SignedBundle } from './bundle-signature.js';
export { REGISTRY_MIGRATION_TABLE } from './migrations/registry-migrations.js';
export type { ArtifactVersion, Bundle, RegistryChangeEvent, RegistryReader } from '@toolwright/core';
