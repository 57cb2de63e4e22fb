/**
 * Health checks of every deployment, kept by the server. Each run (a live GET /health, or the
 * background loop of general_settings.background_health_checks) pings every deployment once
 * and keeps each one's latest result in memory, as LiteLLM's health-check records: /health
 * answers from them in background mode, and /health/latest shows them (the admin UI's Models
 * page reads it, so opening the page calls no upstream).
 *
 * Runs of every deployment never overlap: one asked for while one is under way joins it (a check
 * of some deployments, GET /health?model=, takes their results from a run under way, else runs
 * on its own beside the background loop's next one). The records live in
 * this process only (each --num_workers worker keeps its own, as LiteLLM's workers do) and
 * hold no key: an error message is the provider's, with credentials already redacted.
 */
import { randomUUID } from "node:crypto";
import type { Deployment } from "../config/index.js";
import { type AbortLike, Cancellation, MAX_TIMER_MS } from "../http/cancel.js";
import { asAPIError } from "./respond.js";

/** LiteLLM's HEALTH_CHECK_TIMEOUT_SECONDS: each ping's bound. */
const HEALTH_CHECK_TIMEOUT_SECONDS = 30;
/** LiteLLM's default health_check_interval. */
export const DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS = 300;
/** LiteLLM cuts a stored error message to 500 characters. */
const MAX_ERROR_LENGTH = 500;
/** LiteLLM's checked_by for its background runs. */
const BACKGROUND_CHECKER = "background_health_check";

/**
 * One deployment's latest check, in the field names of LiteLLM's /health/latest records
 * (`_convert_health_check_to_dict`). A record here is one deployment checked once, so the
 * counts are 1 and 0; `checked_by` is LiteLLM's "background_health_check" for the background
 * loop and null for a /health call (the master key is no user).
 */
export interface HealthCheckRecord {
  /** A random id per record; LiteLLM's is its database row's. */
  health_check_id: string;
  model_name: string;
  model_id: string;
  status: "healthy" | "unhealthy";
  healthy_count: number;
  unhealthy_count: number;
  error_message: string | null;
  response_time_ms: number;
  /** Always null, as LiteLLM stores its records. */
  details: null;
  checked_by: string | null;
  checked_at: string;
  /** When the record was made: the end of its check, so the same as checked_at. */
  created_at: string;
}

/** A record with its deployment (for /health's model and api_base): the current one, for the latest checks. */
export interface HealthCheck {
  deployment: Deployment;
  record: HealthCheckRecord;
}

/** What is checked: the Router's deployments and its ping. */
export interface HealthTarget {
  readonly deployments: readonly Deployment[];
  ping(deployment: Deployment, timeoutSeconds: number, signal?: AbortLike): Promise<void>;
}

export interface HealthChecksOptions {
  target: HealthTarget;
  /** general_settings.health_check_interval when background_health_checks is on; undefined: /health runs live. */
  intervalSeconds?: number | undefined;
  logger: { warn(message: string): void };
  /** For tests: the clock (epoch ms). */
  now?: (() => number) | undefined;
}

export class HealthChecks {
  private readonly latestById = new Map<string, HealthCheck>();
  private running: Promise<readonly HealthCheck[]> | undefined;
  /** Settles when the first background run has (or shutdown came first). */
  private firstRun: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly stopping = new Cancellation();
  private readonly now: () => number;

  constructor(private readonly options: HealthChecksOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether /health answers from the background runs rather than checking live. */
  get background(): boolean {
    return this.options.intervalSeconds !== undefined;
  }

  /**
   * Checks every deployment once and keeps each one's result; joins the run under way if
   * there is one. With `only` (deployment ids), checks just those, or takes their results
   * from a run of all under way. Never rejects: a failing ping is an unhealthy record.
   */
  run(checkedBy: string | null = null, only?: ReadonlySet<string>): Promise<readonly HealthCheck[]> {
    if (only !== undefined) {
      const picked = (checks: readonly HealthCheck[]) => checks.filter((check) => only.has(check.deployment.id));
      if (this.running !== undefined) return this.running.then(picked);
      const some = this.options.target.deployments.filter((deployment) => only.has(deployment.id));
      return this.checkAll(checkedBy, some);
    }
    if (this.running === undefined) {
      this.running = this.checkAll(checkedBy).finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /** The latest check of each deployment still routed to (one removed since is left out). */
  latest(): HealthCheck[] {
    const checks: HealthCheck[] = [];
    for (const deployment of this.options.target.deployments) {
      const check = this.latestById.get(deployment.id);
      if (check !== undefined) checks.push({ deployment, record: check.record });
    }
    return checks;
  }

  /** In background mode: resolves once the first run has finished, so /health never answers from nothing. */
  async settled(): Promise<void> {
    await this.firstRun;
  }

  /** Starts the background loop (a no-op without an interval): a run now, then one each interval after a run ends. */
  start(): void {
    const seconds = this.options.intervalSeconds;
    if (seconds === undefined || this.firstRun !== undefined || this.stopping.aborted) return;
    const delay = Math.min(seconds * 1000, MAX_TIMER_MS);
    const loop = (): Promise<unknown> =>
      this.run(BACKGROUND_CHECKER).then(() => {
        if (this.stopping.aborted) return;
        this.timer = setTimeout(() => void loop(), delay);
        // The loop alone must not keep the process alive.
        this.timer.unref();
      });
    this.firstRun = loop();
  }

  /** Stops the loop and cancels the run under way (its results are dropped); what was kept stays readable. */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.timer);
    await this.running;
  }

  /** Checks `some` deployments (by default all of them) and keeps their results. */
  private async checkAll(checkedBy: string | null, some?: readonly Deployment[]): Promise<readonly HealthCheck[]> {
    try {
      const deployments = some ?? this.options.target.deployments;
      const checks = await Promise.all(deployments.map((deployment) => this.check(deployment, checkedBy)));
      if (this.stopping.aborted) return checks;
      for (const check of checks) this.latestById.set(check.deployment.id, check);
      if (some !== undefined) return checks;
      // Deployments removed since (/model/delete) take their records with them: memory stays bounded.
      const ids = new Set(deployments.map((deployment) => deployment.id));
      for (const id of this.latestById.keys()) if (!ids.has(id)) this.latestById.delete(id);
      return checks;
    } catch (error) {
      // Nothing above should throw; if it does, the loop goes on and the log says why (never a key: no value is logged).
      this.options.logger.warn(
        `health check run failed: ${error instanceof Error ? error.message : String(error)}; the next run retries`,
      );
      return [];
    }
  }

  private async check(deployment: Deployment, checkedBy: string | null): Promise<HealthCheck> {
    const started = this.now();
    let error: string | null = null;
    try {
      await this.options.target.ping(deployment, HEALTH_CHECK_TIMEOUT_SECONDS, this.stopping);
    } catch (failure) {
      error = asAPIError(failure).message.slice(0, MAX_ERROR_LENGTH);
    }
    const finished = this.now();
    const checkedAt = new Date(finished).toISOString();
    return {
      deployment,
      record: {
        health_check_id: randomUUID(),
        model_name: deployment.modelName,
        model_id: deployment.id,
        status: error === null ? "healthy" : "unhealthy",
        healthy_count: error === null ? 1 : 0,
        unhealthy_count: error === null ? 0 : 1,
        error_message: error,
        response_time_ms: finished - started,
        details: null,
        checked_by: checkedBy,
        checked_at: checkedAt,
        created_at: checkedAt,
      },
    };
  }
}
