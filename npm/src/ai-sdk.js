// `edge-persona/ai-sdk`: a Vercel AI SDK language model middleware (AI SDK 5's LanguageModelV2 and
// AI SDK 6's LanguageModelV3 share the prompt shape it reads). It imports nothing, so it costs
// nothing to apps that do not use it: `wrapLanguageModel({ model, middleware: personaMiddleware(p) })`.

// The texts of a prompt's user turns, oldest first (their text parts; files, tool results and
// assistant turns are not query text).
export function userTurns(prompt) {
  const turns = [];
  for (const message of Array.isArray(prompt) ? prompt : []) {
    if (!message || message.role !== 'user') continue;
    const content = message.content;
    if (typeof content === 'string') {
      turns.push(content);
    } else if (Array.isArray(content)) {
      turns.push(content.filter((p) => p && p.type === 'text' && typeof p.text === 'string').map((p) => p.text).join('\n'));
    }
  }
  return turns;
}

// The middleware: before each call (generateText, streamText, …) the context for the prompt's user
// turns (the last weighing most) goes in as a system message after the prompt's own leading system
// messages. `personalizer`: a Personalizer, or a function returning one (or a promise of one) for
// the current request; none, or nothing relevant, leaves the call unchanged. `options`: the
// `context()` options (budgetTokens, limit, format, now).
export function personaMiddleware(personalizer, options) {
  const contextOptions = options || {};
  return {
    specificationVersion: 'v3',
    async transformParams({ params }) {
      const p = typeof personalizer === 'function' ? await personalizer(params) : personalizer;
      if (!p) return params;
      const turns = userTurns(params.prompt);
      if (turns.length === 0) return params;
      const context = p.context(turns, contextOptions);
      if (!context.text) return params;
      const prompt = params.prompt.slice();
      let at = 0;
      while (at < prompt.length && prompt[at] && prompt[at].role === 'system') at++;
      prompt.splice(at, 0, { role: 'system', content: context.text });
      return { ...params, prompt };
    },
  };
}
