/**
 * LiteLLM's `generic_api` callback: every completion, chat, embeddings and responses request's
 * StandardLoggingPayload, POSTed as a JSON array to GENERIC_LOGGER_ENDPOINT. Payloads are
 * queued at the request's end and sent in batches off the request path; a batch the
 * endpoint refuses is retried with backoff, and the queue is bounded so that an endpoint
 * down for long costs memory only up to a limit (the oldest payloads go first, counted).
 */
import { type Outcome, principalLogId } from "../access/spend-ledger.js";
import { providerPrefix } from "../config/providers.js";
import type { CompletionUsage } from "../wire/completions.js";
import type { RequestContext } from "./context.js";
import { routeOperation } from "./route-operation.js";

/** LiteLLM's DEFAULT_BATCH_SIZE and DEFAULT_FLUSH_INTERVAL_SECONDS. */
export const DEFAULT_WEBHOOK_BATCH_SIZE = 512;
export const DEFAULT_WEBHOOK_FLUSH_SECONDS = 5;
/** Payloads kept while the endpoint is down; LiteLLM keeps none (a failed batch is lost). */
export const DEFAULT_WEBHOOK_MAX_QUEUE = 10_000;
/**
 * The queue's bound in characters of JSON, beside its count: with prompts logged a payload can
 * be megabytes (max_request_size_mb), and 10,000 of them would not fit in the heap.
 */
const DEFAULT_MAX_QUEUE_CHARS = 64 * 1024 * 1024;
/** A batch's body stays under this (one payload larger goes alone): far from V8's longest string, which JSON.stringify of a whole batch could pass. */
const DEFAULT_MAX_BATCH_CHARS = 8 * 1024 * 1024;

export interface WebhookLoggerOptions {
  endpoint: string;
  /** Sent with every batch (GENERIC_LOGGER_HEADERS); content-type is always JSON. */
  headers: Readonly<Record<string, string>>;
  batchSize: number;
  flushIntervalMs: number;
  maxQueue: number;
  /**
   * Send each request's prompt (`messages`) and answer (`response`): only when
   * litellm_settings.turn_off_message_logging is written as false. LiteLLM sends them unless
   * it is true; litegate sends no prompt anywhere unless told to.
   */
  logMessages: boolean;
  /** Characters of JSON kept queued (default 64 Mi) and sent in one batch (default 8 Mi). */
  maxQueueChars?: number | undefined;
  maxBatchChars?: number | undefined;
  /** First wait after a failed batch; doubles up to maxBackoffMs. */
  backoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
}

export interface WebhookLoggerHooks {
  warn(fields: Record<string, unknown>, message: string): void;
  /** What a call to the model group would have cost: a cache hit's `saved_cache_cost`. */
  callCost(model: string, usage: CompletionUsage): number;
  /** Payloads dropped because the queue was full (a Prometheus counter with metrics on). */
  dropped?: ((count: number) => void) | undefined;
}

/** A StandardLoggingPayload, as JSON. */
export type LoggingPayload = Record<string, unknown>;

export class WebhookLogger {
  /** Each payload as its JSON, serialised as it is queued: what the batches are made of and the queue is bounded by. */
  private readonly queue: string[] = [];
  /** The characters of JSON in the queue. */
  private queuedChars = 0;
  private readonly timer: NodeJS.Timeout;
  private sending: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;
  private closed = false;
  /** close() has made its last send. */
  private ended = false;
  /** performance.now() past which nothing more is sent: set by close() to the end of the grace time. */
  private deadline = Number.POSITIVE_INFINITY;
  /** Aborted at that deadline: a batch still in flight then is given up (and counted as lost). */
  private readonly shutdown = new AbortController();
  /** Payloads still waiting for their usage (a stream counted to its end). */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    readonly options: WebhookLoggerOptions,
    private readonly hooks: WebhookLoggerHooks,
  ) {
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs);
    // The timer alone must not keep a finished process alive.
    this.timer.unref();
  }

  /** Queues a finished request's payload; never waits on the endpoint. */
  record(ctx: RequestContext, status: number, outcome: Outcome): void {
    const usage = outcome.usage;
    if (usage instanceof Promise) {
      const waiting: Promise<void> = usage
        .then(
          (settled) => this.push(loggingPayload(ctx, status, outcome, settled, this.hooks.callCost)),
          () => this.push(loggingPayload(ctx, status, outcome, undefined, this.hooks.callCost)),
        )
        .catch((error: unknown) => this.hooks.warn({ error: String(error) }, "generic_api logger: payload not built"));
      this.pending.add(waiting);
      void waiting.finally(() => this.pending.delete(waiting));
      return;
    }
    this.push(loggingPayload(ctx, status, outcome, usage, this.hooks.callCost));
  }

  /** Payloads queued and not yet accepted by the endpoint. */
  get queued(): number {
    return this.queue.length;
  }

  private push(payload: LoggingPayload): void {
    // A stream's usage settled after shutdown's last send: nothing will send it.
    if (this.ended) {
      this.hooks.dropped?.(1);
      return;
    }
    let json: string;
    try {
      json = JSON.stringify(payload);
    } catch (error) {
      // Longer than V8's longest string: no batch could carry it.
      this.hooks.warn({ error: String(error) }, "generic_api logger: payload too large to send, dropped");
      this.hooks.dropped?.(1);
      return;
    }
    this.queue.push(json);
    this.queuedChars += json.length;
    this.trim();
    if (this.queue.length >= this.options.batchSize) this.flush();
  }

  /** Drops the oldest payloads past maxQueue or the queue's characters: under a long outage the newest matter most. */
  private trim(): void {
    const maxChars = this.options.maxQueueChars ?? DEFAULT_MAX_QUEUE_CHARS;
    let over = Math.max(0, this.queue.length - this.options.maxQueue);
    let chars = this.queuedChars;
    for (let i = 0; i < over; i++) chars -= (this.queue[i] as string).length;
    // The newest payload stays, however large: it went through JSON.stringify, so it can be sent.
    while (chars > maxChars && over < this.queue.length - 1) {
      chars -= (this.queue[over] as string).length;
      over += 1;
    }
    if (over === 0) return;
    this.queue.splice(0, over);
    this.queuedChars = chars;
    this.hooks.warn(
      { dropped: over, max_queue: this.options.maxQueue },
      "generic_api logger queue full: oldest payloads dropped",
    );
    this.hooks.dropped?.(over);
  }

  /** The next batch off the front of the queue: up to batchSize payloads within maxBatchChars (at least one). */
  private takeBatch(): string[] {
    const maxChars = this.options.maxBatchChars ?? DEFAULT_MAX_BATCH_CHARS;
    let count = 0;
    let chars = 0;
    while (count < this.options.batchSize && count < this.queue.length) {
      const next = (this.queue[count] as string).length;
      if (count > 0 && chars + next > maxChars) break;
      chars += next;
      count += 1;
    }
    this.queuedChars -= chars;
    return this.queue.splice(0, count);
  }

  /** Starts sending batches unless a send runs or a retry waits. */
  private flush(): void {
    // After close() the shutdown's own drain has had its one try: no retry timer sends later.
    if (this.closed || this.sending !== undefined || this.queue.length === 0 || performance.now() < this.retryAt)
      return;
    this.sending = this.drain().finally(() => {
      this.sending = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && performance.now() < this.deadline) {
      const batch = this.takeBatch();
      const { error, refused } = await this.send(batch);
      if (error === undefined) {
        this.failures = 0;
        continue;
      }
      if (refused) {
        // The endpoint answered: it is up, whatever it thought of this batch.
        this.failures = 0;
        // The endpoint will not take this batch however often it is sent (a 400, a 413): it is
        // dropped, counted, as LiteLLM drops a refused batch, and the queue behind it goes on.
        this.hooks.warn({ error, dropped: batch.length }, "generic_api logger: batch refused, dropped");
        this.hooks.dropped?.(batch.length);
        continue;
      }
      // Back at the front, in order; whatever came meanwhile and overflows is dropped oldest first.
      this.queue.unshift(...batch);
      for (const json of batch) this.queuedChars += json.length;
      this.trim();
      this.failures += 1;
      const base = this.options.backoffMs ?? 1000;
      const wait = Math.min(base * 2 ** (this.failures - 1), this.options.maxBackoffMs ?? 30_000);
      this.hooks.warn(
        { error, queued: this.queue.length, retry_in_ms: wait },
        "generic_api logger: batch not accepted, will retry",
      );
      if (this.closed) return;
      this.retryAt = performance.now() + wait;
      // The retry comes from its own timer: the interval only flushes on schedule.
      setTimeout(() => this.flush(), wait).unref();
      return;
    }
  }

  /**
   * `error` undefined when the endpoint accepted the batch, else why not (never its headers);
   * `refused` when its answer says a retry cannot help (a 4xx but 408 and 429).
   */
  private async send(batch: readonly string[]): Promise<{ error?: string; refused?: boolean }> {
    // AbortSignal.timeout takes whole milliseconds only.
    const timeout = Math.ceil(Math.max(1, Math.min(30_000, this.deadline - performance.now())));
    try {
      const response = await fetch(this.options.endpoint, {
        method: "POST",
        headers: { ...this.options.headers, "content-type": "application/json" },
        body: `[${batch.join(",")}]`,
        signal: AbortSignal.any([AbortSignal.timeout(timeout), this.shutdown.signal]),
      });
      await response.arrayBuffer();
      if (response.ok) return {};
      const status = response.status;
      return { error: `status ${status}`, refused: status >= 400 && status < 500 && status !== 408 && status !== 429 };
    } catch (error) {
      return { error: failureOf(error, timeout) };
    }
  }

  /** At shutdown: sends what is queued within graceMs, one try per batch. */
  async close(graceMs: number): Promise<void> {
    clearInterval(this.timer);
    // A send already under way (with its own 30 s timeout) ends at the deadline too.
    this.deadline = performance.now() + graceMs;
    const giveUp = setTimeout(() => this.shutdown.abort(), graceMs);
    // Streams still being counted get half the grace time: the sends get the rest.
    await Promise.race([Promise.allSettled([...this.pending]), sleep(graceMs / 2)]);
    this.closed = true;
    await this.sending;
    if (this.queue.length > 0) await this.drain();
    clearTimeout(giveUp);
    this.ended = true;
    if (this.queue.length > 0) {
      this.hooks.warn({ lost: this.queue.length }, "generic_api logger: payloads not sent before shutdown");
      this.hooks.dropped?.(this.queue.length);
    }
  }
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/**
 * Why a batch did not reach the endpoint, for the retry's log line: a timeout, or the
 * connection's error code (fetch wraps it as "fetch failed"). Never the URL, which may hold a token.
 */
function failureOf(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === "string") return `${error.message} (${cause.code})`;
  return typeof cause?.message === "string" ? `${error.message}: ${cause.message}` : error.message;
}

/** Epoch seconds of a performance.now() time, as LiteLLM's startTime/endTime. */
const epochSeconds = (now: number): number => (performance.timeOrigin + now) / 1000;

/**
 * LiteLLM's StandardLoggingPayload for a finished request: the same outcome spend was
 * charged from. The prompt and the answer only when the logger was told to send them
 * (ctx.logged is then set), else null as LiteLLM sends them with turn_off_message_logging;
 * never a key: only the key's hash.
 */
export function loggingPayload(
  ctx: RequestContext,
  status: number,
  outcome: Outcome,
  usage: CompletionUsage | undefined,
  callCost: WebhookLoggerHooks["callCost"],
): LoggingPayload {
  const trace = ctx.trace;
  const answered = trace?.attempts.at(-1);
  const deployment = answered?.deployment;
  const principal = ctx.principal;
  const grant = principal?.kind === "key" ? principal.grant : undefined;
  const ok = status === 200;
  const cost = usage === undefined ? 0 : outcome.cost(usage);
  const endedAt = performance.now();
  const answeredAt = answered?.answeredAt;
  // The model called: a catch-all deployment (`*`) may call any provider.
  const provider = answered === undefined ? (ctx.failure?.provider ?? null) : providerPrefix(answered.model);
  const failure = ok ? undefined : ctx.failure;
  return {
    // LiteLLM's id is its call id, the spend log's; trace_id groups a request's calls: the request id.
    id: ctx.callId.text,
    trace_id: ctx.id,
    call_type: routeOperation(ctx.route).callType,
    stream: ctx.stream,
    status: ok ? "success" : "failure",
    response_cost: cost,
    custom_llm_provider: provider,
    total_tokens: usage === undefined ? 0 : usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens: usage?.prompt_tokens ?? 0,
    completion_tokens: usage?.completion_tokens ?? 0,
    startTime: epochSeconds(ctx.started),
    endTime: epochSeconds(endedAt),
    completionStartTime: epochSeconds(answeredAt ?? endedAt),
    response_time: (endedAt - ctx.started) / 1000,
    model: answered?.model ?? ctx.model ?? "",
    model_id: deployment?.id ?? null,
    model_group: outcome.modelGroup,
    api_base: deployment?.apiBase ?? "",
    metadata: {
      user_api_key_hash: principal === undefined ? null : principalLogId(principal),
      user_api_key_alias: grant?.key.key_alias ?? null,
      user_api_key_team_id: grant?.key.team_id ?? null,
      user_api_key_team_alias: grant?.team?.team_alias ?? null,
      user_api_key_user_id: grant?.key.user_id ?? null,
      user_api_key_end_user_id: ctx.endUser ?? null,
      requester_metadata: outcome.metadata,
      spend_logs_metadata: null,
    },
    cache_hit: outcome.cacheHit,
    cache_key: ctx.trace?.cache?.key ?? null,
    // What the answer would have cost from the model, as LiteLLM prices a hit with cache_hit=False.
    saved_cache_cost: outcome.cacheHit && usage !== undefined ? callCost(outcome.modelGroup, usage) : 0,
    request_tags: outcome.requestTags,
    end_user: ctx.endUser ?? "",
    messages: ctx.logged?.input ?? null,
    // A failure has no answer, as LiteLLM logs it ({}): a stream cut short is not a finished one.
    response:
      ctx.logged === undefined ? null : ok ? (ctx.logged.gathered?.answer(usage) ?? ctx.logged.output ?? null) : {},
    model_parameters: {},
    // LiteLLM's str(exception): the message the client got, not only its class.
    error_str: failure === undefined ? null : failure.message,
    error_information:
      failure === undefined
        ? null
        : {
            error_code: String(failure.status),
            error_class: failure.errorClass,
            llm_provider: failure.provider ?? "",
          },
    hidden_params: {
      model_id: deployment?.id ?? null,
      api_base: deployment?.apiBase ?? null,
      response_cost: cost,
      litellm_overhead_time_ms: Math.max(0, endedAt - ctx.started - (trace?.upstreamMs ?? 0)),
      attempted_retries: trace?.retries ?? 0,
      attempted_fallbacks: trace?.fallbacks ?? 0,
    },
  };
}
