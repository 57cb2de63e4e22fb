/**
 * textCompletion() and chatCompletion() with a `response_cache`: the Router's path to the cache
 * (ResponseCache.serve), for SDK calls made without a Router.
 */
import type { CacheKind } from "../cache/key.js";
import { type CacheNote, cacheRequest, type CacheRequest } from "../cache/response-cache.js";
import { UsageLedger } from "../usage/ledger.js";
import type { CallOptions } from "./options.js";

export function cachedCall<R>(
  kind: CacheKind,
  params: CacheRequest["params"],
  options: CallOptions,
  litellm: Readonly<Record<string, unknown>>,
  run: (options: CallOptions) => Promise<R>,
): Promise<R> {
  const cache = options.response_cache;
  if (cache === undefined) return run(options);
  // A stream's answer is stored with its usage: the ledger counts it when the provider sends none.
  // One call without a Router: no fallbacks.
  const note: CacheNote = { usage: options.ledger ?? new UsageLedger(true), cache: undefined, fallbacks: 0 };
  const request = cacheRequest(kind, params, litellm, options.mock_response, undefined);
  return cache.serve(request, note, () => run({ ...options, ledger: note.usage }));
}
