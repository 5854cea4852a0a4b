import { handleSyncHttp, type SyncServer } from '@pocket/sync/server';
import type { Mutation, MutationResult } from '@pocket/sync';
import type { Random } from './random.js';

export interface Faults {
  /** Chance that a request is lost before it reaches the server. */
  dropRequest: number;
  /** Chance that the server's answer is lost after it handled the request (a push was applied, the client never hears). */
  dropResponse: number;
  /** Each way, a request and its answer wait up to this many milliseconds. */
  maxDelayMs: number;
}

/** What the server answered to a push, whether or not the answer reached the client. */
export interface PushExchange {
  user: string;
  clientId: string;
  mutations: readonly Mutation[];
  results: readonly MutationResult[];
}

/** One page's connection: cut for good when the page reloads, so its answers never arrive. */
export interface Link {
  online: boolean;
  dead: boolean;
  fetch: typeof fetch;
}

/**
 * The network between the clients and one server, in process: requests go to `handleSyncHttp`
 * after a random delay, and are lost on the way there or back at random.
 */
export class FaultyNetwork {
  faults: Faults;
  readonly stats = { requests: 0, lostRequests: 0, lostResponses: 0, offline: 0 };
  readonly #server: SyncServer<{ id: string }>;
  readonly #random: Random;
  readonly #onPush: (exchange: PushExchange) => void;

  constructor(server: SyncServer<{ id: string }>, random: Random, faults: Faults, onPush: (exchange: PushExchange) => void) {
    this.#server = server;
    this.#random = random;
    this.faults = faults;
    this.#onPush = onPush;
  }

  link(): Link {
    const link: Link = {
      online: true,
      dead: false,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        this.stats.requests++;
        const lost = (what: string) => new TypeError(`fetch failed: ${what}`);
        if (!link.online || link.dead) {
          this.stats.offline++;
          throw lost('offline');
        }
        await this.#delay();
        if (link.dead) throw lost('the page was reloaded');
        if (this.#random.chance(this.faults.dropRequest)) {
          this.stats.lostRequests++;
          throw lost('request lost');
        }
        const request = new Request(input, init);
        const body = request.url.endsWith('/push') ? await request.clone().json() : null;
        const response = await handleSyncHttp(this.#server, request);
        if (body !== null && response.ok) {
          const answer = await response.clone().json();
          this.#onPush({ user: request.headers.get('x-user') ?? '', clientId: body.clientId, mutations: body.mutations, results: answer.results });
        }
        await this.#delay();
        if (link.dead) throw lost('the page was reloaded');
        if (this.#random.chance(this.faults.dropResponse)) {
          this.stats.lostResponses++;
          throw lost('response lost');
        }
        return response;
      }) as typeof fetch,
    };
    return link;
  }

  #delay(): Promise<void> {
    const ms = this.#random.int(this.faults.maxDelayMs + 1);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
