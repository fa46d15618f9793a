// `edge-persona/langchain`: a LangChain.js retriever over a person's profile. Its only import is the
// peer dependency `@langchain/core`, so it costs nothing to apps that do not use it.
import { Document } from '@langchain/core/documents';
import { BaseRetriever } from '@langchain/core/retrievers';

// The profile's items relevant to the query, best first, as Documents: `pageContent` is the item as
// the context block renders it (privacy-filtered, values neutralized), `metadata` its id, kind,
// score and explanation. `personalizer`: a Personalizer, or a function returning one (or a promise
// of one) for the current request; none means no documents. `options`: the `context()` options
// (budgetTokens, limit, now) and BaseRetriever's (callbacks, tags, metadata, verbose).
export class EdgePersonaRetriever extends BaseRetriever {
  static lc_name() {
    return 'EdgePersonaRetriever';
  }

  lc_namespace = ['edge_persona', 'retrievers'];

  constructor(personalizer, options) {
    const { budgetTokens, limit, now, ...fields } = options || {};
    super(fields);
    this.personalizer = personalizer;
    this.contextOptions = { budgetTokens, limit, now };
    for (const k of Object.keys(this.contextOptions)) if (this.contextOptions[k] === undefined) delete this.contextOptions[k];
  }

  async _getRelevantDocuments(query) {
    const p = typeof this.personalizer === 'function' ? await this.personalizer(query) : this.personalizer;
    if (!p) return [];
    const { limit, now } = this.contextOptions;
    const ranked = new Map(p.rank(query, { limit, now }).map((item) => [item.id, item]));
    const context = p.context(query, { ...this.contextOptions, format: 'text' });
    // One line per item, in the order of `context.items`.
    const lines = context.text.split('\n').filter((line) => line.startsWith('- '));
    return context.items.map((id, i) => {
      const item = ranked.get(id);
      return new Document({
        pageContent: (lines[i] || '').slice(2),
        metadata: { id, kind: item ? item.kind : id.slice(0, id.indexOf(':')), score: item ? item.score : 0, explain: item ? item.explain : undefined },
      });
    });
  }
}
