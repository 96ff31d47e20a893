/**
 * True when a NUL character is in any string of `value`, object keys included. PostgreSQL text
 * and jsonb cannot hold NUL while SQLite can: the registry refuses it on both alike.
 */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(containsNul);
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) if (key.includes('\0') || containsNul(item)) return true;
  }
  return false;
}
