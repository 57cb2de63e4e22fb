/**
 * Model groups and their deployments (/model/info), with each one's health from its last
 * check and its cool-down now (/health/latest: opening the page calls no upstream; the button
 * runs /health first), and latency p50/p95 over the most recent logged requests.
 */
import { useEffect, useState } from "preact/hooks";
import { describe, getJson, query } from "../api.js";
import { ago, count, ms, when } from "../format.js";
import type { LogPage } from "./logs.js";
import { Notice } from "../widgets.js";

interface ModelEntry {
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown>;
}

/** One deployment's latest check, as /health/latest keeps it (LiteLLM's field names). */
interface HealthCheck {
  status: "healthy" | "unhealthy";
  error_message: string | null;
  checked_at: string;
}

interface Cooldown {
  until: string;
  cause: string;
}

interface LatestHealth {
  latest_health_checks: Record<string, HealthCheck>;
  cooldowns: Record<string, Cooldown>;
}

/** How many recent log rows the latency percentiles are taken over. */
const RECENT = 500;

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function text(value: unknown): string {
  return typeof value === "string" || typeof value === "number" ? String(value) : "—";
}

export function Models() {
  const [models, setModels] = useState<ModelEntry[] | undefined>(undefined);
  const [health, setHealth] = useState<LatestHealth | undefined>(undefined);
  const [latency, setLatency] = useState<Map<string, number[]>>(new Map());
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const loadHealth = () =>
    getJson<LatestHealth>("/health/latest").then(setHealth, (failure: unknown) => setError(describe(failure)));

  useEffect(() => {
    getJson<{ data: ModelEntry[] }>("/model/info").then(
      (answer) => setModels(answer.data),
      (failure: unknown) => setError(describe(failure)),
    );
    void loadHealth();
    // Latency is a nicety: without the logs route the column stays empty.
    getJson<LogPage>(`/spend/logs/ui${query({ page: 1, page_size: RECENT })}`).then(
      (logs) => {
        const byDeployment = new Map<string, number[]>();
        for (const row of logs.data) {
          if (row.model_id === null || row.latency_ms === null) continue;
          const list = byDeployment.get(row.model_id) ?? [];
          list.push(row.latency_ms);
          byDeployment.set(row.model_id, list);
        }
        for (const list of byDeployment.values()) list.sort((a, b) => a - b);
        setLatency(byDeployment);
      },
      () => undefined,
    );
  }, []);

  const check = async () => {
    setChecking(true);
    try {
      await getJson<unknown>("/health");
      await loadHealth();
    } catch (failure) {
      setError(describe(failure));
    }
    setChecking(false);
  };

  return (
    <>
      <div class="toolbar">
        <button type="button" onClick={() => void check()} disabled={checking}>
          {checking ? "Checking…" : "Run health check"}
        </button>
      </div>
      {error !== undefined && <Notice error={error} />}
      <table class="responsive">
        <thead>
          <tr>
            <th>Model group</th>
            <th>Deployment</th>
            <th>Provider</th>
            <th>API base</th>
            <th>RPM / TPM</th>
            <th>Health</th>
            <th>Cooling down until</th>
            <th>p50 / p95</th>
          </tr>
        </thead>
        <tbody>
          {(models ?? []).map((model) => {
            const id = text(model.model_info.id);
            const state = health?.latest_health_checks[id];
            const cooldown = health?.cooldowns[id];
            const times = latency.get(id) ?? [];
            return (
              <tr key={id}>
                <td data-label="Model group">{model.model_name}</td>
                <td data-label="Deployment">
                  <code>{text(model.litellm_params.model)}</code>
                </td>
                <td data-label="Provider">{text(model.model_info.litellm_provider)}</td>
                <td data-label="API base">{text(model.litellm_params.api_base)}</td>
                <td data-label="RPM / TPM">
                  {count(typeof model.litellm_params.rpm === "number" ? model.litellm_params.rpm : null)} /{" "}
                  {count(typeof model.litellm_params.tpm === "number" ? model.litellm_params.tpm : null)}
                </td>
                <td data-label="Health">
                  {state === undefined ? (
                    "not checked"
                  ) : (
                    <>
                      <span
                        class={`badge ${state.status === "healthy" ? "active" : "blocked"}`}
                        title={state.error_message ?? undefined}
                      >
                        {state.status}
                      </span>{" "}
                      <time class="hint" dateTime={state.checked_at} title={when(state.checked_at)}>
                        checked {ago(state.checked_at)}
                      </time>
                    </>
                  )}
                </td>
                <td data-label="Cooling down until">
                  {cooldown === undefined ? "—" : `${when(cooldown.until)} (${cooldown.cause.replace("_", " ")})`}
                </td>
                <td data-label="p50 / p95">
                  {ms(percentile(times, 0.5))} / {ms(percentile(times, 0.95))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
