import type { ArtifactKind, ArtifactVersion, VersionStatus } from '../../artifact.js';
import type { Bundle, RegistryChangeEvent, RegistryReader } from '../../registry.js';

/**
 * Test support: a registry reader over an array, for core's own tests. `put` stands in for
 * the gate's writes (the only writer); nothing in core calls it.
 */
export class InMemoryRegistry implements RegistryReader {
  readonly versions: ArtifactVersion[] = [];
  readonly #listeners = new Set<(event: RegistryChangeEvent) => void>();

  /** Stores a version; an active one retires the artifact's previous active version. */
  put(version: ArtifactVersion): ArtifactVersion {
    if (version.status === 'active') {
      for (const [index, other] of this.versions.entries()) {
        if (other.name === version.name && other.status === 'active') this.versions[index] = { ...other, status: 'retired' };
      }
    }
    this.versions.push(version);
    for (const listener of this.#listeners) listener({ type: version.status === 'active' ? 'promoted' : 'registered', name: version.name, version: version.version });
    return version;
  }

  /** The next version number of an artifact. */
  nextVersion(name: string): number {
    return this.versions.filter((version) => version.name === name).length + 1;
  }

  async get(name: string, version: number): Promise<ArtifactVersion | undefined> {
    return this.versions.find((candidate) => candidate.name === name && candidate.version === version);
  }

  async active(name: string): Promise<ArtifactVersion | undefined> {
    return this.versions.find((candidate) => candidate.name === name && candidate.status === 'active');
  }

  async list(filter: { readonly kind?: ArtifactKind; readonly status?: VersionStatus } = {}): Promise<ArtifactVersion[]> {
    const status = filter.status ?? 'active';
    return this.versions.filter((version) => version.status === status && (filter.kind === undefined || version.kind === filter.kind));
  }

  async history(name: string): Promise<ArtifactVersion[]> {
    return this.versions.filter((version) => version.name === name);
  }

  async diff(): Promise<string> {
    return '';
  }

  async exportBundle(): Promise<Bundle> {
    return { format: 'toolwright.bundle', formatVersion: 1, exportedAt: 0, versions: [...this.versions], bundleHash: '0'.repeat(64) };
  }

  on(_event: 'change', listener: (event: RegistryChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {}
}
