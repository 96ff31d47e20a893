import { sha256, ValidationError } from '@toolwright/core';

const CHANNEL = /^[A-Za-z0-9_.:-]{1,63}$/;
const MAX_CHANNEL_LENGTH = 63;

/** Checks a notification channel name: 1–63 of letters, digits, `_ . : -`. */
export function checkChannel(channel: unknown): string {
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Invalid notification channel ${JSON.stringify(channel)}: use 1 to 63 letters, digits, "_", ".", ":" or "-".`,
    );
  }
  return channel;
}

/**
 * The channel name used on the server: scoped to a schema when there is one (so deployments
 * in different schemas of one database never hear each other), hashed when that would exceed
 * PostgreSQL's 63-byte identifier limit.
 */
export function serverChannel(channel: string, schema: string | undefined): string {
  const scoped = schema === undefined ? channel : `${schema}:${channel}`;
  return scoped.length <= MAX_CHANNEL_LENGTH ? scoped : `tw_${sha256(scoped).slice(0, 40)}`;
}
