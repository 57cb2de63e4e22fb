/**
 * One request of each kind before measuring: a target that answers 404 or an error body
 * would otherwise post impressive numbers for doing nothing.
 */
import { Client } from "undici";
import { isRecord } from "./child-protocol.js";
import { BODY, HEADERS, PATH, STREAM_BODY } from "./request.js";

/** null when the target serves both a completion and a full stream; else what went wrong. */
export async function checkTarget(port: number): Promise<string | null> {
  const client = new Client(`http://127.0.0.1:${port}`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  try {
    const plain = await client.request({ path: PATH, method: "POST", headers: HEADERS, body: BODY });
    const text = await plain.body.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Reported below.
    }
    if (plain.statusCode !== 200 || !isRecord(json) || json.object !== "text_completion" || !Array.isArray(json.choices)) {
      return `non-streaming check: HTTP ${plain.statusCode} ${text.slice(0, 300)}`;
    }
    const streamed = await client.request({ path: PATH, method: "POST", headers: HEADERS, body: STREAM_BODY });
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
