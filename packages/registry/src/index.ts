/**
 * `@toolwright/registry`: what exists — tools and prompt sections, their versions,
 * statuses, pins, promotions, rollbacks, diffs and bundles — persisted through kysely in
 * SQLite or PostgreSQL, with change events across processes.
 *
 * @packageDocumentation
 */
export { createRegistry, REGISTRY_CHANNEL } from './create-registry.js';
export type { CreateRegistryOptions, RegistryChange, RegistryStore } from './create-registry.js';
export type { RegistryDatabase } from './registry-database.js';
export { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION } from './bundle.js';
export { REGISTRY_MIGRATION_TABLE } from './migrations/registry-migrations.js';
export type { ArtifactVersion, Bundle, RegisterInput, Registry, RegistryChangeEvent } from '@toolwright/core';
