/**
 * What requests spent, on its way to the store: one spend record per finished completion,
 * handed to the SpendWriter (batched, never awaited by a request), and the key state's
 * counters kept in step (`recorded` when a request ends, `flushed` when its record is
 * committed), which is how budgets hold between batched writes.
 */
import type { KeyState, SpendEntry } from "../state/key-state.js";
import { SpendWriter, type SpendWriterOptions } from "../store/spend-writer.js";
import type { JsonObject, SpendRecord, Store } from "../store/types.js";
import type { CompletionUsage } from "../wire/completions.js";
import { ownerId, type Principal, type Ticket } from "./grant.js";

/** What a finished completion reports for its spend record. */
export interface Outcome {
  ok: boolean;
  modelGroup: string;
  deploymentId: string | undefined;
  /** LiteLLM's `request_tags` and spend log `metadata` (see src/proxy/request-labels.ts). */
  requestTags: string[];
  metadata: JsonObject;
  /** Known usage, or its count still running (a stream the provider sent no usage for). */
  usage: CompletionUsage | Promise<CompletionUsage | undefined> | undefined;
  cost(usage: CompletionUsage): number;
  /** Answered from the response cache: no tokens charged to limits, cost 0. */
  cacheHit: boolean;
}

/**
 * What spend logs name instead of a key hash for requests made without a virtual key. Never
 * the master key's hash: a short master key could be found from it by brute force.
 */
const MASTER_KEY_LOG_ID = "master_key";
const OPEN_GATEWAY_LOG_ID = "no_key";

/** How spend logs and metrics name the caller's key: its hash, or what stands for the master key or none. */
export function principalLogId(principal: Principal): string {
  if (principal.kind === "key") return principal.grant.hash;
  return principal.kind === "master" ? MASTER_KEY_LOG_ID : OPEN_GATEWAY_LOG_ID;
}

/** How log lines and spans name the caller's key: the start of its hash, or what stands for the master key or none. */
export function principalShownId(principal: Principal): string {
  if (principal.kind === "key") return principal.grant.hashShown;
  return principal.kind === "master" ? MASTER_KEY_LOG_ID : OPEN_GATEWAY_LOG_ID;
}

/**
 * The budget owners a spend record charges, each by its counter id: a virtual key's spend
 * goes to the key, its user and its team; the end user's (the request's `user`) to it,
 * whoever called.
 */
function spendEntries(record: SpendRecord): SpendEntry[] {
  const { cost } = record;
  if (!(cost > 0)) return [];
  const entries: SpendEntry[] = [];
  if (record.key_hash !== MASTER_KEY_LOG_ID && record.key_hash !== OPEN_GATEWAY_LOG_ID) {
    entries.push({ id: ownerId("key", record.key_hash), cost });
    if (record.user_id !== null) entries.push({ id: ownerId("user", record.user_id), cost });
    if (record.team_id !== null) entries.push({ id: ownerId("team", record.team_id), cost });
  }
  if (record.end_user !== null) entries.push({ id: ownerId("customer", record.end_user), cost });
  return entries;
}

export class SpendLedger {
  /** Undefined without a store: nothing is recorded, only the key state is kept. */
  readonly writer: SpendWriter | undefined;
  /** Records waiting on a stream's token count; flush and close wait for them. */
  private readonly counting = new Set<Promise<void>>();
  /** The same, by the key they charge: that key's next admission waits for its spend. */
  private readonly countingByKey = new Map<string, Set<Promise<void>>>();

  constructor(
    private readonly keyState: KeyState,
    store: Store | undefined,
    private readonly options: Omit<SpendWriterOptions, "onWritten"> = {},
  ) {
    if (store === undefined) return;
    this.writer = new SpendWriter(store, {
      ...options,
      // Committed spend: budgets stop adding it on top of the database's.
      onWritten: (records) => {
        const entries = records.flatMap(spendEntries);
        if (entries.length > 0) keyState.markFlushed(entries);
      },
    });
  }

  /** Resolves once no spend batch is being written (its records then count as written). */
  written(): Promise<void> {
    return this.writer?.idle() ?? Promise.resolve();
  }

  /** True when spend is recorded (a store is open). */
  get records(): boolean {
    return this.writer !== undefined;
  }

  /** True while the store is failing writes. */
  unavailable(): boolean {
    return this.writer?.unavailable() === true;
  }

  /** Releases what the ticket held, charges its tokens, and records its spend. Never throws. */
  finish(ticket: Ticket, outcome: Outcome): void {
    const { usage } = outcome;
    if (!(usage instanceof Promise)) {
      this.settle(ticket, outcome, usage);
      return;
    }
    const key = ticket.principal.kind === "key" ? ticket.principal.grant.hash : undefined;
    const counted: Promise<void> = usage
      .catch(() => undefined)
      .then((known) => this.settle(ticket, outcome, known))
      // A bug here must not become an unhandled rejection, which would end the process.
      .catch((error: unknown) =>
        this.options.logger?.warn(`spend not recorded: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        this.counting.delete(counted);
        if (key === undefined) return;
        const pending = this.countingByKey.get(key);
        pending?.delete(counted);
        if (pending?.size === 0) this.countingByKey.delete(key);
      });
    this.counting.add(counted);
    if (key === undefined) return;
    const pending = this.countingByKey.get(key);
    if (pending === undefined) this.countingByKey.set(key, new Set([counted]));
    else pending.add(counted);
  }

  /**
   * Settles once the spend of every request of `key` that has ended is counted (a stream's
   * tokens are counted after it ends); undefined when none is being counted, the usual case.
   */
  counted(key: string): Promise<void> | undefined {
    const pending = this.countingByKey.get(key);
    return pending === undefined ? undefined : Promise.all(pending).then(() => undefined);
  }

  /** Writes the spend of every request that has ended; false when the store did not take it in time. */
  async flush(timeoutMs: number): Promise<boolean> {
    await Promise.all(this.counting);
    return this.writer === undefined ? true : this.writer.flush(timeoutMs);
  }

  /** Waits for counting streams and writes every pending record (SIGTERM). */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all(this.counting);
    await this.writer?.close(timeoutMs);
  }

  private settle(ticket: Ticket, outcome: Outcome, usage: CompletionUsage | undefined): void {
    const now = Date.now();
    const { principal } = ticket;
    const grant = principal.kind === "key" ? principal.grant : undefined;
    // A cached answer generated nothing: its tokens count against no tpm limit.
    const tokens = outcome.cacheHit ? 0 : (usage?.total_tokens ?? 0);
    if (grant !== undefined) this.keyState.finish(grant.hash, grant.limits, ticket.spendId, tokens, now);
    const endUser = ticket.endUserLimits;
    if (endUser !== undefined) this.keyState.finish(endUser.holder, endUser.limits, ticket.spendId, tokens, now);
    if (this.writer === undefined) return;
    const record: SpendRecord = {
      request_id: ticket.spendId,
      key_hash: principalLogId(principal),
      user_id: grant?.key.user_id ?? null,
      team_id: grant?.key.team_id ?? null,
      model_group: outcome.modelGroup,
      deployment_id: outcome.deploymentId ?? null,
      prompt_tokens: usage?.prompt_tokens ?? 0,
      completion_tokens: usage?.completion_tokens ?? 0,
      cost: usage === undefined ? 0 : outcome.cost(usage),
      status: outcome.ok ? "success" : "failure",
      start_time: ticket.startedAt,
      end_time: now,
      cache_hit: outcome.cacheHit,
      end_user: ticket.endUser ?? null,
      request_tags: outcome.requestTags,
      metadata: outcome.metadata,
    };
    this.writer.add(record);
    const entries = spendEntries(record);
    if (entries.length > 0) this.keyState.addSpend(entries);
  }
}
