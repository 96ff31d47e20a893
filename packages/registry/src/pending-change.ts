import type { RegistryChangeEvent } from '@toolwright/core';

/** A change a write is about to record in the change log, with the reason given. */
export interface PendingChange {
  readonly event: RegistryChangeEvent;
  readonly reason?: string;
}
