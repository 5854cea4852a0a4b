// Bindings vitest.config.ts passes to the test Worker for the fuzz tests (empty when unset).
declare namespace Cloudflare {
  interface Env {
    FUZZ_CASES: string;
    FUZZ_SEED: string;
  }
}
