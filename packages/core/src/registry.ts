import type { ArtifactKind, ArtifactVersion, Author, ToolManifest, VersionStatus } from './artifact.js';

/** A new version to register (by the gate). Registering content identical to an existing version returns that version. */
export interface RegisterInput {
  readonly kind: ArtifactKind;
  readonly name: string;
  /** The tool module, or the prompt section's text. */
  readonly source: string;
  /** The tool manifest; required for tools, absent for prompt sections. */
  readonly spec?: ToolManifest;
  readonly author: Author;
  readonly reason: string;
  /** The version this one derives from, or `null` for a first version. */
  readonly parent: number | null;
}

/** Something changed in the registry (in this process, or in another one sharing the database). */
export interface RegistryChangeEvent {
  readonly type: 'registered' | 'promoted' | 'rejected' | 'retired' | 'rolled-back' | 'pinned' | 'unpinned';
  readonly name: string;
  readonly version: number;
  /** The previously active version, for `promoted` and `rolled-back`. */
  readonly previous?: number;
}

/** A portable toolkit: artifacts and their versions, with hashes checked on import. */
export interface Bundle {
  readonly format: 'toolwright.bundle';
  readonly formatVersion: number;
  readonly exportedAt: number;
  readonly versions: readonly ArtifactVersion[];
  /**
   * `contentHash({ format, formatVersion, exportedAt, versions })`: covers every field of every
   * version (content hashes, statuses, authors, reasons), so a mismatch means the bundle was altered.
   */
  readonly bundleHash: string;
}

/**
 * What exists, read-only: artifacts, their versions and statuses. Exactly one version of an
 * artifact is active at a time. Everyone reads the registry; only the {@link ChangeGate}
 * writes it (the writer is not part of the spec, so no other part can change what is in force).
 *
 * @example
 * ```ts
 * const active = await registry.active('total_fares');
 * const history = await registry.history('total_fares');
 * console.log(await registry.diff('total_fares', 1, 2));
 * const unsubscribe = registry.on('change', (event) => console.log(event.type, event.name));
 * ```
 */
export interface RegistryReader {
  get(name: string, version: number): Promise<ArtifactVersion | undefined>;
  active(name: string): Promise<ArtifactVersion | undefined>;
  /** The versions matching the filter; by default the active version of every artifact. */
  list(filter?: { readonly kind?: ArtifactKind; readonly status?: VersionStatus }): Promise<ArtifactVersion[]>;
  /** Every version of an artifact, oldest first. */
  history(name: string): Promise<ArtifactVersion[]>;
  /** A unified diff of two versions' sources. */
  diff(name: string, from: number, to: number): Promise<string>;
  exportBundle(): Promise<Bundle>;
  /** Subscribes to changes; returns the function that unsubscribes. */
  on(event: 'change', listener: (event: RegistryChangeEvent) => void): () => void;
  close(): Promise<void>;
}
