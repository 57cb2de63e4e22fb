/**
 * Reading one stream event's JSON. A provider that sends something else mid-stream (a
 * proxy's HTML page, a cut line) has failed, and the stream ends with a 502 that quotes it.
 */
import { isRecord } from "../wire/validate.js";
import type { StreamEvent } from "./types.js";

export type StreamFailure = Extract<StreamEvent<never>, { type: "error" }>;

function unreadable(sender: string, unit: string, expected: string, data: string): StreamFailure {
  const message = `${sender} sent a ${unit} that is not ${expected}: ${data.slice(0, 200)}`;
  return { type: "error", status: 502, detail: { message } };
}

/** `sender` and `unit` name what failed in the message: "Ollama", "stream line". */
export function eventJson(data: string, sender: string, unit = "stream event"): { json: unknown } | StreamFailure {
  try {
    return { json: JSON.parse(data) };
  } catch {
    return unreadable(sender, unit, "JSON", data);
  }
}

/** For streams whose every event is an object. */
export function eventObject(
  data: string,
  sender: string,
  unit = "stream event",
): { json: Record<string, unknown> } | StreamFailure {
  const parsed = eventJson(data, sender, unit);
  if (!("json" in parsed)) return parsed;
  const json = parsed.json;
  return isRecord(json) ? { json } : unreadable(sender, unit, "an object", data);
}
