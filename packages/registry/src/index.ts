/**
 * `@toolwright/registry` — interface only today. The types it will implement are re-exported
 * from `@toolwright/core`; the implementation lands with the storage issue. Nothing here pretends to work.
 *
 * @packageDocumentation
 */
export type {
  ArtifactVersion,
  Bundle,
  RegisterInput,
  Registry,
  RegistryChangeEvent,
} from '@toolwright/core';
