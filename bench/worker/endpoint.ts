/**
 * A bench Worker's fetch handler: the path names the action, a POST body (JSON) carries its
 * input, and the answer is JSON; a failure answers 500 with the error and its stack, which the
 * driver prints.
 */
export function jsonEndpoint<E, B>(handle: (action: string, body: B, env: E) => Promise<unknown>): (request: Request, env: E) => Promise<Response> {
  return async (request, env) => {
    const action = new URL(request.url).pathname.slice(1);
    try {
      const body = request.method === 'POST' ? ((await request.json()) as B) : ({} as B);
      return Response.json((await handle(action, body, env)) ?? null);
    } catch (error) {
      const e = error as Error;
      return Response.json({ error: `${e.name}: ${e.message}`, stack: e.stack }, { status: 500 });
    }
  };
}

/** A fixed computation: the driver checks that the Worker's clock advances with it (see run.mjs). */
export function clockWork(work = 2e7): { compute: number; x: number } {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < work; i++) x = (x + i * 7) % 1_000_003;
  return { compute: performance.now() - t0, x };
}

/** Variants made once per isolate from their makers, as a Worker would keep them. */
export function variantCache<B, V>(makers: Record<string, (binding: B) => V>): { of(name: string, binding: B): V; clear(): void } {
  const made = new Map<string, V>();
  return {
    of(name, binding) {
      const make = makers[name];
      if (make === undefined) throw new Error(`unknown variant "${name}"; known: ${Object.keys(makers).join(', ')}`);
      let v = made.get(name);
      if (v === undefined) made.set(name, (v = make(binding)));
      return v;
    },
    clear: () => made.clear(),
  };
}
