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
