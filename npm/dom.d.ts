/// <reference lib="dom" />
// Type declarations of edge-persona/dom.

import type { Personalizer } from './index.js';

/** What `personalize` needs from a personalizer. */
export type SlotSource = Pick<Personalizer, 'slotValue' | 'conditionHolds' | 'chooseVariant'>;

export interface PersonalizeOptions {
  /** Milliseconds since the Unix epoch for variant ranking; default `Date.now()`. */
  now?: number;
}

export interface PersonalizeReport {
  /** False when there was no personalizer: the page was left as authored. */
  applied: boolean;
  /** `data-persona` slots filled (with the value or `data-persona-default`). */
  slots: number;
  /** Elements shown or hidden by `data-persona-if` / `data-persona-unless`. */
  conditions: number;
  /** `data-persona-variants` groups examined. */
  variants: number;
  /** Elements left as authored because the personalizer threw. */
  errors: { element: Element; error: unknown }[];
}

/**
 * Applies the slot language to `root` and its descendants: `data-persona` (text, via textContent),
 * `data-persona-default`, `data-persona-if`, `data-persona-unless` (the `hidden` property), and
 * `data-persona-variants` groups (only the chosen `data-persona-variant` child stays visible).
 * No slot inside `script`, `style`, `template`, `textarea`, `title`, `noscript`, `iframe`, `xmp`,
 * `noembed`, `noframes` or `plaintext` is filled; values never go into attributes.
 * With `p` missing, nothing changes.
 */
export function personalize(
  root: Element | Document | DocumentFragment,
  p: SlotSource | null | undefined,
  options?: PersonalizeOptions,
): PersonalizeReport;
