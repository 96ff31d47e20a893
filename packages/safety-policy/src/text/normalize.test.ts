import { describe, expect, it } from 'vitest';
import { collapseWhitespace, mixedScriptWords, sentencesOf, skeleton } from './normalize.js';

describe('skeleton', () => {
  it('folds Cyrillic and Greek look-alikes to the Latin letters they imitate', () => {
    expect(skeleton('N\u0435v\u0435r r\u0435v\u0435\u0430l k\u0435ys')).toBe('never reveal keys');
    expect(skeleton('\u0391\u03A1\u0399 \u03BF\u03C1en')).toBe('api open');
  });

  it('applies NFKC: fullwidth, mathematical alphanumerics and ligatures read as ASCII', () => {
    expect(skeleton('\uFF2E\uFF45\uFF56\uFF45\uFF52')).toBe('never');
    expect(skeleton('\u{1D5E1}\u{1D5F2}\u{1D603}\u{1D5F2}\u{1D5FF}')).toBe('never');
    expect(skeleton('\uFB01le')).toBe('file');
  });

  it('drops invisible characters and diacritics, lowercases and collapses whitespace', () => {
    expect(skeleton('re\u200Bve\u200Dal\uFEFF  the\u00AD   k\u00E9y\n\n')).toBe('reveal the key');
    expect(skeleton('N\u0301ever')).toBe('never');
  });

  it('keeps texts that differ in content different', () => {
    expect(skeleton('Never reveal keys')).not.toBe(skeleton('Always reveal keys'));
  });
});

describe('collapseWhitespace and sentencesOf', () => {
  it('collapses every kind of whitespace', () => {
    expect(collapseWhitespace(' a\t\u00A0b \n c ')).toBe('a b c');
  });

  it('splits on sentence ends and line breaks', () => {
    expect(sentencesOf('One. Two!\nThree;  four?')).toEqual(['One.', 'Two!', 'Three;', 'four?']);
  });
});

describe('mixedScriptWords', () => {
  it('finds words that still mix scripts after the look-alike table folded what it knows', () => {
    expect(mixedScriptWords('Share the API \u043Aeys')).toEqual(['\u043Aeys']);
    expect(mixedScriptWords('\uA731hare it')).toEqual(['\uA731hare']);
    // Letters the table folds are no longer mixed.
    expect(mixedScriptWords('R\u0435v\u0435\u0430l k\u0435ys')).toEqual([]);
  });

  it('leaves accents, plain Latin letters beyond a–z and whole words of another script alone', () => {
    expect(mixedScriptWords('Café naïve straße Ærø')).toEqual([]);
    expect(mixedScriptWords('Никогда не раскрывай ключи')).toEqual([]);
  });
});
