// Compile-time checks of the hand-written declarations (tsc --strict; never run).
import {
  Personalizer, compileSnapshot, init, loadCompiler,
  type Context, type EdgePersonaError, type Query, type ErrorCode, type InjectResult, type ItemId, type RankedItem,
} from 'edge-persona';
import { personalize, type PersonalizeReport } from 'edge-persona/dom';

export async function use(bytes: Uint8Array, profileJson: string): Promise<void> {
  await init();
  await loadCompiler();
  const p: Personalizer = await Personalizer.fromSnapshot(bytes);
  const q: Personalizer = await Personalizer.fromProfile(profileJson, { target: 'browser', allow: ['email'] });
  const items: RankedItem[] = p.rank('running shoes', { limit: 3, now: Date.now(), minScore: 0 });
  const first = items[0];
  if (first) {
    const id: ItemId = first.id;
    const kind: 'trait' | 'event' | 'memory' = first.kind;
    const age: number | undefined = first.explain.ageSeconds;
    const term: string | undefined = first.explain.terms[0]?.term;
    void [id, kind, age, term];
  }
  const ctx: Context = p.context('running shoes', { budgetTokens: 120, format: 'json' });
  const turns: Query = ['running shoes', 'and in blue?'] as const;
  const convo: Context = p.context(turns, { limit: 3 });
  void p.context(['where is my order', 'when will it come?']);
  void convo;
  const tokens: number = ctx.estimatedTokens;
  const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
  const r: InjectResult<typeof chat> = p.injectChat(chat, { api: 'openai-chat', budgetTokens: 100 });
  const model: string = r.body.model;
  const api: 'openai-chat' | 'openai-responses' | 'anthropic-messages' = r.api;
  const v: number | undefined = p.chooseVariant(['golf clubs', 'running shoes'], { now: 0 });
  const s: string | undefined = p.slotValue('trait:firstName');
  const b: boolean = q.conditionHolds('audience:running_enthusiasts');
  const snap: Uint8Array = compileSnapshot(profileJson, { target: 'server' });
  const report: PersonalizeReport = personalize(document.body, p, { now: 0 });
  personalize(document, null);
  p.free();
  try {
    Personalizer.fromSnapshotSync(new ArrayBuffer(3));
  } catch (e) {
    const code: ErrorCode = (e as EdgePersonaError).code;
    void code;
  }
  // @ts-expect-error format is 'text' | 'json'
  p.context('x', { format: 'xml' });
  // @ts-expect-error unknown option
  p.rank('x', { limti: 3 });
  // @ts-expect-error api names are a closed set
  p.injectChat(chat, { api: 'gemini' });
  // @ts-expect-error the constructor is private
  new Personalizer();
  void [tokens, model, api, v, s, b, snap, report];
}
