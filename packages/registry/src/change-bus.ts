import { randomUUID } from 'node:crypto';
import { artifactNameSchema, type RegistryChangeEvent } from '@toolwright/core';
import { z } from 'zod';
import type { RegistryDatabase } from './registry-database.js';

/** The notification channel registry instances tell each other about changes on. */
export const REGISTRY_CHANNEL = 'toolwright_registry';

/** A committed change as the bus carries it: the event, and its id in the change log. */
export interface HeardChange {
  readonly id: number;
  readonly event: RegistryChangeEvent;
}

type Deliver = (change: HeardChange) => void;

/**
 * The readers of one database handle in this process. A writer delivers its events to them
 * directly, right after the commit, and tells every other handle (other processes on
 * PostgreSQL) through `notify`, tagged with the bus's origin so that the readers here do not
 * hear the same event twice, and with the change-log id so that a reader that caught up on the
 * change log knows which notifications it has already emitted.
 */
interface ChangeBus {
  readonly origin: string;
  readonly readers: Set<Deliver>;
}

// Keyed by the kysely instance: the identity `joinOrRunUnit` uses for "the same database".
const buses = new WeakMap<object, ChangeBus>();

/** The bus of `database`'s handle in this process. */
export function changeBus(database: RegistryDatabase): ChangeBus {
  let bus = buses.get(database.kysely);
  if (bus === undefined) {
    bus = { origin: randomUUID(), readers: new Set() };
    buses.set(database.kysely, bus);
  }
  return bus;
}

/** Tells every reader of the registry on `database`, here and elsewhere, about committed `changes`, in order. */
export function publish(database: RegistryDatabase, changes: readonly HeardChange[]): void {
  const bus = changeBus(database);
  for (const change of changes) {
    const { id, event } = change;
    for (const deliver of [...bus.readers]) deliver(change);
    database.notify(REGISTRY_CHANNEL, JSON.stringify({ origin: bus.origin, id, event })).catch((error: unknown) => {
      process.emitWarning(
        `@toolwright/registry: could not tell other instances that ${event.name} was ${event.type}: ${String(error)}`,
        'ToolwrightWarning',
      );
    });
  }
}

const eventSchema = z
  .object({
    type: z.enum(['registered', 'promoted', 'rejected', 'retired', 'rolled-back', 'pinned', 'unpinned']),
    name: artifactNameSchema,
    version: z.number().int().min(1),
    previous: z.number().int().min(1).optional(),
  })
  .strict();
const notificationSchema = z.object({ origin: z.string(), id: z.number().int().min(1), event: eventSchema }).strict();

/** The change a notification carries, unless it came from `ownOrigin` or is not a registry notification. */
export function receivedChange(payload: string, ownOrigin: string): HeardChange | undefined {
  let parsed: z.infer<typeof notificationSchema>;
  try {
    parsed = notificationSchema.parse(JSON.parse(payload));
  } catch {
    return undefined; // Not ours, or from an incompatible version: nothing to act on.
  }
  if (parsed.origin === ownOrigin) return undefined;
  const { previous, ...rest } = parsed.event;
  return { id: parsed.id, event: previous === undefined ? rest : { ...rest, previous } };
}
