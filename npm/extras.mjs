// What wasm-bindgen cannot declare from Rust, added to its classes once at load: the
// `ChatwireError` class every rejection is made of, `Symbol.asyncIterator` on the clients
// and their event streams, and `Symbol.dispose` where wasm-bindgen did not add it.
// scripts/build-npm.sh derives extras.cjs (CommonJS) from this file.

/** The error every Promise of this package rejects with (and every method throws). */
export class ChatwireError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ChatwireError';
  }
}

const CLASSES = ['TrueConfClient', 'TadaClient', 'TalkClient'];

/** Installs the above on the classes of one wasm-bindgen module. */
export function install(wasm) {
  wasm.__setErrorClass(ChatwireError);
  const dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
  for (const name of CLASSES) {
    const cls = wasm[name];
    if (!cls) continue; // built without this protocol
    const proto = cls.prototype;
    proto[Symbol.asyncIterator] = function () {
      return this.events();
    };
    if (!proto[dispose]) proto[dispose] = proto.free;
  }
  wasm.EventStream.prototype[Symbol.asyncIterator] = function () {
    return this;
  };
}
