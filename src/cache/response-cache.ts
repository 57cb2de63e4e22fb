/**
 * The response cache, one code path for the Router (so the proxy) and the SDK: before a
 * request is routed, its key is looked up; a hit answers at once (as a stream when one was
 * asked for) and calls no deployment; a miss calls the model and stores a successful answer
 * — a stream only once it has ended complete, never one that failed or was cut.
 */
import { CompletionStream, localStream, StreamEnd, type StreamItem, StreamUsage } from "../sdk/stream.js";
import { markRaw, rawBodyOf } from "../sdk/usage-marks.js";
import type { RedisStateLogger } from "../state/redis-link.js";
import type { UsageLedger } from "../usage/ledger.js";
import { AnswerGatherer, type CachedAnswer, type CachedChunk, replayChunks } from "./answers.js";
import { type CacheControls, cacheControls } from "./controls.js";
import { type CacheKind, cacheKey } from "./key.js";
import { MemoryCache } from "./memory.js";
import { RedisCache } from "./redis.js";
import { type CacheParamsInput, type CacheSettings, settingsOf } from "./settings.js";
import type { CachePing, CacheStore } from "./store.js";

/** What a request's lookup found; the request's outcome (headers, spend, log, metrics) reads it. */
export interface CacheOutcome {
  /** The key looked up (`namespace:hash`), sent back as `x-litellm-cache-key` on a hit. */
  key: string;
  hit: boolean;
}

/** Where the lookup is recorded: the request's RouteTrace (its usage ledger and its cache outcome). */
export interface CacheNote {
  readonly usage: UsageLedger;
  cache: CacheOutcome | undefined;
  /** Fallbacks the request took: an answer of another model group is never stored under this one's key. */
  readonly fallbacks: number;
}

export interface CacheRequest {
  kind: CacheKind;
  /** The validated params, `model` the group asked for. */
  params: Readonly<Record<string, unknown>> & {
    model: string;
    stream?: boolean | null;
    stream_options?: { include_usage?: boolean | null } | null;
  };
  controls: CacheControls;
  /**
   * The namespace of the caller's key (its metadata's `redis_namespace`): it wins over any a
   * request names, so a key kept apart by its namespace cannot read another's entries.
   */
  keyNamespace: string | undefined;
  /** The namespace the request's metadata names (`redis_namespace`), under `cache.namespace`. */
  requestNamespace: string | undefined;
  mockResponse: string | undefined;
  /** LiteLLM's `caching: false`: this request neither reads nor writes the cache. */
  off: boolean;
}

/** LiteLLM's `metadata.redis_namespace`: the response cache namespace a request names for itself. */
function redisNamespaceOf(metadata: unknown): string | undefined {
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const namespace = (metadata as Record<string, unknown>).redis_namespace;
  return typeof namespace === "string" && namespace !== "" ? namespace : undefined;
}

/**
 * What the cache reads of a request split by splitRequest: its validated params, LiteLLM's
 * fields (the `cache` controls, `metadata.redis_namespace`), `mock_response`, and the caller's
 * key's namespace, which wins over the request's metadata.
 */
export function cacheRequest(
  kind: CacheKind,
  params: CacheRequest["params"],
  litellm: Readonly<Record<string, unknown>>,
  mockResponse: string | undefined,
  keyNamespace: string | undefined,
): CacheRequest {
  return {
    kind,
    params,
    controls: cacheControls(litellm.cache),
    keyNamespace,
    requestNamespace: redisNamespaceOf(litellm.metadata),
    mockResponse,
    off: litellm.caching === false,
  };
}

export interface ResponseCacheOptions {
  logger?: RedisStateLogger | undefined;
  /** Redis keys are `litegate:<keyPrefix>:cache:...` (tests keep their runs apart with it). */
  keyPrefix?: string | undefined;
}

export class ResponseCache {
  constructor(
    readonly settings: CacheSettings,
    readonly store: CacheStore,
  ) {}

  /** The cache the settings describe: in memory, or in Redis (connecting in the background). */
  static open(settings: CacheSettings, options: ResponseCacheOptions = {}): ResponseCache {
    const store =
      settings.type === "redis"
        ? new RedisCache({ ...settings.redis, logger: options.logger, keyPrefix: options.keyPrefix })
        : new MemoryCache(settings.maxSizeMb, settings.maxEntries);
    return new ResponseCache(settings, store);
  }

  /** The cache LiteLLM's cache_params describe (`{type: "redis", host, ttl}`), as the SDK's Router takes them. */
  static fromParams(params: CacheParamsInput, options: ResponseCacheOptions = {}): ResponseCache {
    return ResponseCache.open(settingsOf(params), options);
  }

  get type(): "local" | "redis" {
    return this.store.type;
  }

  /** The key a request would be cached under, or undefined when the request is not cached at all. */
  keyOf(request: CacheRequest): string | undefined {
    if (request.off || !this.settings.kinds.has(request.kind)) return undefined;
    if (this.settings.optIn && !request.controls.useCache) return undefined;
    const namespace =
      request.keyNamespace ?? request.controls.namespace ?? request.requestNamespace ?? this.settings.namespace;
    return cacheKey(request.kind, request.params, namespace, request.mockResponse);
  }

  /** The request answered from the cache, or by `call` (its successful answer then stored). */
  async serve<R>(request: CacheRequest, note: CacheNote, call: () => Promise<R>): Promise<R> {
    const key = this.keyOf(request);
    if (key === undefined) return call();
    note.cache = { key, hit: false };
    const { controls } = request;
    if (!controls.noCache) {
      const hit = await this.lookup(key, controls.maxAge);
      if (hit !== undefined) {
        note.cache.hit = true;
        if (hit.usage !== undefined) note.usage.report(hit.usage);
        if (request.params.stream !== true) return hit as R;
        return replay(hit, request.params.stream_options?.include_usage === true, note.usage) as R;
      }
    }
    const result = await call();
    // A fallback's answer (another model group's, or mock_testing_fallbacks') is not this group's.
    if (controls.noStore || note.fallbacks > 0) return result;
    const ttl = controls.ttl ?? this.settings.ttl;
    if (result instanceof CompletionStream)
      return this.storeWhenComplete(result, request.kind, key, ttl, note.usage) as R;
    const body = rawBodyOf(result as object) ?? JSON.stringify(result);
    // Not awaited: the answer leaves now; a store that fails drops the entry (set never throws).
    void this.store.set(key, { storedAt: Date.now(), body }, ttl);
    return result;
  }

  private async lookup(key: string, maxAge: number | undefined): Promise<CachedAnswer | undefined> {
    const stored = await this.store.get(key);
    if (stored === undefined) return undefined;
    if (maxAge !== undefined && Date.now() - stored.storedAt > maxAge * 1000) return undefined;
    let answer: CachedAnswer;
    try {
      answer = JSON.parse(stored.body) as CachedAnswer;
    } catch {
      return undefined;
    }
    // The stored bytes go out as they are, with no second serialisation.
    markRaw(answer, stored.body);
    return answer;
  }

  /** The stream as its caller reads it; its chunks gathered, and stored once it has ended complete. */
  private storeWhenComplete<C extends CachedChunk>(
    stream: CompletionStream<C>,
    kind: CacheKind,
    key: string,
    ttl: number,
    ledger: UsageLedger,
  ): CompletionStream<C> {
    const gatherer = new AnswerGatherer(kind);
    const end = new StreamEnd();
    stream.onEnd((error) => end.fire(error));
    const items = stream.items()[Symbol.asyncIterator]();
    const source: AsyncIterator<StreamItem<C>, void> = {
      next: async () => {
        const next = await items.next();
        if (next.done === true) {
          // Read to its end marker: complete (a cut or failed stream throws instead, and is not
          // stored). Stored before the caller hears the end, so its next request finds it.
          const settled = await ledger.settle().catch(() => undefined);
          const body = JSON.stringify(gatherer.answer(settled?.usage));
          await this.store.set(key, { storedAt: Date.now(), body }, ttl);
          return next;
        }
        gatherer.add(next.value.chunk);
        return next;
      },
      return: async () => {
        await items.return?.();
        return { done: true, value: undefined };
      },
    };
    return new CompletionStream(source, stream.requestId, end);
  }

  ping(): Promise<CachePing> {
    return this.store.ping();
  }

  delete(keys: readonly string[]): Promise<number> {
    return this.store.delete(keys);
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** A stored answer as a stream: its chunks, the usage chunk only when asked for. */
function replay(answer: CachedAnswer, includeUsage: boolean, ledger: UsageLedger): CompletionStream<CachedChunk> {
  const chunks = replayChunks(answer, includeUsage);
  async function* generate(): AsyncGenerator<CachedChunk, void> {
    yield* chunks;
  }
  const object = answer.object === "text_completion" ? "text_completion" : "chat.completion.chunk";
  return localStream(generate(), new StreamUsage<CachedChunk>(ledger, includeUsage, { object, model: answer.model }));
}
