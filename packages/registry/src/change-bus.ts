import { randomUUID } from 'node:crypto';
import { artifactNameSchema, type RegistryChangeEvent } from '@toolwright/core';
import { z } from 'zod';
import type { RegistryDatabase } from './registry-database.js';

/** The notification channel registry instances tell each other about changes on. */
export const REGISTRY_CHANNEL = 'toolwright_registry';

type Deliver = (event: RegistryChangeEvent) => void;

/**
 * The readers of one database handle in this process. A writer delivers its events to them
 * directly, right after the commit, and tells every other handle (other processes on
 * PostgreSQL) through `notify`, tagged with the bus's origin so that the readers here do not
 * hear the same event twice.
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

/** Tells every reader of the registry on `database`, here and elsewhere, about committed `events`, in order. */
export function publish(database: RegistryDatabase, events: readonly RegistryChangeEvent[]): void {
  const bus = changeBus(database);
  for (const event of events) {
    for (const deliver of [...bus.readers]) deliver(event);
    database.notify(REGISTRY_CHANNEL, JSON.stringify({ origin: bus.origin, event })).catch((error: unknown) => {
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
const notificationSchema = z.object({ origin: z.string(), event: eventSchema }).strict();

/** The event a notification carries, unless it came from `ownOrigin` or is not a registry notification. */
export function receivedEvent(payload: string, ownOrigin: string): RegistryChangeEvent | undefined {
  let parsed: z.infer<typeof notificationSchema>;
  try {
    parsed = notificationSchema.parse(JSON.parse(payload));
  } catch {
    return undefined; // Not ours, or from an incompatible version: nothing to act on.
  }
  if (parsed.origin === ownOrigin) return undefined;
  const { previous, ...rest } = parsed.event;
  return previous === undefined ? rest : { ...rest, previous };
}
