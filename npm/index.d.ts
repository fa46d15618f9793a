// Type declarations of edge-persona (hand-written; they describe the Rust binding in
// src/bindings/wasm.rs and the wrapper in npm/src/wrap.js exactly).

/** The stable `code` of every error the package throws. */
export type ErrorCode =
  | 'E_SNAPSHOT_CORRUPT'
  | 'E_SNAPSHOT_VERSION'
  | 'E_SNAPSHOT_LIMIT'
  | 'E_PROFILE_INVALID'
  | 'E_REQUEST_INVALID'
  | 'E_OPTIONS_INVALID'
  | 'E_NOT_INITIALIZED'
  | 'E_OUTPUT'
  | 'E_KNOWLEDGE_INVALID';

/** An `Error` thrown by the package: `code` is stable, `message` names the problem. */
export interface EdgePersonaError extends Error {
  readonly code: ErrorCode;
}

/** Snapshot bytes as made by `compileSnapshot` or the CLI's `compile`. */
export type SnapshotBytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Where the compiled profile will be used. */
export interface PrivacyPolicy {
  /**
   * `'browser'` (the default): personal-data traits and properties (e-mail, phone, address,
   * birthday, ids, IP) are dropped. `'server'`: their keys are kept, their values withheld.
   */
  target?: 'browser' | 'server';
  /** Keys (exact trait or property keys) whose personal data may pass. */
  allow?: readonly string[];
}

/** Milliseconds since the Unix epoch (as `Date.now()`); defaults to `Date.now()`. */
export type EpochMillis = number;

export interface RankOptions {
  /** How many items to return, 1..=1000. Default 10. */
  limit?: number;
  now?: EpochMillis;
  /** Items scoring at or below this are left out. Default 0. */
  minScore?: number;
}

export type ContextFormat = 'text' | 'json';

export interface ContextOptions {
  /** Most estimated tokens (characters / 4) for the whole block, 0..=100000. Default 200. */
  budgetTokens?: number;
  /** Default `'text'`: a `<user_profile_context>` block; `'json'`: the same facts as JSON text. */
  format?: ContextFormat;
  /** How many ranked items to consider, 1..=1000. Default 10. */
  limit?: number;
  now?: EpochMillis;
  /** Longest value, in characters, before it is cut with `…`, 1..=10000. Default 120. */
  maxValueChars?: number;
  /** Most properties shown per event, 0..=100. Default 6. */
  maxProperties?: number;
}

/**
 * A query: one text, or a conversation's user turns, oldest first. The last turn weighs most,
 * each earlier one half as much as the next (of the last 4), so that a follow-up such as
 * "and in blue?" keeps the conversation's topic; assistant turns are not query text.
 */
export type Query = string | readonly string[];

/** The LLM request shapes `injectChat` understands. */
export type ChatApi = 'openai-chat' | 'openai-responses' | 'anthropic-messages';

export interface InjectOptions {
  /** Detected from the body when absent (`input`/`instructions` → Responses, `system` + `messages` → Anthropic, `messages` → Chat). */
  api?: ChatApi;
  /** The ranking query; default: the body's user turns, the last weighing most. */
  query?: string;
  budgetTokens?: number;
  format?: ContextFormat;
  limit?: number;
  now?: EpochMillis;
}

export interface VariantOptions {
  now?: EpochMillis;
}

/** One query term's part of a score. */
export interface TermContribution {
  /** The term matched, as the profile has it (stemmed), or `time:<expressions>` for the query's time expressions. */
  term: string;
  /** The typed word (or pair of words) that led to it through the lexicon or the thesaurus; absent when it is the typed word itself. */
  via?: string;
  /** 1 for a typed word, less for a word reached through the lexicon or the thesaurus. */
  weight: number;
  /** Its inverse document frequency in this profile. */
  idf: number;
  /** Its part of `lexical`. */
  score: number;
}

/** Why an item is salient, for a question that asks for what matters; each part in 0..1. */
export interface SalienceExplanation {
  /** The salience itself. */
  value: number;
  /** How rare the event is among the profile's (1 for traits). */
  rarity: number;
  /** How recent its newest occurrence is (0 for traits). */
  recent: number;
  /** 1 when it holds a word of an open state (pending, failed, due, …). */
  open: number;
  /** How near its nearest future date is. */
  upcoming: number;
  /** The best relevance among the items, by which this one's relevance was divided. */
  relevanceScale: number;
  /** The weight of `value` in the base score (the `salience_weight` setting). */
  weight: number;
}

/**
 * The parts of a score, which recompute it:
 * `relevance = lexical · coverage · recency · frequency`;
 * `base = relevance`, or with `salience`, `relevance / salience.relevanceScale + salience.weight · salience.value`;
 * `score = (base + thread) · repeat`.
 */
export interface Explanation {
  /** The BM25F sum over matched terms (the sum of `terms[].score`). */
  lexical: number;
  /** The share of the query's weight the item matches. */
  coverage: number;
  /** The recency factor (events), the trait factor (traits), or both (memories). */
  recency: number;
  /** `1 + frequency_weight · ln(count)`. */
  frequency: number;
  /** `repeat_decay^k` for the k-th best event of its name, else 1 (and 1 for its newest). */
  repeat: number;
  /** Added for sharing a rare value (an order id) with one of the best items; 0 otherwise. */
  thread: number;
  /** Present for a question that asks for what matters. */
  salience?: SalienceExplanation;
  /** Age of the newest occurrence (events) or since it was noted (memories), in seconds. */
  ageSeconds?: number;
  /** Occurrences of the event (events only). */
  count?: number;
  terms: TermContribution[];
}

export type ItemId = `trait:${string}` | `event:${string}` | `memory:${string}`;

export interface RankedItem {
  /** `trait:<key>`, `event:<message_id>` (the newest occurrence of a group of repeated events) or `memory:<id>` (what an assistant was told to remember). */
  id: ItemId;
  kind: 'trait' | 'event' | 'memory';
  score: number;
  explain: Explanation;
}

export interface Context {
  /** The delimited block (`<user_profile_context>…</user_profile_context>`); empty when nothing was relevant. */
  text: string;
  /** Ids of the items in the block, in order. */
  items: ItemId[];
  /** Estimated tokens of `text`. */
  estimatedTokens: number;
  /** Relevant items that did not fit the budget. */
  omitted: number;
}

export interface InjectResult<B extends object> {
  /** A new body: the input with the context added as a system part; nothing else changed. */
  body: B;
  /** The API the body was treated as. */
  api: ChatApi;
  context: Context;
}

/** A WebAssembly source for `init`: a URL (string or `URL`), bytes, a `Response` or a promise of one. */
export type InitInput =
  | string
  | { readonly href: string }
  | ArrayBuffer
  | ArrayBufferView
  | { arrayBuffer(): Promise<ArrayBuffer> }
  | PromiseLike<{ arrayBuffer(): Promise<ArrayBuffer> }>;

/**
 * Loads the WebAssembly module once (browser/bundler builds fetch `edge_persona_bg.wasm` next to
 * the module unless given `input`). A no-op in Node. The async constructors call it.
 */
export function init(input?: InitInput): Promise<void>;

/**
 * Loads the profile compiler (once): in browsers a second WebAssembly module (`compiler/`), fetched
 * only by pages that compile profiles themselves. Needed before `compileSnapshot` and
 * `Personalizer.fromProfileSync`; `Personalizer.fromProfile` calls it. A no-op in Node.
 */
export function loadCompiler(input?: InitInput): Promise<void>;

/**
 * Loads the knowledge pack, once: general word knowledge (WordNet's synonyms, broader and
 * narrower words, the nearest words by static word vectors, the most common words) that lets a query's words reach a profile's related words ("couch" finds a
 * sofa). By default the package's own `knowledge.bin` (fetched next to the module in browsers,
 * read from disk in Node); or the pack's bytes, a URL, or a `Response`. A few megabytes: serve it
 * with a long cache lifetime. Without it ranking matches the query's own words (and the CDP
 * lexicon's). Rejects with `E_KNOWLEDGE_INVALID` for bytes that are not a pack.
 */
export function loadKnowledge(input?: Uint8Array | ArrayBuffer | ArrayBufferView | URL | string | Response): Promise<void>;

/** A profile snapshot decoded once, ready for many queries. */
export declare class Personalizer {
  private constructor();
  /** Initializes the module if needed, then decodes snapshot bytes. */
  static fromSnapshot(bytes: SnapshotBytes): Promise<Personalizer>;
  /** Decodes snapshot bytes; the module must be initialized (always true in Node). */
  static fromSnapshotSync(bytes: SnapshotBytes): Personalizer;
  /** Imports a Segment profile bundle (JSON text or the parsed object) under a privacy policy (default: browser). */
  static fromProfile(profile: string | object, policy?: PrivacyPolicy): Promise<Personalizer>;
  /** As `fromProfile`; needs `init()` and `loadCompiler()` done (always true in Node). */
  static fromProfileSync(profile: string | object, policy?: PrivacyPolicy): Personalizer;
  /** The profile's items most relevant to `query`, best first. */
  rank(query: string, options?: RankOptions): RankedItem[];
  /** The context block for `query` (a text, or a conversation's user turns), within a token budget. */
  context(query: Query, options?: ContextOptions): Context;
  /**
   * Returns a copy of an OpenAI Chat Completions (`messages`), OpenAI Responses
   * (`instructions`/`input`) or Anthropic Messages (`system`) request body with the context for its
   * user turns (the last weighing most) added as a delimited system part; existing system prompts
   * are kept.
   */
  injectChat<B extends object>(body: B, options?: InjectOptions): InjectResult<B>;
  /** The value of a `data-persona` slot such as `'trait:first_name'`, or `undefined`. */
  slotValue(spec: string): string | undefined;
  /** Whether a condition such as `'audience:running_enthusiasts'` holds. */
  conditionHolds(expr: string): boolean;
  /** The index of the variant (a string of words each) most relevant to the profile, or `undefined`. */
  chooseVariant(variants: readonly string[], options?: VariantOptions): number | undefined;
  /** Frees the WebAssembly memory now (otherwise it is freed when garbage-collected). */
  free(): void;
  [Symbol.dispose](): void;
}

/**
 * Imports a Segment profile bundle and compiles it to snapshot bytes (default policy: browser).
 * Needs `loadCompiler()` done in browsers (always ready in Node).
 */
export function compileSnapshot(profile: string | object, policy?: PrivacyPolicy): Uint8Array;
