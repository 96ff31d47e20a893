import type { RegistryChangeEvent } from '@toolwright/core';

/** One entry of the registry's change log: an event, when it was committed, and why. */
export interface RegistryChange extends RegistryChangeEvent {
  /** The entry's id in the change log; an artifact's entries have growing ids, in commit order. */
  readonly id: string;
  readonly at: number;
  /** The reason given, for registrations, promotions, rejections, retirements and rollbacks. */
  readonly reason?: string;
}
