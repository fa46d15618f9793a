// Types of `edge-persona/ai-sdk`. Structural, so that they need no import from `ai`: the middleware
// is assignable to AI SDK 6's `LanguageModelMiddleware` (LanguageModelV3) and, for its
// `transformParams`, to AI SDK 5's (LanguageModelV2).
import type { ContextOptions, Personalizer } from './index.js';

/** A Personalizer, or a function giving the current request's (none: the call is unchanged). */
export type PersonalizerSource<A> =
  | Personalizer
  | null
  | undefined
  | ((arg: A) => Personalizer | null | undefined | Promise<Personalizer | null | undefined>);

/** A prompt message as the AI SDK's language model specification has it (only what is read). */
export interface PromptMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | ReadonlyArray<{ type: string; text?: string }>;
}

/** The call parameters the middleware reads (`prompt`) and passes on unchanged otherwise. */
export interface CallParams {
  prompt: PromptMessage[];
}

export interface PersonaMiddleware {
  specificationVersion: 'v3';
  /** Adds the context for the prompt's user turns (the last weighing most) as a system message. */
  transformParams<P extends CallParams>(options: { params: P; type: 'generate' | 'stream' }): Promise<P>;
}

/**
 * A language model middleware: `wrapLanguageModel({ model, middleware: personaMiddleware(p) })`.
 * Before each call the context for the prompt's user turns goes in as a system message after the
 * prompt's own leading system messages; no personalizer, or nothing relevant, leaves it unchanged.
 */
export function personaMiddleware(
  personalizer: PersonalizerSource<CallParams>,
  options?: ContextOptions,
): PersonaMiddleware;

/** The texts of a prompt's user turns, oldest first (their text parts). */
export function userTurns(prompt: ReadonlyArray<PromptMessage>): string[];
