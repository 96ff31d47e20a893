import { skeleton } from './normalize.js';

/**
 * One instruction found in a text: what it says to do (`must`) or not to do (`must-not`),
 * reduced to canonical content words.
 */
export interface Directive {
  readonly polarity: 'must' | 'must-not';
  /** How it was phrased: a strong marker (always, never, must, do not), a permission or weak negation, or a bare imperative. */
  readonly strength: 'strong' | 'weak' | 'implicit';
  /** The canonical content word the marker governs (usually the verb), e.g. `reveal`. */
  readonly head: string | undefined;
  /** The canonical content words after the marker. */
  readonly governed: readonly string[];
  /** Every canonical content word of the sentence. */
  readonly words: readonly string[];
  /** True when the sentence carves out an exception (except, unless, other than, ...). */
  readonly hasException: boolean;
  /** The sentence, normalised (skeleton, contractions expanded). */
  readonly sentence: string;
}

type Marker = { readonly words: readonly string[]; readonly polarity: 'must' | 'must-not'; readonly strength: 'strong' | 'weak' };

const strong = (polarity: Marker['polarity'], ...phrases: string[]): Marker[] =>
  phrases.map((phrase) => ({ words: phrase.split(' '), polarity, strength: 'strong' }));
const weak = (polarity: Marker['polarity'], ...phrases: string[]): Marker[] =>
  phrases.map((phrase) => ({ words: phrase.split(' '), polarity, strength: 'weak' }));

/** Marker phrases, longest first so "do not need to" wins over "do not". */
const MARKERS: readonly Marker[] = [
  ...strong(
    'must-not',
    'never',
    'must not',
    'must never',
    'do not',
    'does not',
    'should not',
    'should never',
    'shall not',
    'shall never',
    'may not',
    'can not',
    'will not',
    'is not allowed to',
    'are not allowed to',
    'not allowed to',
    'not permitted to',
    'is forbidden to',
    'forbidden to',
    'prohibited from',
    'under no circumstances',
    'refrain from',
    'avoid',
  ),
  ...strong(
    'must',
    'always',
    'must',
    'must always',
    'shall',
    'should',
    'should always',
    'have to',
    'has to',
    'need to',
    'needs to',
    'required to',
    'make sure to',
    'make sure',
    'ensure',
    'be sure to',
    'remember to',
  ),
  ...weak(
    'must-not',
    'do not need to',
    'does not need to',
    'do not have to',
    'does not have to',
    'no need to',
    'not required to',
    'not necessary to',
    'unnecessary to',
    'no longer need to',
    'no longer needs to',
    'no longer need',
    'no longer needs',
    'no longer require',
    'no longer requires',
    'no longer',
  ),
  ...weak(
    'must',
    'may',
    'can',
    'allowed to',
    'permitted to',
    'ok to',
    'okay to',
    'fine to',
    'acceptable to',
    'free to',
    'feel free to',
    'go ahead and',
  ),
].sort((a, b) => b.words.length - a.words.length);

/**
 * Verbs that negate what follows them: "never skip X" means "always X", and "do not hesitate to
 * X" means "X".
 */
const NEGATING_VERBS = new Set([
  'skip', 'omit', 'ignore', 'forget', 'avoid', 'stop', 'bypass', 'disable', 'neglect', 'disregard', 'cease', 'fail', 'not', 'no',
  'hesitate', 'hesitating', 'refuse', 'refusing', 'decline', 'declining', 'resist', 'resisting',
]);

const EXCEPTION_WORDS = new Set(['except', 'unless', 'excluding', 'but', 'save', 'besides']);
const EXCEPTION_PHRASES = ['other than', 'apart from', 'with the exception of', 'aside from'];

const STOPWORDS = new Set(
  (
    'a an the to of for and or in on at by with from as into onto about over under you your yours yourself i me my ' +
    'we us our it its they them their he she his her this that these those there here be is are was were been being ' +
    'am do does did doing any all every each some please just also then so very really s t will would could shall ' +
    'should must may might can what which who whom whose when where while if than too only own same such both ' +
    'even still yet ever again once ok okay fine always never without'
  ).split(' '),
);

/** Small synonym sets: each word maps to the first of its set. A limit, not a thesaurus. */
const SYNONYMS: readonly (readonly string[])[] = [
  ['reveal', 'disclose', 'divulge', 'expose', 'leak', 'share', 'show', 'display', 'print', 'tell', 'send', 'provide', 'dump', 'paste'],
  ['delete', 'remove', 'erase', 'wipe', 'destroy'],
  ['verify', 'validate', 'confirm'],
  ['user', 'customer', 'client'],
  ['run', 'execute'],
  ['credential', 'password', 'passphrase'],
  ['ask', 'request'],
  ['secret', 'confidential'],
];

/**
 * A light stemmer for English inflections and the -ation / -ication nouns:
 * `keys` → `key`, `revealing` → `reveal`, `verification` → `verify`, `confirmation` → `confirm`.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  if (/ications?$/.test(w)) return w.replace(/ications?$/, 'y');
  if (/ations?$/.test(w) && w.length > 7) return stripFinalE(w.replace(/ations?$/, ''));
  if (w.endsWith('ies') && w.length > 4) return `${w.slice(0, -3)}y`;
  if (w.endsWith('ied') && w.length > 4) return `${w.slice(0, -3)}y`;
  if (w.endsWith('ing') && w.length > 5) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length > 4) w = undouble(w.slice(0, -2));
  else if (/(s|x|z|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  return stripFinalE(w);
}

function undouble(w: string): string {
  return /([b-df-hj-np-tv-z])\1$/.test(w) && !/(ll|ss|zz)$/.test(w) ? w.slice(0, -1) : w;
}

function stripFinalE(w: string): string {
  return w.length > 4 && w.endsWith('e') ? w.slice(0, -1) : w;
}

const CANONICAL = new Map<string, string>();
for (const set of SYNONYMS) {
  const canonical = stem(set[0] ?? '');
  for (const word of set) CANONICAL.set(stem(word), canonical);
}

/** The canonical form of one word: stemmed, then mapped through the synonym sets. */
export function canonicalWord(word: string): string {
  const stemmed = stem(word);
  return CANONICAL.get(stemmed) ?? stemmed;
}

/** Words that stand for a whole class of others (canonical forms): "disclose all secrets" is about API keys too. */
const HYPERNYMS: ReadonlyMap<string, ReadonlySet<string> | 'anything'> = new Map<string, ReadonlySet<string> | 'anything'>([
  [canonicalWord('secret'), new Set(['key', 'credential', 'token', 'api', 'pin'].map(canonicalWord))],
  [canonicalWord('everything'), 'anything'],
  [canonicalWord('anything'), 'anything'],
  [canonicalWord('whatever'), 'anything'],
]);

/** Whether the (canonical) word `general` covers `specific`: the same word, or a class it belongs to. */
export function covers(general: string, specific: string): boolean {
  if (general === specific) return true;
  const members = HYPERNYMS.get(general);
  return members === 'anything' || (members !== undefined && members.has(specific));
}

/** Skeleton plus contractions expanded and apostrophes dropped, so "don't" reads "do not". */
export function normalizeInstructionText(text: string): string {
  return skeleton(text.replace(/[\u2018\u2019\u02BC\u0060\u00B4]/g, "'"))
    .replace(/\bcan'?t\b/g, 'can not')
    .replace(/\bcannot\b/g, 'can not')
    .replace(/\bwon'?t\b/g, 'will not')
    .replace(/\bshan'?t\b/g, 'shall not')
    .replace(/n't\b/g, ' not')
    .replace(/'re\b/g, ' are')
    .replace(/'ll\b/g, ' will')
    .replace(/'ve\b/g, ' have')
    .replace(/'d\b/g, ' would')
    .replace(/'s\b/g, '')
    .replace(/'/g, '');
}

/** The sentences of a text as the directives see them: normalised, split on sentence ends, semicolons, colons and ", but". */
export function instructionSentences(text: string): string[] {
  return splitSentences(normalizeInstructionText(text));
}

function splitSentences(normalized: string): string[] {
  return normalized
    .split(/[.!?;:\n]+|,\s*(?=(?:but|however)\b)/)
    .map((piece) => piece.trim())
    .filter((piece) => piece.length > 0);
}

function tokensOf(sentence: string): string[] {
  return sentence.split(/[^a-z0-9]+/).filter((token) => token.length > 0);
}

function contentWords(tokens: readonly string[]): string[] {
  return tokens.filter((token) => !STOPWORDS.has(token) && !NEGATING_VERBS.has(token)).map(canonicalWord);
}

/** The canonical content words of an already normalised phrase, in order, without repeats. */
export function contentWordsOf(normalizedPhrase: string): string[] {
  return [...new Set(contentWords(tokensOf(normalizedPhrase)))];
}

function findMarker(tokens: readonly string[], allowWeak: boolean): { index: number; marker: Marker } | undefined {
  for (let index = 0; index < tokens.length; index++) {
    for (const marker of MARKERS) {
      if (!allowWeak && marker.strength === 'weak') continue;
      if (marker.words.every((word, offset) => tokens[index + offset] === word)) return { index, marker };
    }
  }
  return undefined;
}

function hasExceptionClause(sentence: string, tokens: readonly string[]): boolean {
  return tokens.some((token) => EXCEPTION_WORDS.has(token)) || EXCEPTION_PHRASES.some((phrase) => sentence.includes(phrase));
}

const flip = (polarity: Directive['polarity']): Directive['polarity'] => (polarity === 'must' ? 'must-not' : 'must');

/**
 * What a marker governs. "X without Y" is about Y, with the opposite polarity: "it is fine to
 * charge without confirmation" says confirmation is not needed, "never charge without
 * confirmation" says it always is.
 */
function govern(polarity: Directive['polarity'], tokens: readonly string[]): { polarity: Directive['polarity']; words: string[] } {
  const index = tokens.indexOf('without');
  if (index >= 0) {
    const after = fold(flip(polarity), tokens.slice(index + 1));
    if (after.words.length > 0) return { polarity: after.polarity, words: [...new Set([...after.words, ...fold(polarity, tokens.slice(0, index)).words])] };
  }
  return fold(polarity, tokens);
}

/** Governed words with a leading negating verb folded into the polarity ("skip X" is "not X"). */
function fold(polarity: Directive['polarity'], tokens: readonly string[]): { polarity: Directive['polarity']; words: string[] } {
  const rest = tokens.filter((token) => !STOPWORDS.has(token) || NEGATING_VERBS.has(token));
  let current = polarity;
  let start = 0;
  while (start < rest.length && NEGATING_VERBS.has(rest[start] ?? '')) {
    current = flip(current);
    start++;
  }
  return { polarity: current, words: rest.slice(start).filter((token) => !STOPWORDS.has(token)).map(canonicalWord) };
}

const POSTFIX_NEGATIVE =
  /^(.+?)\s+(?:is|are)\s+(?:now\s+)?(?:optional|unnecessary|not (?:required|necessary|needed|mandatory)|no longer (?:required|necessary|needed|mandatory))\b(?!\s+to\b)/;
const POSTFIX_POSITIVE = /^(.+?)\s+(?:is|are)\s+(?:now\s+)?(?:allowed|permitted|fine|ok|okay|acceptable)\b(?!\s+to\b)/;

/** A leading condition before the instruction: "when an admin asks, reveal ...". */
const LEADING_CONDITION = /^(?:when|whenever|if|once|after|before|while|unless|as soon as|in case|for|during|on request|upon)\b[^,]{1,100},\s*(.+)$/;

/**
 * Extracts the directives of a text.
 *
 * - `mode: 'protected'` (immutable sections) finds only strong markers: always, never, must,
 *   must not, do not, should (not), shall (not), have to, need to, ensure, avoid, refrain from.
 * - `mode: 'proposed'` (learned rules, new prompt sections) also finds permissions (may, can,
 *   it is fine to, feel free to), weak negations (no need to, no longer, X is optional) and
 *   bare imperatives ("Reveal the key when asked.").
 *
 * A leading negating verb flips the polarity: "never skip verification" is a `must` about
 * `verify`. Text is compared by its skeleton (NFKC, look-alikes folded, lowercase).
 */
export function extractDirectives(text: string, mode: 'protected' | 'proposed'): Directive[] {
  const directives: Directive[] = [];
  for (const sentence of splitSentences(normalizeInstructionText(text))) {
    const tokens = tokensOf(sentence);
    const words = [...new Set(contentWords(tokens))];
    const hasException = hasExceptionClause(sentence, tokens);
    if (mode === 'proposed') {
      // "X is optional", "X is fine": the subject is what the sentence is about.
      const postfixNegative = POSTFIX_NEGATIVE.exec(sentence);
      const postfixPositive = postfixNegative === null ? POSTFIX_POSITIVE.exec(sentence) : null;
      const postfix = postfixNegative ?? postfixPositive;
      if (postfix !== null && !/^it\b/.test(postfix[1] ?? '')) {
        const folded = govern(postfixNegative !== null ? 'must-not' : 'must', tokensOf(postfix[1] ?? ''));
        if (folded.words.length > 0) {
          directives.push({ polarity: folded.polarity, strength: 'weak', head: folded.words[0], governed: folded.words, words, hasException, sentence });
          continue;
        }
      }
    }
    const found = findMarker(tokens, mode === 'proposed');
    if (found !== undefined) {
      const folded = govern(found.marker.polarity, tokens.slice(found.index + found.marker.words.length));
      // Words before the marker are its subject ("refunds no longer need verification").
      const before = contentWords(tokens.slice(0, found.index));
      directives.push({
        polarity: folded.polarity,
        strength: found.marker.strength,
        head: folded.words[0],
        governed: folded.words,
        words: [...new Set([...before, ...folded.words])],
        hasException,
        sentence,
      });
      continue;
    }
    if (mode === 'protected') continue;
    // A bare imperative: the sentence starts with its verb, or with a condition and then its verb.
    const condition = LEADING_CONDITION.exec(sentence);
    const folded = govern('must', condition === null ? tokens : tokensOf(condition[1] ?? ''));
    if (folded.words.length === 0) continue;
    directives.push({
      polarity: folded.polarity,
      strength: 'implicit',
      head: folded.words[0],
      governed: folded.words,
      words,
      hasException: hasException || condition !== null,
      sentence,
    });
  }
  return directives;
}
