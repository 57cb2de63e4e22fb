/**
 * One request of each kind before measuring: a target that answers 401, 404 or an error
 * body would otherwise post impressive numbers for doing nothing.
 */
import { Client } from "undici";
import { isRecord } from "./child-protocol.js";
import type { LoadTarget } from "./load.js";
import { BODY, STREAM_BODY } from "./request.js";

/** null when the target serves both a completion and a full stream; else what went wrong. */
export async function checkTarget(target: LoadTarget): Promise<string | null> {
  const url = new URL(target.url);
  const client = new Client(url.origin, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  const request = { path: url.pathname, method: "POST" as const, headers: { ...target.headers } };
  try {
    const plain = await client.request({ ...request, body: BODY });
    const text = await plain.body.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Reported below.
    }
    const completion = isRecord(json) && json.object === "text_completion" && Array.isArray(json.choices);
    if (plain.statusCode !== 200 || !completion) {
      return `non-streaming check: HTTP ${plain.statusCode} ${text.slice(0, 300)}`;
    }
    const streamed = await client.request({ ...request, body: STREAM_BODY });
    const sse = await streamed.body.text();
    const ct = streamed.headers["content-type"];
    if (streamed.statusCode !== 200 || typeof ct !== "string" || !ct.startsWith("text/event-stream")) {
      return `streaming check: HTTP ${streamed.statusCode} content-type ${String(ct)} ${sse.slice(0, 300)}`;
    }
    if (!sse.trimEnd().endsWith("data: [DONE]") || !sse.includes('"text_completion"')) {
      return `streaming check: stream not relayed in full: ${sse.slice(0, 300)}`;
    }
    return null;
  } catch (err) {
    return `check request failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    await client.close();
  }
}
