// Runs inside a scratch project with edge-persona installed from its tarball and the real adapter
// peers (package.json here pins them): the AI SDK middleware with `ai` 6 and 5 and their OpenAI
// providers against a fake OpenAI-compatible server on 127.0.0.1 that records each request, and the
// LangChain.js retriever with `@langchain/core`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as ai6 from 'ai';
import * as ai5 from 'ai-v5';
import { createOpenAI as openai6 } from '@ai-sdk/openai';
import { createOpenAI as openai5 } from '@ai-sdk/openai-v2';
import { Document } from '@langchain/core/documents';
import { PromptTemplate } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { Personalizer } from 'edge-persona';
import { personaMiddleware, userTurns } from 'edge-persona/ai-sdk';
import { EdgePersonaRetriever } from 'edge-persona/langchain';

const [fixtures] = process.argv.slice(2);
const now = Date.parse('2026-11-20T12:00:00Z');
const p = await Personalizer.fromProfile(readFileSync(`${fixtures}/profile-retail-jeff.json`, 'utf8'));

// A fake OpenAI Chat Completions endpoint, answering as the real one does (JSON, or SSE chunks
// ending in `data: [DONE]` when `stream` is set), keeping each request body.
const requests = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const json = JSON.parse(body);
    requests.push({ url: req.url, body: json });
    const base = { id: 'chatcmpl-1', created: 1_763_640_000, model: json.model };
    const usage = { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 };
    if (json.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (c) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...c })}\n\n`);
      chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Try the ' }, finish_reason: null }] });
      chunk({ choices: [{ index: 0, delta: { content: 'Road Glide 3.' }, finish_reason: null }] });
      chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage });
      res.end('data: [DONE]\n\n');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Try the Road Glide 3.' }, finish_reason: 'stop' }], usage }));
    }
  });
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const baseURL = `http://127.0.0.1:${server.address().port}/v1`;

const turns = ['Can you recommend some running shoes in my size?', 'and in blue?'];
const messages = [
  { role: 'user', content: turns[0] },
  { role: 'assistant', content: 'The Trail Runner 5 comes in your size 10.5. Anything about your loyalty points?' },
  { role: 'user', content: turns[1] },
];
const expected = p.context(turns, { now }).text;
assert.match(expected, /Shoe size: "10\.5"/);
assert.match(expected, /blue/);
const original = [{ role: 'system', content: 'Be brief.' }, ...messages];

async function sent(ai, call) {
  requests.length = 0;
  await call();
  assert.equal(requests.length, 1, 'one upstream request');
  assert.equal(requests[0].url, '/v1/chat/completions');
  return requests[0].body;
}

for (const [name, ai, createOpenAI] of [['ai@6', ai6, openai6], ['ai@5', ai5, openai5]]) {
  const provider = createOpenAI({ baseURL, apiKey: 'sk-test' });
  const wrap = (personalizer) =>
    ai.wrapLanguageModel({ model: provider.chat('gpt-4o-mini'), middleware: personaMiddleware(personalizer, { now }) });
  const model = wrap(p);

  const generated = await sent(ai, async () => {
    const r = await ai.generateText({ model, system: 'Be brief.', messages });
    assert.equal(r.text, 'Try the Road Glide 3.');
  });
  assert.deepEqual(generated.messages[0], { role: 'system', content: 'Be brief.' });
  assert.deepEqual(generated.messages[1], { role: 'system', content: expected }, `${name}: the context block, from the user turns`);
  assert.deepEqual(generated.messages.slice(2), messages, `${name}: the prompt intact`);

  const streamed = await sent(ai, async () => {
    const r = ai.streamText({ model, system: 'Be brief.', messages });
    let text = '';
    for await (const part of r.textStream) text += part;
    assert.equal(text, 'Try the Road Glide 3.');
  });
  assert.equal(streamed.stream, true);
  assert.deepEqual(streamed.messages, generated.messages, `${name}: streamText carries the same context`);

  // No profile (none, or a resolver that finds none): the request is what the bare model sends.
  const bare = await sent(ai, () => ai.generateText({ model: provider.chat('gpt-4o-mini'), system: 'Be brief.', messages }));
  assert.deepEqual(bare.messages, original);
  for (const none of [null, () => undefined, async () => null]) {
    const body = await sent(ai, () => ai.generateText({ model: wrap(none), system: 'Be brief.', messages }));
    assert.deepEqual(body, bare, `${name}: no profile, no change`);
  }
  // Nothing relevant: unchanged too.
  const unrelated = await sent(ai, () => ai.generateText({ model, prompt: 'zqxj vwpt' }));
  assert.ok(!JSON.stringify(unrelated).includes('user_profile_context'));
  // A resolver gets the call's params and may be async.
  let seen;
  const resolved = await sent(ai, () =>
    ai.generateText({ model: wrap(async (params) => ((seen = params), p)), messages }),
  );
  assert.deepEqual(resolved.messages[0], { role: 'system', content: expected });
  assert.ok(Array.isArray(seen.prompt));
  console.log(`${name}: generateText and streamText carry the context block (${expected.length} chars); no profile -> unchanged`);
}
server.close();

assert.deepEqual(
  userTurns([
    { role: 'system', content: 's' },
    { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'file', data: 'x', mediaType: 'image/png' }, { type: 'text', text: 'b' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'not me' }] },
    { role: 'user', content: [{ type: 'text', text: 'c' }] },
  ]),
  ['a\nb', 'c'],
);

// LangChain.js: the retriever, invoked and in a RunnableSequence.
const retriever = new EdgePersonaRetriever(p, { now, limit: 5 });
const query = 'Can you recommend some running shoes in my size?';
const docs = await retriever.invoke(query);
const ctx = p.context(query, { now, limit: 5 });
const ranked = p.rank(query, { now, limit: 5 });
assert.ok(docs.length > 0 && docs.every((d) => d instanceof Document));
assert.deepEqual(docs.map((d) => d.metadata.id), ctx.items, 'the context items, in order');
for (const d of docs) {
  const r = ranked.find((i) => i.id === d.metadata.id);
  assert.equal(d.metadata.score, r.score);
  assert.equal(d.metadata.kind, r.kind);
  assert.deepEqual(d.metadata.explain, r.explain);
  assert.ok(ctx.text.includes(`- ${d.pageContent}\n`), d.pageContent);
}
assert.equal(docs[0].metadata.id, ranked[0].id);
assert.ok(docs.some((d) => d.pageContent === 'Shoe size: "10.5"'));
assert.deepEqual(await new EdgePersonaRetriever(null).invoke(query), []);
assert.deepEqual(await new EdgePersonaRetriever(async () => undefined).invoke(query), []);

const chain = RunnableSequence.from([
  { context: retriever.pipe((ds) => ds.map((d) => d.pageContent).join('\n')), question: new RunnablePassthrough() },
  PromptTemplate.fromTemplate('Profile:\n{context}\n\nQuestion: {question}'),
]);
const prompt = (await chain.invoke(query)).toString();
assert.ok(prompt.startsWith(`Profile:\n${docs.map((d) => d.pageContent).join('\n')}\n\nQuestion: ${query}`), prompt);
console.log(`LangChain: ${docs.length} documents (${docs.map((d) => d.metadata.id).join(', ')}); RunnableSequence prompt ${prompt.length} chars`);
