// What both trap tests' children (npm/test/trap-child.mjs in Node, trap-page.mjs in Chromium)
// share: how they tell the simulator to inject faults, and how they report an error to the
// judge (a plain object, so it crosses a process or the page boundary as JSON).

/** `inject(body)` posts `body` to the simulator's `/admin/inject` at `base` with `fetchFn`. */
export function injector(fetchFn, base = '') {
  return async function inject(body) {
    const r = await fetchFn(`${base}/admin/inject`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`inject answered ${r.status}`);
    await r.text();
  };
}

/** What an error looked like: a ChatwireError's fields, or any other error as text. */
export const seenWith = (ChatwireError) => (e) =>
  e instanceof ChatwireError
    ? { error: 'ChatwireError', kind: e.kind, fault: e.fault, detail: e.detail, message: e.message }
    : { error: String(e) };
