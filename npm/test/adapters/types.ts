// Compile-time checks of the adapters' declarations against the real packages' types (tsc --strict).
import type { LanguageModelMiddleware } from 'ai';
import { wrapLanguageModel } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import type { BaseRetriever } from '@langchain/core/retrievers';
import { RunnableSequence } from '@langchain/core/runnables';
import { Personalizer } from 'edge-persona';
import { personaMiddleware, userTurns } from 'edge-persona/ai-sdk';
import { EdgePersonaRetriever, type EdgePersonaMetadata } from 'edge-persona/langchain';

export async function use(p: Personalizer): Promise<void> {
  const middleware: LanguageModelMiddleware = personaMiddleware(p, { budgetTokens: 300 });
  const model = wrapLanguageModel({ model: createOpenAI({ apiKey: 'k' }).chat('gpt-4o-mini'), middleware });
  wrapLanguageModel({ model, middleware: personaMiddleware(async () => null) });
  const turns: string[] = userTurns([{ role: 'user', content: 'hi' }]);
  const retriever: BaseRetriever<EdgePersonaMetadata> = new EdgePersonaRetriever(p, { limit: 5, tags: ['x'] });
  const docs = await retriever.invoke('running shoes');
  const score: number = docs[0]?.metadata.score ?? 0;
  const chain = RunnableSequence.from([retriever, (ds: { pageContent: string }[]) => ds.length]);
  const n: number = await chain.invoke('q');
  void [turns, score, n, new EdgePersonaRetriever((q: string) => (q ? p : null))];
}
