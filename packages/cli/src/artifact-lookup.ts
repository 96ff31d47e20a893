import { RegistryError, type ArtifactVersion } from '@toolwright/core';
import type { Toolwright } from 'toolwright';
import { UsageError } from './usage-error.js';

/** Every version of `name`, oldest first; `REGISTRY_NOT_FOUND` when there is none. */
export async function historyOf(toolwright: Toolwright, name: string): Promise<ArtifactVersion[]> {
  const history = await toolwright.registry.history(name);
  if (history.length === 0) {
    throw new RegistryError('REGISTRY_NOT_FOUND', `No tool named "${name}" in this database. \`toolwright tools list\` shows the tools.`, { details: { name } });
  }
  return history;
}

/** Version `version` of `name`; `REGISTRY_NOT_FOUND` naming the versions that exist. */
export function versionOf(history: readonly ArtifactVersion[], name: string, version: number): ArtifactVersion {
  const found = history.find((entry) => entry.version === version);
  if (!found) {
    throw new RegistryError('REGISTRY_NOT_FOUND', `"${name}" has no version ${version}; its versions are ${history.map((entry) => entry.version).join(', ')}.`, {
      details: { name, version },
    });
  }
  return found;
}

/** Parses a version number given on the command line. */
export function parseVersion(text: string | undefined, what: string, command: string): number {
  const version = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(version) || version < 1) {
    throw new UsageError(`${what} must be a version number (1, 2, ...); got "${text ?? ''}".`, command);
  }
  return version;
}
