/**
 * Model groups and their deployments (/model/info), with health and cool-downs from a
 * /health run on demand, and latency p50/p95 over the most recent logged requests.
 */
import { useEffect, useState } from "preact/hooks";
import { describe, getJson, query } from "../api.js";
import { count, ms, when } from "../format.js";
import type { LogPage } from "./logs.js";
import { Notice } from "../widgets.js";

interface ModelEntry {
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown>;
}

interface Endpoint {
  model_id: string;
  cooldown_until?: string;
  error?: string;
}

interface HealthReport {
  healthy_endpoints: Endpoint[];
  unhealthy_endpoints: Endpoint[];
}

interface Health {
  healthy: boolean;
  endpoint: Endpoint;
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
  const [health, setHealth] = useState<Map<string, Health> | undefined>(undefined);
  const [latency, setLatency] = useState<Map<string, number[]>>(new Map());
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    getJson<{ data: ModelEntry[] }>("/model/info").then(
      (answer) => setModels(answer.data),
      (failure: unknown) => setError(describe(failure)),
    );
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
      const report = await getJson<HealthReport>("/health");
      const found = new Map<string, Health>();
      for (const endpoint of report.healthy_endpoints) found.set(endpoint.model_id, { healthy: true, endpoint });
      for (const endpoint of report.unhealthy_endpoints) found.set(endpoint.model_id, { healthy: false, endpoint });
      setHealth(found);
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
            const state = health?.get(id);
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
                    <span class={`badge ${state.healthy ? "active" : "blocked"}`} title={state.endpoint.error}>
                      {state.healthy ? "healthy" : "unhealthy"}
                    </span>
                  )}
                </td>
                <td data-label="Cooling down until">
                  {state?.endpoint.cooldown_until === undefined ? "—" : when(state.endpoint.cooldown_until)}
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
