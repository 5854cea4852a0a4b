import { DurableObject } from 'cloudflare:workers';

// Empty Durable Objects: tests reach their storage with runInDurableObject().
export class KvTestObject extends DurableObject {}
export class SqlTestObject extends DurableObject {}

export default {
  async fetch(): Promise<Response> {
    return new Response('pocket storage-edge test worker');
  },
};
