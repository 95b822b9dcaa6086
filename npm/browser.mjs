// The package for browsers, workers and bundlers (ESM): wasm-bindgen's `web` output. The
// wasm is fetched next to this module (`new URL(..., import.meta.url)`, which bundlers
// understand) and instantiated before the module's exports are usable (top-level await).
// The client classes exported are the guarded ones `install` returns; dist/web/extras.mjs is
// npm/extras.mjs minified by scripts/build-npm.sh.
import init, * as wasm from './dist/web/chatwire.js';
import { ChatwireError, install } from './dist/web/extras.mjs';

await init({ module_or_path: new URL('./dist/web/chatwire_bg.wasm', import.meta.url) });

export const { TrueConfClient, TadaClient, TalkClient, EventStream } = install(wasm);
export { ChatwireError };
