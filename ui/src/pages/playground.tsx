/**
 * Sends a prompt through the gateway as the signed-in session (chat or text completion,
 * streamed) and shows the answer as its tokens arrive, with usage, cost and latency.
 */
import { useEffect, useState } from "preact/hooks";
import { describe, getJson, request } from "../api.js";
import { count, ms, usd } from "../format.js";
import { Notice } from "../widgets.js";

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost?: number;
}

interface Chunk {
  choices?: { delta?: { content?: string | null }; text?: string }[];
  usage?: Usage | null;
  error?: { message?: string };
}

/** A model's prices per token, from /model/info. */
interface Price {
  input: number;
  output: number;
}

interface ModelInfo {
  data: { model_name: string; model_info: { input_cost_per_token?: number; output_cost_per_token?: number } }[];
}

/**
 * A stream's cost: its usage chunk's `cost` when the gateway adds it
 * (include_cost_in_streaming_usage), else its tokens at the model's prices (the header
 * left before the stream's cost was known).
 */
function costOf(usage: Usage | undefined, price: Price | undefined): number | undefined {
  if (usage?.cost !== undefined) return usage.cost;
  if (usage === undefined || price === undefined) return undefined;
  return usage.prompt_tokens * price.input + usage.completion_tokens * price.output;
}

interface Result {
  usage: Usage | undefined;
  cost: number | undefined;
  firstTokenMs: number | undefined;
  totalMs: number;
}

/** Each `data:` payload of a server-sent event stream, as it arrives. */
async function* events(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      for (const line of buffer.slice(0, end).split("\n")) if (line.startsWith("data: ")) yield line.slice(6);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
    }
  }
}

export function Playground() {
  const [models, setModels] = useState<string[] | undefined>(undefined);
  const [prices, setPrices] = useState<Map<string, Price>>(new Map());
  const [model, setModel] = useState("");
  const [mode, setMode] = useState<"chat" | "text">("chat");
  const [prompt, setPrompt] = useState("");
  const [answer, setAnswer] = useState("");
  const [result, setResult] = useState<Result | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    getJson<{ data: { id: string }[] }>("/v1/models").then(
      (list) => {
        const ids = list.data.map((entry) => entry.id);
        setModels(ids);
        setModel((current) => (current === "" ? (ids[0] ?? "") : current));
      },
      (failure: unknown) => setError(describe(failure)),
    );
    getJson<ModelInfo>("/model/info").then(
      (info) => {
        const found = new Map<string, Price>();
        for (const entry of info.data) {
          const { input_cost_per_token: input, output_cost_per_token: output } = entry.model_info;
          if (input !== undefined && output !== undefined) found.set(entry.model_name, { input, output });
        }
        setPrices(found);
      },
      // Without prices the cost shows only when the gateway reports it.
      () => undefined,
    );
  }, []);

  const send = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setAnswer("");
    setResult(undefined);
    setError(undefined);
    const started = performance.now();
    let firstTokenMs: number | undefined;
    let usage: Usage | undefined;
    try {
      const body =
        mode === "chat" ? { model, messages: [{ role: "user", content: prompt }] } : { model, prompt, max_tokens: 256 };
      const response = await request(mode === "chat" ? "/v1/chat/completions" : "/v1/completions", {
        ...body,
        stream: true,
        stream_options: { include_usage: true },
      });
      if (response.body === null) throw new Error("The gateway sent no stream.");
      for await (const data of events(response.body)) {
        if (data === "[DONE]") break;
        const chunk = JSON.parse(data) as Chunk;
        if (chunk.error !== undefined) throw new Error(chunk.error.message ?? "The stream failed.");
        const piece = chunk.choices?.[0]?.delta?.content ?? chunk.choices?.[0]?.text ?? "";
        if (piece !== "") {
          firstTokenMs ??= performance.now() - started;
          setAnswer((text) => text + piece);
        }
        if (chunk.usage) usage = chunk.usage;
      }
      setResult({ usage, cost: costOf(usage, prices.get(model)), firstTokenMs, totalMs: performance.now() - started });
    } catch (failure) {
      setError(describe(failure));
    }
    setBusy(false);
  };

  return (
    <>
      <form class="panel" aria-label="Request" onSubmit={(event) => void send(event)}>
        <div class="grid">
          <div class="field">
            <label for="pg-model">Model</label>
            <select id="pg-model" value={model} onChange={(event) => setModel(event.currentTarget.value)}>
              {(models ?? []).map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </div>
          <fieldset class="field">
            <legend>Endpoint</legend>
            <label class="inline">
              <input type="radio" name="mode" checked={mode === "chat"} onChange={() => setMode("chat")} />
              Chat
            </label>
            <label class="inline">
              <input type="radio" name="mode" checked={mode === "text"} onChange={() => setMode("text")} />
              Text completion
            </label>
          </fieldset>
        </div>
        <div class="field">
          <label for="pg-prompt">Prompt</label>
          <textarea id="pg-prompt" rows={4} value={prompt} onInput={(event) => setPrompt(event.currentTarget.value)} />
        </div>
        <div class="actions">
          <button type="submit" disabled={busy || model === "" || prompt.trim() === ""}>
            {busy ? "Streaming…" : "Send"}
          </button>
        </div>
      </form>
      {models !== undefined && models.length === 0 && (
        <Notice error="This key may use no model of this gateway: the Playground has nothing to send to." />
      )}
      {error !== undefined && <Notice error={error} />}
      <section class="panel answer" aria-label="Answer" aria-live="polite">
        <pre data-testid="answer">{answer}</pre>
      </section>
      {result !== undefined && (
        <dl class="stats" data-testid="call-stats">
          <div>
            <dt>Tokens</dt>
            <dd>
              {result.usage === undefined
                ? "—"
                : `${count(result.usage.prompt_tokens)} + ${count(result.usage.completion_tokens)} = ${count(result.usage.total_tokens)}`}
            </dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>{result.cost === undefined ? "—" : usd(result.cost)}</dd>
          </div>
          <div>
            <dt>First token</dt>
            <dd>{ms(result.firstTokenMs)}</dd>
          </div>
          <div>
            <dt>Latency</dt>
            <dd>{ms(result.totalMs)}</dd>
          </div>
        </dl>
      )}
    </>
  );
}
