/**
 * `@toolwright/registry/writer`: the registry's writer, for the gate alone (`@toolwright/gate`).
 * Every write joins a unit of work of `@toolwright/store` (or opens its own) and reports the
 * change-log entries it wrote; readers (`createRegistry` of `@toolwright/registry`) hear the
 * events after the commit.
 *
 * @packageDocumentation
 */
export { createRegistryWriter } from './create-registry-writer.js';
export type { ArtifactLock, RegistryWrite, RegistryWriter } from './create-registry-writer.js';
export type { BundleImport } from './import-bundle.js';
export type { RegistryChange } from './registry-change.js';
export type { RegistryDatabase } from './registry-database.js';
export type { CreateRegistryWriterOptions } from './store-options.js';
export type { InUnit, UnitOfWork } from '@toolwright/store';
export type { ArtifactVersion, Bundle, RegisterInput, RegistryChangeEvent } from '@toolwright/core';
