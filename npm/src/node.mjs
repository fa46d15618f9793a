// Node entry (ESM) over the CommonJS build.
import api from './index.cjs';

export const { init, loadCompiler, Personalizer, compileSnapshot } = api;
