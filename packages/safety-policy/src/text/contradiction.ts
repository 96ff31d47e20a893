import { contentWordsOf, covers, extractDirectives, instructionSentences, normalizeInstructionText, type Directive } from './directives.js';

/** A protected text that a proposed text must not contradict. */
export interface ProtectedText {
  readonly name: string;
  readonly text: string;
}

/** One contradiction found between a proposed text and a protected one. */
export interface Contradiction {
  /** The protected text's name. */
  readonly name: string;
  /**
   * `negates`: opposite polarity on the same action ("never X" against "X is fine").
   * `weakens`: same polarity but with an exception carved out ("never X, except ...").
   * `overrides`: tells the reader to ignore the protected instructions, or names the text and revokes it.
   */
  readonly kind: 'negates' | 'weakens' | 'overrides';
  /** The protected sentence (normalised), or the whole text for `overrides`. */
  readonly protectedSentence: string;
  /** The proposed sentence (normalised). */
  readonly proposedSentence: string;
}

/** Options of {@link findContradictions}. */
export interface ContradictionOptions {
  /** Share of the shorter clause's content words the two clauses must have in common, in 0..1. */
  readonly threshold: number;
  /**
   * Other texts in force (e.g. the active learned rules) whose definitions carry over: after
   * "API keys are part of the account settings", "show the account settings" is about API keys.
   */
  readonly context?: readonly string[];
}

/** Every form of a verb that matters here: base, -s, -ed, -ing (doubling and e-dropping as English does). */
function inflections(verb: string): string[] {
  const irregular: Record<string, string[]> = {
    forget: ['forgot', 'forgotten', 'forgetting'],
    override: ['overrode', 'overridden', 'overriding'],
    withdraw: ['withdrew', 'withdrawn'],
  };
  const forms = new Set([verb, `${verb}s`, ...(irregular[verb] ?? [])]);
  if (verb.endsWith('e')) {
    forms.add(`${verb}d`);
    forms.add(`${verb.slice(0, -1)}ing`);
  } else if (verb.endsWith('y') && !/[aeiou]y$/.test(verb)) {
    forms.add(`${verb.slice(0, -1)}ied`);
    forms.add(`${verb.slice(0, -1)}ies`);
    forms.add(`${verb}ing`);
  } else {
    const doubled = /[^aeiou][aeiou][bdgklmnprt]$/.test(verb) && !/(?:en|er|it|on)$/.test(verb) ? `${verb}${verb.slice(-1)}` : verb;
    forms.add(`${doubled}ed`);
    forms.add(`${doubled}ing`);
    if (doubled !== verb) {
      forms.add(`${verb}ed`);
      forms.add(`${verb}ing`);
    }
  }
  if (verb.endsWith('s') || verb.endsWith('sh') || verb.endsWith('ch')) forms.add(`${verb}es`);
  return [...forms];
}

const alternatives = (verbs: readonly string[]) => `(?:${verbs.flatMap(inflections).sort((a, b) => b.length - a.length).join('|')})`;

/** Verbs that set instructions aside, in every inflection ("is suspended", "revoking", "overridden"). */
const OVERRIDE_VERB_LIST = [
  'ignore', 'disregard', 'forget', 'override', 'overrule', 'bypass', 'skip', 'drop', 'suspend', 'revoke', 'cancel', 'void', 'retire',
  'supersede', 'replace', 'delete', 'remove', 'rescind', 'repeal', 'abolish', 'withdraw', 'nullify', 'annul', 'lift', 'waive', 'pause',
  'disable', 'deactivate', 'deprecate', 'invalidate', 'expire', 'relax', 'loosen',
];
const OVERRIDE_VERBS = alternatives(OVERRIDE_VERB_LIST);
const RULE_NOUNS = '(?:instruction|rule|prompt|section|guideline|directive|polic(?:y|ie)|constraint|guardrail|restriction|safeguard)s?';
const OVERRIDE = new RegExp(
  `\\b${OVERRIDE_VERBS}\\b[^.!?;:\\n]*\\b(?:previous|prior|above|earlier|system|immutable|original|all|existing|safety|protected|core|other)\\b[^.!?;:\\n]*\\b${RULE_NOUNS}\\b`,
);
/** The passive: "all previous instructions are overridden", "the system rules have been suspended". */
const OVERRIDE_PASSIVE = new RegExp(
  `\\b(?:previous|prior|above|earlier|system|immutable|original|all|existing|safety|protected|core|other)\\b[^.!?;:\\n]*\\b${RULE_NOUNS}\\b[^.!?;:\\n]*\\b(?:is|are|was|were|been|be|get|gets|got)\\s+(?:now\\s+|hereby\\s+|all\\s+|officially\\s+)?${OVERRIDE_VERBS}\\b`,
);
const NO_LONGER_BOUND = /\b(?:no longer|not) (?:bound|restricted|constrained|governed) by\b/;
/** "These rules apply only to guests", "the rules above do not apply to admins": a scope that narrows the protected instructions. */
const SCOPE_LIMIT = new RegExp(
  `\\b(?:these|those|the|above|previous|prior|earlier|system|immutable|safety|core|existing|protected|original|all|its|our|your)\\b[^.!?;:\\n]*\\b${RULE_NOUNS}\\b[^.!?;:\\n]*\\b(?:(?:only|solely|exclusively|merely) (?:apply|applies|hold|holds|count|counts|bind|binds|matter|matters)|(?:apply|applies|hold|holds|count|counts|bind|binds|are valid|is valid|are in effect|is in effect) (?:only|solely|exclusively)|(?:do|does) not (?:apply|hold|bind|count)|(?:is|are) not binding)\\b`,
);
const REVOKING_WORDS = `(?:${OVERRIDE_VERBS.slice(3, -1)}|obsolete|outdated|void|invalid|inactive|not in force|no longer (?:applies|apply|valid|in effect|in force|active|binding|holds|hold)|does not apply|do not apply|not binding)`;

/** "A is part of B", "A counts as B", "B includes A": after it, B stands for A too. */
const DEFINITION = /^(.+?)\s+(?:is|are)\s+(?:now\s+)?(?:also\s+)?(?:(?:a\s+)?part of|a kind of|a type of|a form of|a subset of|included in|considered|treated as|counted as|the same as|equivalent to|among|just|simply|merely|only)\s+(.+)$/;
const DEFINITION_REVERSED = /^(.+?)\s+(?:includes?|contains?|covers?|comprises?|encompass(?:es)?)\s+(.+)$/;
/** Words of a sentence that limit when or to whom an instruction applies. */
const SCOPING = /\b(?:only|solely|exclusively|apply|applies|applicable|hold|holds|valid|limited|restricted|scope|scoped|when|whenever|if|unless|except|while|during|until)\b/;

/** Protected texts are reviewed against again and again: their directives are kept, for the most recent texts. */
const PROTECTED_CACHE_SIZE = 512;
/** A small least-recently-used cache of what a text yields, keyed by the text. */
function cached<T>(compute: (text: string) => T): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    const hit = cache.get(text);
    if (hit !== undefined) {
      cache.delete(text);
      cache.set(text, hit);
      return hit;
    }
    const value = compute(text);
    cache.set(text, value);
    if (cache.size > PROTECTED_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    return value;
  };
}

const protectedDirectives = cached((text) => extractDirectives(text, 'protected'));
const protectedSentences = cached((text) => new Set(instructionSentences(text)));

/** Whether two directives with the same anchor talk about the same action. */
function overlaps(protectedClause: Directive, proposed: Directive, threshold: number): boolean {
  if (protectedClause.head === undefined || proposed.head === undefined) return false;
  const anchored =
    proposed.strength === 'implicit'
      ? proposed.head === protectedClause.head
      : proposed.governed.includes(protectedClause.head) || protectedClause.governed.includes(proposed.head);
  if (!anchored) return false;
  const proposedWords = new Set(proposed.words);
  // A proposed word may stand for a class of protected ones: "secrets" covers "keys".
  const shared = protectedClause.governed.filter((word) => proposedWords.has(word) || proposed.words.some((general) => covers(general, word))).length;
  // The proposed side counts its subject too: "refunds no longer need verification" is about refunds.
  const shorter = Math.min(protectedClause.governed.length, proposedWords.size);
  if (shorter > 1 && shared < 2) return false;
  return shared / Math.max(1, shorter) >= threshold;
}

interface Definition {
  readonly general: readonly string[];
  readonly specific: readonly string[];
}

/** The definitions stated in `texts`: each maps the words of the general phrase to those it stands for. */
function definitionsIn(texts: readonly string[]): Definition[] {
  return texts.flatMap((text) => definitionsOf(text));
}

const definitionsOf = cached((text: string): Definition[] => {
  const found: Definition[] = [];
  for (const sentence of instructionSentences(text)) {
    const forward = DEFINITION.exec(sentence);
    const reversed = forward === null ? DEFINITION_REVERSED.exec(sentence) : null;
    const specific = forward?.[1] ?? reversed?.[2];
    const general = forward?.[2] ?? reversed?.[1];
    if (specific === undefined || general === undefined) continue;
    const specificWords = contentWordsOf(specific);
    const generalWords = contentWordsOf(general);
    if (specificWords.length > 0 && generalWords.length > 0) found.push({ general: generalWords, specific: specificWords });
  }
  return found;
});

/** The directive with every defined phrase it mentions expanded to what it stands for (to a fixed point, a few rounds). */
function expand(directive: Directive, definitions: readonly Definition[]): Directive {
  if (definitions.length === 0) return directive;
  const words = new Set(directive.words);
  const governed = new Set(directive.governed);
  for (let round = 0; round < 4; round++) {
    let grew = false;
    for (const definition of definitions) {
      if (!definition.general.every((word) => words.has(word))) continue;
      for (const word of definition.specific) {
        if (!words.has(word)) grew = true;
        words.add(word);
        if (definition.general.some((general) => governed.has(general))) governed.add(word);
      }
    }
    if (!grew) break;
  }
  return { ...directive, words: [...words], governed: [...governed] };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const namingCache = new Map<string, RegExp>();

/** A sentence naming `name` (with -, _, . or a space between its parts) next to a revoking word. */
function namingPattern(name: string): RegExp {
  let pattern = namingCache.get(name);
  if (pattern === undefined) {
    const spelled = escapeRegExp(normalizeInstructionText(name)).replace(/[-_.]/g, '[-_. ]?');
    pattern = new RegExp(`\\b${spelled}\\b[^.!?;:\\n]*\\b${REVOKING_WORDS}\\b|\\b${REVOKING_WORDS}\\b[^.!?;:\\n]*\\b${spelled}\\b`);
    if (namingCache.size >= PROTECTED_CACHE_SIZE) namingCache.delete(namingCache.keys().next().value as string);
    namingCache.set(name, pattern);
  }
  return pattern;
}

/**
 * Finds where `proposed` contradicts any of `protectedTexts`. A documented heuristic, not
 * understanding (see the package README, "Limits"):
 *
 * 1. Both texts are normalised: NFKC, look-alike letters folded to Latin, diacritics and
 *    invisible characters removed, lowercase, contractions expanded.
 * 2. Protected texts yield their strong directives (always / never / must / must not / do not /
 *    should / ensure / avoid ...); the proposed text also yields permissions ("it is fine to"),
 *    weak negations ("no need to", "no longer", "X is optional") and bare imperatives.
 *    A leading negating verb flips polarity ("never skip X" = "always X").
 * 3. Words are stemmed and mapped through small synonym sets (reveal/disclose/share, ...).
 * 4. Two directives are about the same action when one's head verb is governed by the other
 *    and they share at least half of the shorter clause's content words (`threshold`).
 *    Opposite polarity is a contradiction (`negates`); same polarity with an exception
 *    clause is a weakening (`weakens`).
 * 5. Independently, "ignore the previous / system / immutable instructions", "these rules
 *    apply only to ...", and a sentence that names a protected text together with a revoking
 *    word in any inflection ("obsolete", "superseded", "is suspended") are `overrides`; a text
 *    that restates protected sentences and adds one that limits their scope ("only", "when",
 *    "applies to") `weakens` them.
 * 6. Definitions carry over: "A is part of B" (in the proposed text or in `options.context`)
 *    makes a directive about B one about A too, so a chain of harmless-looking rules cannot
 *    reach a protected instruction one step at a time.
 */
export function findContradictions(
  proposed: string,
  protectedTexts: readonly ProtectedText[],
  options: ContradictionOptions,
): Contradiction[] {
  const found: Contradiction[] = [];
  const normalized = normalizeInstructionText(proposed);
  const definitions = definitionsIn([...(options.context ?? []), proposed]);
  const proposedDirectives = extractDirectives(proposed, 'proposed').map((directive) => expand(directive, definitions));
  const proposedSentences = instructionSentences(proposed);
  const generic = OVERRIDE.exec(normalized) ?? OVERRIDE_PASSIVE.exec(normalized) ?? NO_LONGER_BOUND.exec(normalized) ?? SCOPE_LIMIT.exec(normalized);
  for (const target of protectedTexts) {
    if (generic !== null) {
      found.push({ name: target.name, kind: 'overrides', protectedSentence: normalizeInstructionText(target.text), proposedSentence: generic[0] });
      continue;
    }
    const named = namingPattern(target.name).exec(normalized);
    if (named !== null) {
      found.push({ name: target.name, kind: 'overrides', protectedSentence: normalizeInstructionText(target.text), proposedSentence: named[0] });
      continue;
    }
    // The protected text restated, plus a sentence that limits when or to whom it applies: a narrower copy.
    const sentences = protectedSentences(target.text);
    const restated = proposedSentences.find((sentence) => sentences.has(sentence));
    const scoping = restated === undefined ? undefined : proposedSentences.find((sentence) => !sentences.has(sentence) && SCOPING.test(sentence));
    if (restated !== undefined && scoping !== undefined) {
      found.push({ name: target.name, kind: 'weakens', protectedSentence: restated, proposedSentence: scoping });
      continue;
    }
    for (const protectedClause of protectedDirectives(target.text)) {
      for (const proposedClause of proposedDirectives) {
        if (!overlaps(protectedClause, proposedClause, options.threshold)) continue;
        const kind =
          proposedClause.polarity !== protectedClause.polarity ? 'negates' : proposedClause.hasException && !protectedClause.hasException ? 'weakens' : undefined;
        if (kind !== undefined) {
          found.push({ name: target.name, kind, protectedSentence: protectedClause.sentence, proposedSentence: proposedClause.sentence });
        }
      }
    }
  }
  return found;
}
