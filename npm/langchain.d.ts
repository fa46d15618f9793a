// Types of `edge-persona/langchain` (peer dependency `@langchain/core` >= 1).
import type { BaseRetrieverInput } from '@langchain/core/retrievers';
import { BaseRetriever } from '@langchain/core/retrievers';
import type { DocumentInterface } from '@langchain/core/documents';
import type { EpochMillis, Explanation, ItemId, Personalizer } from './index.js';

/** What each Document carries besides the rendered item. */
export interface EdgePersonaMetadata {
  id: ItemId;
  kind: 'trait' | 'event';
  score: number;
  explain?: Explanation;
}

export interface EdgePersonaRetrieverOptions extends BaseRetrieverInput {
  /** Token budget of the rendered items (default 200). */
  budgetTokens?: number;
  /** Most items returned, 1..=1000 (default 10). */
  limit?: number;
  /** The time items are ranked at (default: now). */
  now?: EpochMillis;
}

/**
 * The profile's items relevant to the query, best first, as Documents: `pageContent` is the item as
 * the context block renders it, `metadata` its id, kind, score and explanation.
 */
export class EdgePersonaRetriever extends BaseRetriever<EdgePersonaMetadata> {
  lc_namespace: string[];
  constructor(
    personalizer:
      | Personalizer
      | null
      | undefined
      | ((query: string) => Personalizer | null | undefined | Promise<Personalizer | null | undefined>),
    options?: EdgePersonaRetrieverOptions,
  );
  _getRelevantDocuments(query: string): Promise<DocumentInterface<EdgePersonaMetadata>[]>;
}
