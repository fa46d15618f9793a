// Node entry (ESM) over the CommonJS build.
import api from './index.cjs';

export const { init, loadCompiler, loadKnowledge, Personalizer, compileSnapshot } = api;
