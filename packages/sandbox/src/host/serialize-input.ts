/** An argument as JSON text, or why it cannot be one. */
export type SerializedInput = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly message: string };

const MAX_DEPTH = 1_000;

function describePath(path: readonly (string | number)[]): string {
  return path.length === 0 ? 'the argument' : `argument${path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('')}`;
}

/**
 * Serialises a tool's argument strictly: only what JSON represents exactly (plain objects,
 * arrays, strings, finite numbers, booleans, null). A cycle, a function, `undefined`, a
 * bigint, a non-finite number or a class instance is refused with its path, rather than
 * silently changed the way `JSON.stringify` would change it. Never throws.
 */
export function serializeInput(value: unknown, maxBytes: number): SerializedInput {
  const seen = new Set<object>();
  const path: (string | number)[] = [];
  const check = (current: unknown): string | undefined => {
    if (current === null || typeof current === 'string' || typeof current === 'boolean') return undefined;
    if (typeof current === 'number') return Number.isFinite(current) ? undefined : `${describePath(path)} is ${current}, which JSON cannot represent`;
    if (typeof current !== 'object') return `${describePath(path)} is a ${typeof current}, which JSON cannot represent`;
    if (seen.has(current)) return `${describePath(path)} is cyclic`;
    if (path.length > MAX_DEPTH) return `the argument is nested more than ${MAX_DEPTH} levels deep`;
    if (Array.isArray(current)) {
      seen.add(current);
      for (let index = 0; index < current.length; index += 1) {
        path.push(index);
        const item: unknown = current[index];
        const problem = item === undefined ? `${describePath(path)} is undefined, which JSON cannot represent` : check(item);
        path.pop();
        if (problem !== undefined) return problem;
      }
      seen.delete(current);
      return undefined;
    }
    const prototype: unknown = Object.getPrototypeOf(current);
    if (prototype !== Object.prototype && prototype !== null) return `${describePath(path)} is not a plain object`;
    seen.add(current);
    for (const key of Object.keys(current)) {
      path.push(key);
      const item = (current as Record<string, unknown>)[key];
      const problem = item === undefined ? `${describePath(path)} is undefined, which JSON cannot represent` : check(item);
      path.pop();
      if (problem !== undefined) return problem;
    }
    seen.delete(current);
    return undefined;
  };
  if (value === undefined) return { ok: false, message: 'the argument is undefined, which JSON cannot represent' };
  const problem = check(value);
  if (problem !== undefined) return { ok: false, message: problem };
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) return { ok: false, message: `the argument serialises to ${bytes} bytes; the limit is ${maxBytes}` };
  return { ok: true, json };
}
