/**
 * Who may call the gateway and what each call costs them. Credentials are checked on
 * every route: the master key, or (with a store) a virtual key resolved through a cache,
 * so the database is not read per request. A completion is then admitted against the
 * key's allowlists, budgets and rate limits (`admit`), and its end releases what it held
 * and records its spend (`finish`, through the SpendLedger).
 *
 * An admin UI session (its cookie; sessions.ts) is one more credential: it authenticates as
 * the key that signed in, here and nowhere else, so every route honours it alike.
 *
 * With no master key configured the gateway is open and virtual keys mean nothing, as in
 * LiteLLM.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Admission, KeyLimits, KeyState } from "../state/key-state.js";
import type { SpendWriter, SpendWriterOptions } from "../store/spend-writer.js";
import type { Store } from "../store/types.js";
import {
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
} from "../wire/errors.js";
import { assertModelAllowed, assertUsable, assertWithinBudget, currentSpend, isAllowed } from "./checks.js";
import { GrantCache, type Lookup } from "./grant-cache.js";
import { type BudgetOwner, type CustomerGrant, type Principal, Ticket } from "./grant.js";
import { isKeyToken, keyName } from "./key-token.js";
import { loadCustomer } from "./load-customer.js";
import { loadGrant } from "./load-grant.js";
import { type Session, Sessions, isSafeMethod } from "./sessions.js";
import { SignInLimiter } from "./sign-in-limiter.js";
import { type Outcome, SpendLedger } from "./spend-ledger.js";

export interface AccessOptions {
  masterKey: string | undefined;
  /** The master key is configured as os.environ/NAME and NAME is unset: refuse every request, naming it. */
  masterKeyMissingVariable?: string | undefined;
  /** Keys, budgets and spend; without one only the master key is known and nothing is recorded. */
  store?: Store | undefined;
  /** How spend logs are batched into the store (intervals, buffer bound, where failures are logged). */
  spendWriter?: Omit<SpendWriterOptions, "onWritten"> | undefined;
  keyState: KeyState;
  /** general_settings.allow_requests_on_db_unavailable. */
  allowOnDbUnavailable?: boolean | undefined;
  /** How long a key lookup is trusted before the database is read again. Default 5 s. */
  cacheTtlMs?: number | undefined;
  /** Failed admin UI sign-ins allowed per client address; 10 a minute by default. */
  signInLimiter?: SignInLimiter | undefined;
}

type Headers = Record<string, string>;

/** The models a request may call: the one it names, and the fallbacks it brings (LiteLLM's body `fallbacks`). */
export interface RequestedModels {
  model: string | undefined;
  fallbacks: readonly string[];
  /** The body's `user`: LiteLLM's end user (customer), with a budget of its own when it has a row. */
  endUser?: string | undefined;
}

/**
 * The request being admitted: its call id (its spend record's id), and where admit leaves the
 * x-ratelimit-* headers of the key's limits.
 */
export interface AdmissionCaller {
  readonly callId: { readonly text: string };
  rateHeaders: Headers | undefined;
}

/** The change that means "any key may have changed" (a user or a team did). */
const ALL_KEYS = "*";

/** What an admission without a key's limits passes: it takes no rpm cell and no lease, it only reads spend. */
const NO_LIMITS: KeyLimits = { rpm_limit: null, tpm_limit: null, max_parallel_requests: null };

/** End user ids longer than this are not looked up (nor recorded): no customer id is that long. */
const MAX_END_USER_LENGTH = 256;

const OPEN: Principal = { kind: "open" };
const MASTER: Principal = { kind: "master" };

function sha256(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/**
 * Digests of the keys presented lately: a client sends the same key on every request. Bounded
 * whatever is sent (a flood of random keys only empties it; long strings are never kept), so it
 * holds at most about 1 MB of strings that were in memory anyway while their requests were read.
 */
const MAX_DIGESTS = 4096;
/** Longer presented strings are not cached (virtual keys are 46 characters; master keys rarely over 100). */
const MAX_CACHED_KEY_LENGTH = 256;

class DigestCache {
  private readonly digests = new Map<string, Buffer>();

  of(key: string): Buffer {
    let digest = this.digests.get(key);
    if (digest === undefined) {
      digest = sha256(key);
      // Real keys are short; a header's worth of junk is hashed each time, never kept.
      if (key.length > MAX_CACHED_KEY_LENGTH) return digest;
      if (this.digests.size >= MAX_DIGESTS) this.digests.clear();
      this.digests.set(key, digest);
    }
    return digest;
  }
}

/**
 * The key a client presented: LiteLLM's `x-litellm-api-key` (for clients whose Authorization
 * header carries something else), `Authorization: Bearer <key>`, or `api-key` (Azure's clients).
 */
function presentedKey(req: IncomingMessage): string | undefined {
  const litellm = req.headers["x-litellm-api-key"];
  // Sent bare or as "Bearer sk-..." (both are common in the wild; LiteLLM takes both).
  if (typeof litellm === "string" && litellm.trim() !== "") return litellm.trim().replace(/^bearer\s+/i, "");
  const authorization = req.headers.authorization;
  if (authorization !== undefined && /^bearer /i.test(authorization)) return authorization.slice(7).trim();
  const apiKey = req.headers["api-key"];
  if (typeof apiKey === "string") return apiKey.trim();
  return authorization?.trim();
}

/** What a virtual key's UI session may send besides reads: the Playground's completions. */
const KEY_SESSION_WRITES = new Set(["/v1/chat/completions", "/chat/completions", "/v1/completions", "/completions"]);

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const mark = url.indexOf("?");
  return mark === -1 ? url : url.slice(0, mark);
}

/** The admin UI's answer to a key that is neither the master key nor a usable virtual key. */
function invalidMasterKey(): AuthenticationError {
  return new AuthenticationError("Invalid master key", { code: "invalid_master_key" });
}

function invalidKey(): AuthenticationError {
  return new AuthenticationError("Invalid API key: the key sent is not one this gateway accepts.", {
    code: "invalid_api_key",
  });
}

function databaseDown(what: string): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `The gateway's database is unreachable, so ${what}. Try again shortly; an operator can set general_settings.allow_requests_on_db_unavailable to keep serving keys already known.`,
    { code: "database_unavailable" },
  );
}

function rateHeaders(admission: Admission): Headers | undefined {
  const headers: Headers = {};
  if (admission.limitRequests !== undefined) {
    headers["x-ratelimit-limit-requests"] = String(admission.limitRequests);
    headers["x-ratelimit-remaining-requests"] = String(admission.remainingRequests ?? 0);
  }
  if (admission.limitTokens !== undefined) {
    headers["x-ratelimit-limit-tokens"] = String(admission.limitTokens);
    headers["x-ratelimit-remaining-tokens"] = String(admission.remainingTokens ?? 0);
  }
  return Object.keys(headers).length === 0 ? undefined : headers;
}

/** The 429 for a refused admission, naming whose limit it was. */
function rateLimited(label: string, limits: KeyLimits, result: Admission & { admitted: false }): RateLimitError {
  const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  return new RateLimitError(
    `Rate limit reached for ${label}: its ${result.limit} is ${limits[result.limit]}. Retry in ${seconds} s.`,
    { retryAfter: seconds, code: "rate_limit_exceeded", param: result.limit },
  );
}

/** Where a route's check tells who called (the request's context): its log line and spans then say so. */
export interface Caller {
  principal: Principal | undefined;
}

export class AccessControl {
  private readonly store: Store | undefined;
  private readonly master: Buffer | undefined;
  private readonly digests = new DigestCache();
  private readonly cache: GrantCache | undefined;
  /** End users by id, cached as keys are (changes through the routes drop them). */
  private readonly customers: GrantCache<CustomerGrant> | undefined;
  private readonly ledger: SpendLedger;
  private readonly keyState: KeyState;
  private readonly allowOnDbUnavailable: boolean;
  /** Admin UI sessions, in this process's memory. */
  readonly sessions: Sessions;
  private readonly signIns: SignInLimiter;

  constructor(private readonly options: AccessOptions) {
    this.sessions = new Sessions();
    this.signIns = options.signInLimiter ?? new SignInLimiter();
    const { masterKey, store } = options;
    this.master = masterKey === undefined || masterKey === "" ? undefined : sha256(masterKey);
    this.store = store;
    this.keyState = options.keyState;
    this.allowOnDbUnavailable = options.allowOnDbUnavailable === true;
    this.ledger = new SpendLedger(this.keyState, store, options.spendWriter);
    if (store !== undefined) {
      const state = this.keyState;
      const ledger = this.ledger;
      const cache = new GrantCache(
        // A batch being written may already be committed while its spend is still counted as
        // unwritten: reading the database then would count that spend twice against budgets.
        async (hash, masked, now) => {
          await ledger.written();
          return loadGrant(store, state, hash, masked, now);
        },
        options.cacheTtlMs ?? 5_000,
      );
      const customers = new GrantCache<CustomerGrant>(async (id, _masked, now) => {
        await ledger.written();
        return loadCustomer(store, state, id, now);
      }, options.cacheTtlMs ?? 5_000);
      // Changes made through another instance reach this cache at once (with Redis), not only at expiry.
      state.onChange((change) => {
        if (change !== ALL_KEYS) return cache.invalidate(change);
        cache.clear();
        customers.clear();
      });
      this.cache = cache;
      this.customers = customers;
    }
  }

  /** Who sent the request; throws 401 for no key or a key that is unknown, blocked or expired. */
  authenticate(req: IncomingMessage): Principal | Promise<Principal> {
    const missing = this.options.masterKeyMissingVariable;
    if (missing !== undefined) {
      // Configured but unset: refusing is safe, running open by accident is not.
      throw new AuthenticationError(
        `The gateway's master key is read from ${missing}, which is not set; set it and restart the gateway.`,
        {
          code: "master_key_not_set",
        },
      );
    }
    if (this.master === undefined) return OPEN;
    const key = presentedKey(req);
    if (key === undefined || key === "") {
      // A key sent in a header wins: API clients never depend on a browser's cookie.
      const session = this.sessions.fromRequest(req, Date.now());
      if (session !== undefined) return this.sessionPrincipal(session, req);
      throw new AuthenticationError(
        "No API key: send your key as 'Authorization: Bearer <key>' (or the 'api-key' header).",
        {
          code: "missing_api_key",
        },
      );
    }
    // Compared as hashes: the same length whatever was sent, and the same time whatever it is.
    const digest = this.digests.of(key);
    if (timingSafeEqual(digest, this.master)) return MASTER;
    // Random strings never reach the cache or the database: it cannot be flooded with them.
    if (this.cache === undefined || !isKeyToken(key)) throw invalidKey();
    return this.keyPrincipal(digest.toString("hex"), keyName(key), Date.now());
  }

  /**
   * The admin UI's sign-in: the master key (compared as hashes, in constant time) or a usable
   * virtual key starts a session; anything else is "Invalid master key". A client `address`
   * that has failed too often lately gets a 429 (sign-in-limiter.ts); each refused key counts.
   */
  async signIn(key: string, now: number, address: string): Promise<Session> {
    this.signIns.admit(address);
    try {
      return await this.checkSignIn(key, now);
    } catch (error) {
      // A refused key counts; a database outage or a gateway without a master key is no guess.
      if (error instanceof AuthenticationError) this.signIns.failed(address);
      throw error;
    }
  }

  private async checkSignIn(key: string, now: number): Promise<Session> {
    if (this.master === undefined) {
      throw new PermissionDeniedError(
        "The admin UI needs a master key: set general_settings.master_key (or LITELLM_MASTER_KEY) and restart the gateway.",
        { code: "master_key_required" },
      );
    }
    const digest = sha256(key);
    if (timingSafeEqual(digest, this.master)) return this.sessions.create({ role: "admin" }, now);
    if (this.cache === undefined || !isKeyToken(key)) throw invalidMasterKey();
    let lookup: Lookup;
    try {
      lookup = await this.cache.lookup(digest.toString("hex"), keyName(key), now);
    } catch {
      throw databaseDown("the key sent cannot be checked");
    }
    const { grant } = lookup;
    if (grant === undefined) throw invalidMasterKey();
    // Blocked, expired: refused with the reason, as the key's own requests would be.
    this.principalOf(lookup, now);
    return this.sessions.create({ role: "key", keyHash: grant.hash, keyName: keyName(key) }, now);
  }

  /**
   * Who a UI session acts as: the master key, or its virtual key looked up afresh (a key blocked
   * or deleted since sign-in is refused at once). A virtual key's session only reads, and calls
   * completions for the Playground.
   */
  private sessionPrincipal(session: Session, req: IncomingMessage): Principal | Promise<Principal> {
    this.sessions.checkCsrf(session, req);
    if (session.role === "admin") return MASTER;
    if (!isSafeMethod(req.method) && !KEY_SESSION_WRITES.has(pathOf(req))) {
      throw new PermissionDeniedError(
        "A virtual key's admin UI session is read-only (besides completions); sign in with the master key to change anything.",
        { code: "read_only_session" },
      );
    }
    return this.keyPrincipal(session.keyHash, session.keyName, Date.now());
  }

  /** The virtual key with this hash, through the cache; 401 when unknown, blocked or expired. */
  private keyPrincipal(hash: string, masked: string, now: number): Principal | Promise<Principal> {
    if (this.cache === undefined) throw invalidKey();
    const lookup = this.cache.lookup(hash, masked, now);
    if (!(lookup instanceof Promise)) return this.principalOf(lookup, now);
    return lookup.then(
      (found) => this.principalOf(found, now),
      () => {
        throw databaseDown("the key sent cannot be checked");
      },
    );
  }

  /**
   * For routes that act for the whole gateway (/health): the master key, or anyone when the
   * gateway is open. `caller` (the request's context) is told whom the key names, even a virtual
   * key then refused here; a key refused as unknown names nobody.
   */
  async requireAdmin(req: IncomingMessage, caller?: Caller): Promise<void> {
    const principal = await this.authenticate(req);
    if (caller !== undefined) caller.principal = principal;
    if (principal.kind === "key") {
      throw new PermissionDeniedError(
        "Only the master key may call this route; virtual keys may call the completion and model routes.",
        {
          code: "master_key_required",
        },
      );
    }
  }

  /**
   * What /health/readiness reports of the database and of Redis (which shares key limits):
   * "connected", "Not connected" when none is configured (LiteLLM's words), or "disconnected".
   */
  async connections(timeoutMs: number): Promise<{ db: string; redis: string }> {
    let db = "Not connected";
    if (this.store !== undefined) {
      const timeout = new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error("timed out")), timeoutMs).unref();
      });
      db = await Promise.race([this.store.ping(), timeout]).then(
        () => "connected",
        () => "disconnected",
      );
    }
    const shared = this.keyState.status?.().shared;
    return { db, redis: shared === undefined ? "Not connected" : shared ? "connected" : "disconnected" };
  }

  /**
   * For the key, user, team and spend routes: the master key, on a gateway that has one and a
   * store. Returns the store.
   */
  async requireKeyManagement(req: IncomingMessage, caller?: Caller): Promise<Store> {
    if (this.master === undefined) {
      throw new PermissionDeniedError(
        "Key management needs a master key: set general_settings.master_key (or LITELLM_MASTER_KEY) and restart the gateway.",
        { code: "master_key_required" },
      );
    }
    await this.requireAdmin(req, caller);
    if (this.store === undefined) {
      throw new NotFoundError("Key management is off: this gateway was started without a database.", {
        code: "key_management_disabled",
      });
    }
    return this.store;
  }

  /**
   * For the routes a virtual key may call about itself (/key/info, /user/info): the master
   * key or a virtual key, on a gateway with a master key and a store. The route decides what
   * a virtual key may see.
   */
  async requireStoreAccess(req: IncomingMessage, caller?: Caller): Promise<{ store: Store; principal: Principal }> {
    if (this.master === undefined) return { store: await this.requireKeyManagement(req, caller), principal: OPEN };
    const principal = await this.authenticate(req);
    if (caller !== undefined) caller.principal = principal;
    if (this.store === undefined) {
      throw new NotFoundError("Key management is off: this gateway was started without a database.", {
        code: "key_management_disabled",
      });
    }
    return { store: this.store, principal };
  }

  /**
   * Admits a completion for the models it names: allowlists (403), rate limits (429), budgets (400
   * budget_exceeded) of the key and of the request's end user, whoever calls (a blocked end user
   * is a 400); 503 while the database is down unless allowed. The key's x-ratelimit-* headers
   * go to `caller`, a refusal's too. The ticket, named by the caller's call id, goes back to
   * `finish` when the request ends.
   */
  admit(
    principal: Principal,
    request: RequestedModels,
    now: number,
    caller: AdmissionCaller,
  ): Ticket | Promise<Ticket> {
    if (this.ledger.unavailable() && !this.allowOnDbUnavailable) throw databaseDown("requests cannot be recorded");
    const ticket = new Ticket(principal, now, caller.callId.text);
    if (principal.kind === "key") {
      const { grant } = principal;
      if (request.model !== undefined) assertModelAllowed(grant, request.model);
      // A request's own fallbacks are models it may end up calling: each must be allowed too.
      for (const fallback of request.fallbacks) assertModelAllowed(grant, fallback, "fallbacks");
    }
    const endUser = request.endUser;
    if (this.customers === undefined || endUser === undefined || endUser === "" || endUser.length > MAX_END_USER_LENGTH)
      return this.admitOwners(ticket, undefined, now, caller);
    ticket.endUser = endUser;
    const lookup = this.customers.lookup(endUser, endUser, now);
    if (!(lookup instanceof Promise)) return this.admitEndUser(ticket, this.customerOf(lookup), now, caller);
    return lookup.then(
      (found) => this.admitEndUser(ticket, this.customerOf(found), now, caller),
      () => {
        if (!this.allowOnDbUnavailable) throw databaseDown("the request's end user cannot be checked");
        return this.admitOwners(ticket, undefined, now, caller);
      },
    );
  }

  /** The end user, refusing a blocked one (LiteLLM's 400); undefined when it has no row. */
  private customerOf(lookup: Lookup<CustomerGrant>): CustomerGrant | undefined {
    if (lookup.stale && !this.allowOnDbUnavailable) throw databaseDown("the request's end user cannot be checked");
    const found = lookup.grant;
    if (found === undefined) return undefined;
    if (found.customer.blocked) {
      throw new BadRequestError(
        `The end user '${found.customer.user_id}' (the request's 'user') is blocked from making requests; the gateway's admin can unblock it with POST /customer/unblock.`,
        { param: "user", code: "end_user_blocked" },
      );
    }
    return found;
  }

  /**
   * The end user's own rate limits (its budget's rpm_limit, tpm_limit, max_parallel_requests,
   * as LiteLLM applies them), taken before the key's; what it took is released if the key or a
   * budget then refuses the request, and otherwise when the request ends.
   */
  private admitEndUser(
    ticket: Ticket,
    found: CustomerGrant | undefined,
    now: number,
    caller: AdmissionCaller,
  ): Ticket | Promise<Ticket> {
    const limits = found?.limits;
    if (found === undefined || limits === undefined) return this.admitOwners(ticket, found?.owner, now, caller);
    const holder = found.owner.id;
    const release = (error: unknown): never => {
      this.keyState.finish(holder, limits, ticket.spendId, 0, Date.now());
      throw error;
    };
    const settle = (result: Admission): Ticket | Promise<Ticket> => {
      if (!result.admitted) throw rateLimited(found.owner.label, limits, result);
      ticket.endUserLimits = { holder, limits };
      let next: Ticket | Promise<Ticket>;
      try {
        next = this.admitOwners(ticket, found.owner, now, caller);
      } catch (error) {
        return release(error);
      }
      return next instanceof Promise ? next.catch(release) : next;
    };
    const admission = this.keyState.admit(holder, limits, ticket.spendId, [], now);
    return admission instanceof Promise ? admission.then(settle) : settle(admission);
  }

  /** Rate limits of the key (if any), then every budget that applies: the key's, its user's and team's, the end user's. */
  private admitOwners(
    ticket: Ticket,
    customer: BudgetOwner | undefined,
    now: number,
    caller: AdmissionCaller,
  ): Ticket | Promise<Ticket> {
    const { principal } = ticket;
    const grant = principal.kind === "key" ? principal.grant : undefined;
    const extra = customer?.max_budget != null ? customer : undefined;
    if (grant === undefined && extra === undefined) return ticket;
    const budgeted = extra === undefined ? (grant?.budgeted ?? []) : [...(grant?.budgeted ?? []), extra];
    const ids = extra === undefined ? (grant?.budgetedIds ?? []) : [...(grant?.budgetedIds ?? []), extra.id];
    // Without a key there are no limits to take: the admission only reads the end user's spend.
    const holder = grant?.hash ?? extra?.id ?? "";
    const limits = grant?.limits ?? NO_LIMITS;
    // A request of this key that ended is still having its tokens counted: its spend must be
    // in before this one is weighed against the budgets.
    const previous = grant === undefined || ids.length === 0 ? undefined : this.ledger.counted(grant.hash);
    const admission =
      previous === undefined
        ? this.keyState.admit(holder, limits, ticket.spendId, ids, now)
        : previous.then(() => this.keyState.admit(holder, limits, ticket.spendId, ids, now));
    const settle = (result: Admission): Ticket => {
      if (grant === undefined) {
        assertWithinBudget(budgeted, result.admitted ? result.recorded : []);
        return ticket;
      }
      caller.rateHeaders = rateHeaders(result);
      if (!result.admitted) throw rateLimited(grant.owners[0]?.label ?? "key", grant.limits, result);
      try {
        assertWithinBudget(budgeted, result.recorded);
      } catch (error) {
        this.keyState.finish(grant.hash, grant.limits, ticket.spendId, 0, Date.now());
        throw error;
      }
      if (budgeted.length > 0) {
        ticket.budgets = budgeted.map((owner, i) => ({ owner, spend: currentSpend(owner, result.recorded[i] ?? 0) }));
      }
      return ticket;
    };
    return admission instanceof Promise ? admission.then(settle) : settle(admission);
  }

  /** Releases what the ticket held, charges its tokens, and records its spend. Never throws. */
  finish(ticket: Ticket, outcome: Outcome): void {
    this.ledger.finish(ticket, outcome);
  }

  /** For the Router: which fallback models the principal may reach; undefined lets it reach any. */
  allowsFallback(principal: Principal): ((model: string) => boolean) | undefined {
    if (principal.kind !== "key") return undefined;
    const { grant } = principal;
    return (model) => isAllowed(grant, model);
  }

  /** True when a request's tokens must be known even if the provider reports none: its spend is recorded. */
  countsUsage(): boolean {
    return this.ledger.records;
  }

  /** Spend logs on their way to the store (its pending and dropped counts tell an operator how it goes). */
  get writer(): SpendWriter | undefined {
    return this.ledger.writer;
  }

  /** Drops a key's cached lookup (the management routes changed or removed it), here and on the other instances. */
  invalidateKey(hash: string): void {
    this.cache?.invalidate(hash);
    this.keyState.announceChange(hash);
  }

  /** Drops every cached lookup (a user, team, end user or budget changed), here and elsewhere. */
  invalidateAll(): void {
    this.cache?.clear();
    this.customers?.clear();
    this.keyState.announceChange(ALL_KEYS);
  }

  /**
   * Writes the spend of every request that has ended (streams still counting included), so
   * a management answer that follows shows it. False when the database did not take it in time.
   */
  flushSpend(timeoutMs: number): Promise<boolean> {
    return this.ledger.flush(timeoutMs);
  }

  /** Writes every pending spend record, then closes the key state and the store. */
  async close(timeoutMs = 10_000): Promise<void> {
    await this.ledger.close(timeoutMs);
    await this.keyState.close();
    await this.store?.close();
  }

  private principalOf(lookup: Lookup, now: number): Principal {
    if (lookup.stale && !this.allowOnDbUnavailable) throw databaseDown("the key sent cannot be checked");
    if (lookup.grant === undefined) throw invalidKey();
    assertUsable(lookup.grant, now);
    return { kind: "key", grant: lookup.grant };
  }
}
