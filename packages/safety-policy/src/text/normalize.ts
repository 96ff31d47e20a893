import { CONFUSABLES } from './confusables.js';

/**
 * Invisible characters an attacker can slip into text without changing how it renders:
 * zero-width spaces and joiners, bidi controls, word joiners, the BOM, soft hyphens, the
 * combining grapheme joiner, variation selectors, Hangul fillers and Unicode tag characters.
 * As inclusive code point ranges.
 */
const INVISIBLE_RANGES: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xe0000, 0xe007f],
  [0xe0100, 0xe01ef],
];

function isInvisible(codePoint: number): boolean {
  return INVISIBLE_RANGES.some(([first, last]) => codePoint >= first && codePoint <= last);
}

/** Collapses every run of whitespace (any Unicode space, tabs, newlines) to one space and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/**
 * The "skeleton" of a text: what it looks like, not which code points spell it.
 * NFKC, invisible characters removed, look-alike letters mapped to Latin (see
 * {@link CONFUSABLES}), diacritics stripped, lowercase, whitespace collapsed.
 * Two texts with the same skeleton read the same to a person (and to most models).
 */
export function skeleton(text: string): string {
  let mapped = '';
  for (const char of text.normalize('NFKC')) {
    if (!isInvisible(char.codePointAt(0) ?? 0)) mapped += CONFUSABLES.get(char) ?? char;
  }
  return collapseWhitespace(mapped.normalize('NFD').replace(/\p{M}+/gu, '').normalize('NFC').toLowerCase());
}

/** Splits a text into its sentences and lines, whitespace collapsed, empty pieces dropped. */
export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?;])\s+|\n+/u)
    .map(collapseWhitespace)
    .filter((piece) => piece.length > 0);
}

/** Latin letters outside a–z that ordinary words use and no look-alike attack needs. */
const PLAIN_NON_ASCII_LETTERS = new Set([...'ßæœøðþłđħŋ']);

/**
 * Words of `text` that, once their look-alikes are folded (see {@link skeleton}), still mix
 * plain Latin letters with letters of another kind — a Cyrillic `к` or a Cherokee `Ꭺ` the
 * look-alike table does not know, inside an otherwise Latin word. Such words read as Latin to a
 * person while every text check sees a different word. At most `limit` are returned, first seen first.
 */
export function mixedScriptWords(text: string, limit = 5): string[] {
  const found: string[] = [];
  let visible = '';
  for (const char of text.normalize('NFKC')) if (!isInvisible(char.codePointAt(0) ?? 0)) visible += char;
  for (const original of visible.match(/[\p{L}\p{M}]+/gu) ?? []) {
    // A word with no Latin letter at all is another language, not an imitation of a Latin word.
    if (!/\p{Script=Latin}/u.test(original)) continue;
    const word = skeleton(original);
    let latin = false;
    let other = false;
    for (const char of word) {
      if (char >= 'a' && char <= 'z') latin = true;
      else if (!PLAIN_NON_ASCII_LETTERS.has(char)) other = true;
    }
    if (latin && other && !found.includes(word)) {
      found.push(word);
      if (found.length === limit) break;
    }
  }
  return found;
}
