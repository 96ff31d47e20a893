/**
 * Maps a call key (a task id, a user id) to a number in [0, 1), the same on every process and
 * every run: FNV-1a (32 bit) of the UTF-16 code units, finished with a murmur3 avalanche so
 * that keys differing in one character land far apart. Cheap enough for the hot path; not a
 * cryptographic hash (nobody gains by choosing their arm).
 */
export function unitHash(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 4294967296;
}
