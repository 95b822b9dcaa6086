// What wasm-bindgen cannot declare from Rust, added to its classes once at load: the
// `ChatwireError` class every rejection is made of, `Symbol.asyncIterator` on the clients
// and their event streams, `Symbol.dispose` where wasm-bindgen did not add it, and the trap
// guard. scripts/build-npm.sh derives extras.cjs (CommonJS) from this file.

/** The error every Promise of this package rejects with (and every method throws). */
export class ChatwireError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'ChatwireError';
  }
}

const CLASSES = ['TrueConfClient', 'TadaClient', 'TalkClient'];

// The methods that return a Promise (index.d.ts): after a trap they reject, the others throw.
const ASYNC = new Set([
  'connect',
  'sendText',
  'markRead',
  'createGroupChat',
  'createChannel',
  'createP2PChat',
  'addParticipant',
  'getChats',
  'getParticipants',
  'sendMessage',
  'getHistory',
  'deleteMessage',
  'mentions',
  'loadOlder',
  'next',
  'return',
]);

// The methods that only let go (a client, its connection, an iterator): after a trap they
// succeed doing nothing, since the guard already let go of everything; cleanup code in an
// app's `finally` must not throw because of it.
const LETTING_GO = new Set(['free', 'close', 'return']);

/**
 * The trap guard of one wasm instance. A trap (a Rust panic: the package's wasm aborts with
 * `unreachable`) unwinds the wasm mid-call and leaves its state half-changed: nothing may
 * enter it again, and nothing it holds in JS may stay pending or open. The engine's call stack
 * running out inside the wasm does the same, so it counts as a trap too (see `isTrap`). So
 * every entry into the wasm goes through here (the class methods, wrapped below; the socket
 * handlers, timers, settled Promises and the executor's microtask, which the wasm hands to
 * `wrap`, `setTimeout` and `onSettled`), and the wasm tells `hold` what it holds: Promises it
 * has yet to settle (their `reject`), sockets and fetches (their `AbortController`). After a
 * trap, every held Promise rejects with a `ChatwireError` of kind `internal`, sockets close,
 * timers are cleared, fetches are aborted, and every later call refuses without entering the
 * wasm.
 */
function makeGuard() {
  // What the trap threw (see `isTrap`), once there was one.
  let trapped = null;
  // What to let go of after a trap (see `hold`).
  const held = new Set();
  // How many guarded entries into the wasm are running (more than one when a listener the wasm
  // called calls a client), and the Promises the wasm made during the outermost of them: if it
  // traps they were never handed to the app, so they are marked handled before they reject
  // (an unhandled rejection ends a Node process).
  let depth = 0;
  let fresh = [];
  // Timer ids set through `setTimeout` and not yet fired or cleared.
  const timers = new Set();
  // Weak references to every client and event stream, and each object's own reference: after
  // a trap their wasm-bindgen finalizers (which would enter the wasm to free them) are
  // unregistered.
  const live = new Set();
  const refs = new WeakMap();
  const reaper = new FinalizationRegistry((ref) => live.delete(ref));

  // What unwinds the wasm mid-call: a trap (a RuntimeError), or the engine's call stack
  // running out in it (a RangeError in V8 and Safari, an InternalError in Firefox), which
  // leaves the Rust shadow-stack pointer and RefCell borrows as a trap does. Nothing else is
  // one: the binding's own errors are ChatwireErrors; wasm-bindgen's (a freed object used,
  // say) are plain Errors thrown before any state changed; and its glue converts no argument
  // of a guarded method (each is a JsValue, checked in Rust), so no RangeError or TypeError of
  // a bad argument comes from it. A stack overflow in the few JS frames between the guard and
  // the wasm (an app calling at the very end of its stack) cannot be told from one inside, so
  // it gives the instance up too: better than going on with one that may be half-changed.
  const STACK_OVERFLOW = /call stack|recursion/i;
  const isTrap = (e) =>
    e instanceof WebAssembly.RuntimeError ||
    ((e instanceof RangeError || (e instanceof Error && e.name === 'InternalError')) &&
      STACK_OVERFLOW.test(e.message));

  /** The `internal` error: `failed` for what was in flight, `refused` for later calls. */
  function error(fault) {
    const reason = `the WebAssembly instance trapped (${trapped})`;
    const inFlight = fault === 'failed' ? '; a request in flight may or may not have reached the server' : '';
    const e = new ChatwireError(
      `internal error: ${reason}; every client of this chatwire instance is unusable: ` +
        `load the package anew (a new page or process)${inFlight}`,
      { cause: trapped },
    );
    e.kind = 'internal';
    e.code = null;
    e.delivery = null;
    e.fault = fault;
    e.detail = { kind: 'internal', reason };
    return e;
  }

  function letGo(what) {
    try {
      if (typeof what === 'function') what(error('failed'));
      else if (typeof what.abort === 'function') what.abort();
      else {
        what.onopen = what.onmessage = what.onclose = null;
        // The `ws` package throws an `error` event nobody listens to.
        what.onerror = () => {};
        what.close(1000, 'the chatwire WebAssembly instance trapped');
      }
    } catch {
      // One that cannot be let go of must not keep the others.
    }
  }

  function trap(cause) {
    if (trapped) return;
    trapped = cause;
    console.error('chatwire: the WebAssembly instance trapped; its clients are unusable from now on:', cause);
    for (const id of timers) clearTimeout(id);
    timers.clear();
    for (const ref of live) ref.deref()?.__destroy_into_raw?.();
    live.clear();
    for (const promise of fresh) promise.catch(() => {});
    fresh = [];
    const all = [...held];
    held.clear();
    for (const what of all) letGo(what);
  }

  /** `run()` as one guarded entry into the wasm (see `depth`). */
  function entry(run) {
    depth += 1;
    try {
      return run();
    } catch (e) {
      // Here, not only in the callers' catch: the `finally` below forgets this entry's fresh
      // Promises, and `trap` must mark them handled first (the callers' call of it is then a
      // no-op).
      if (isTrap(e)) trap(e);
      throw e;
    } finally {
      depth -= 1;
      if (depth === 0) fresh = [];
    }
  }

  /** Calls the wasm's `callback` unless the instance trapped; a trap inside is caught. */
  function enter(callback, value) {
    if (trapped) return undefined;
    try {
      return entry(() => callback(value));
    } catch (e) {
      if (!isTrap(e)) throw e;
      trap(e);
      return undefined;
    }
  }

  function track(object) {
    const ref = new WeakRef(object);
    live.add(ref);
    refs.set(object, ref);
    reaper.register(object, ref, ref);
  }

  function forget(object) {
    const ref = refs.get(object);
    if (!ref) return;
    live.delete(ref);
    reaper.unregister(ref);
  }

  /** `fn` (a method or getter of a wasm-bindgen class), guarded. */
  function method(name, fn) {
    const async = ASYNC.has(name);
    const lettingGo = LETTING_GO.has(name);
    const refuse = (fault) => {
      const e = error(fault);
      if (async) return Promise.reject(e);
      throw e;
    };
    return function (...args) {
      if (trapped) {
        if (!lettingGo) return refuse('refused');
        return name === 'return' ? Promise.resolve({ value: undefined, done: true }) : undefined;
      }
      if (name === 'free') forget(this);
      let result;
      try {
        result = entry(() => fn.apply(this, args));
      } catch (e) {
        if (!isTrap(e)) throw e;
        trap(e);
        return refuse('failed');
      }
      if (name === 'events') track(result);
      return result;
    };
  }

  /** A wasm-bindgen class whose constructor is guarded and whose instances are tracked. */
  function constructor(cls) {
    return new Proxy(cls, {
      construct(target, args, newTarget) {
        if (trapped) throw error('refused');
        let object;
        try {
          object = entry(() => Reflect.construct(target, args, newTarget));
        } catch (e) {
          if (!isTrap(e)) throw e;
          trap(e);
          throw error('failed');
        }
        track(object);
        return object;
      },
    });
  }

  /** Wraps every method and getter of `proto` (a wasm-bindgen class's prototype). */
  function methods(proto) {
    for (const key of Reflect.ownKeys(proto)) {
      if (key === 'constructor' || typeof key !== 'string' || key.startsWith('__')) continue;
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (typeof d.value === 'function') d.value = method(key, d.value);
      else if (d.get) d.get = method(key, d.get);
      else continue;
      Object.defineProperty(proto, key, d);
    }
  }

  // What the wasm calls (bindings-wasm/src/guard.rs).
  const forWasm = {
    wrap: (callback) => (value) => enter(callback, value),
    setTimeout(callback, ms) {
      if (trapped) return undefined;
      const id = setTimeout(() => {
        timers.delete(id);
        enter(callback);
      }, ms);
      timers.add(id);
      return id;
    },
    clearTimeout(id) {
      timers.delete(id);
      clearTimeout(id);
    },
    onSettled(promise, ok, err) {
      promise.then(
        (value) => enter(ok, value),
        (reason) => enter(err, reason),
      );
    },
    hold(what) {
      if (trapped) letGo(what);
      else held.add(what);
    },
    holdPromise(reject, promise) {
      if (depth > 0) fresh.push(promise);
      // Made after the trap, by a call still unwinding: nobody will ever be handed it.
      if (trapped) promise.catch(() => {});
      this.hold(reject);
    },
    trapped: () => trapped !== null,
    inside: () => depth > 0,
    release(what) {
      held.delete(what);
    },
  };

  return { forWasm, constructor, methods };
}

/**
 * Installs the above on the classes of one wasm-bindgen module; returns the classes to
 * export (each client class guarded).
 */
export function install(wasm) {
  wasm.__setErrorClass(ChatwireError);
  const guard = makeGuard();
  wasm.__setGuard(guard.forWasm);
  const dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
  const classes = { EventStream: wasm.EventStream };
  for (const name of CLASSES) {
    const cls = wasm[name];
    if (!cls) continue; // built without this protocol
    const proto = cls.prototype;
    guard.methods(proto);
    proto[Symbol.asyncIterator] = function () {
      return this.events();
    };
    // After `methods`: the guarded `free` (wasm-bindgen's own `Symbol.dispose` is the bare one).
    proto[dispose] = proto.free;
    classes[name] = guard.constructor(cls);
  }
  const streams = wasm.EventStream.prototype;
  guard.methods(streams);
  streams[Symbol.asyncIterator] = function () {
    return this;
  };
  streams[dispose] = streams.free;
  return classes;
}
