/** The spend logs, filtered and paged by the server (/spend/logs/ui). */
import { useState } from "preact/hooks";
import { query, type Session } from "../api.js";
import { count, localMidnight, ms, TIME_ZONE, usd, when } from "../format.js";
import { Field, Notice, Pager, useGet } from "../widgets.js";

/** A /spend/logs/ui row: /spend/logs' fields (LiteLLM's names), the key's alias and the latency. */
export interface LogRow {
  request_id: string;
  startTime: string;
  endTime: string | null;
  /** The key's hash. */
  api_key: string | null;
  key_alias: string | null;
  team_id: string | null;
  model_group: string | null;
  /** The deployment's id. */
  model_id: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  spend: number;
  status: string;
  latency_ms: number | null;
  cache_hit: boolean | null;
}

export interface LogPage {
  data: LogRow[];
  total: number;
  page: number;
  page_size: number;
  total_pages: number;
}

const PAGE_SIZE = 50;

/** A key's hash as the gateway stores it; anything else typed in the key filter is an alias. */
const KEY_HASH = /^[0-9a-f]{64}$/;

/**
 * What the key filter asks the server for. A plaintext key is never sent: it would travel in
 * the URL, where access logs and browser history keep it. Its hash or alias finds the same logs.
 */
function keyFilterOf(text: string): { key_hash?: string; key_alias?: string } | "plaintext" {
  if (text.startsWith("sk-")) return "plaintext";
  if (text === "") return {};
  return KEY_HASH.test(text) ? { key_hash: text } : { key_alias: text };
}

export function Logs({ session }: { session: Session }) {
  const admin = session.role === "admin";
  const [page, setPage] = useState(1);
  const [keyText, setKeyText] = useState("");
  const [team, setTeam] = useState("");
  const [model, setModel] = useState("");
  const [status, setStatus] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");

  const keyFilter = keyFilterOf(keyText.trim());
  // The days picked are the browser's, as the times shown are: from the From day's local
  // midnight up to the end of the To day (its last millisecond; the route includes an instant end).
  const params = {
    page,
    page_size: PAGE_SIZE,
    ...(keyFilter === "plaintext" ? {} : keyFilter),
    team_id: team.trim(),
    model: model.trim(),
    status,
    start_date: start === "" ? "" : localMidnight(start).toISOString(),
    end_date: end === "" ? "" : new Date(localMidnight(end, 1).getTime() - 1).toISOString(),
  };
  const loaded = useGet<LogPage>(keyFilter === "plaintext" ? null : `/spend/logs/ui${query(params)}`);
  // With a plaintext key typed nothing is asked: the last answer is not this filter's.
  const logs = keyFilter === "plaintext" ? undefined : loaded.data;
  // The model filter is exact: offer the names the gateway serves.
  const info = useGet<{ data: { model_name: string }[] }>("/model/info");
  const modelNames = [...new Set((info.data?.data ?? []).map((entry) => entry.model_name))].sort();

  const filter = (set: (value: string) => void) => (value: string) => {
    set(value);
    setPage(1);
  };

  return (
    <>
      <form class="panel filters" aria-label="Filters" onSubmit={(event) => event.preventDefault()}>
        <div class="grid">
          {admin && <Field label="Key alias or hash" value={keyText} set={filter(setKeyText)} />}
          {admin && <Field label="Team" value={team} set={filter(setTeam)} />}
          <Field label="Model" value={model} set={filter(setModel)} list="log-models" />
          <datalist id="log-models">
            {modelNames.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
          <div class="field">
            <label for="log-status">Status</label>
            <select id="log-status" value={status} onChange={(event) => filter(setStatus)(event.currentTarget.value)}>
              <option value="">any</option>
              <option value="success">success</option>
              <option value="failure">failure</option>
            </select>
          </div>
          <Field label="From" value={start} set={filter(setStart)} type="date" />
          <Field label="To" value={end} set={filter(setEnd)} type="date" />
        </div>
        <p class="hint">Days and times are the browser's, in {TIME_ZONE}.</p>
      </form>
      {keyFilter === "plaintext" && (
        <Notice error="That is a key itself (it starts with sk-), so it was not sent: filter by the key's alias or its hash instead." />
      )}
      {loaded.error !== undefined && keyFilter !== "plaintext" && <Notice error={loaded.error} />}
      <p class="summary">
        {logs === undefined ? "" : `${count(logs.total)} ${logs.total === 1 ? "request" : "requests"}`}
      </p>
      <table class="responsive">
        <thead>
          <tr>
            <th>Time</th>
            <th>Key</th>
            <th>Model</th>
            <th>Deployment</th>
            <th>Tokens</th>
            <th>Cost</th>
            <th>Status</th>
            <th>Latency</th>
            <th>Cache</th>
          </tr>
        </thead>
        <tbody>
          {(logs?.data ?? []).map((row) => (
            <tr key={row.request_id}>
              <td data-label="Time">{when(row.startTime)}</td>
              <td data-label="Key">{row.key_alias ?? row.api_key?.slice(0, 10) ?? "—"}</td>
              <td data-label="Model">{row.model_group ?? "—"}</td>
              <td data-label="Deployment">{row.model_id ?? "—"}</td>
              <td data-label="Tokens">
                {count(row.prompt_tokens)} + {count(row.completion_tokens)} = {count(row.total_tokens)}
              </td>
              <td data-label="Cost">{usd(row.spend)}</td>
              <td data-label="Status">
                <span class={`badge ${row.status === "success" ? "active" : "blocked"}`}>{row.status}</span>
              </td>
              <td data-label="Latency">{ms(row.latency_ms)}</td>
              <td data-label="Cache">{row.cache_hit === true ? "hit" : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager
        page={page}
        hasMore={logs !== undefined && page < logs.total_pages}
        pages={logs?.total_pages}
        go={setPage}
      />
    </>
  );
}
