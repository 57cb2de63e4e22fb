/** Calling a test gateway's management routes and completions with a given key. */
import assert from "node:assert/strict";

export const MASTER_KEY = "sk-master-test-0123456789";

export interface Call {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & {
    error?: { message: string; type: string; param: string | null; code: string | null };
  };
}

export async function call(
  url: string,
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
): Promise<Call> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? {} : (JSON.parse(text) as Call["body"]),
  };
}

/** POST /key/generate with the master key; the new key's plaintext. */
export async function generateKey(url: string, settings: Record<string, unknown> = {}): Promise<string> {
  const answer = await call(url, "POST", "/key/generate", MASTER_KEY, settings);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return String(answer.body.key);
}

/** One text completion with `key`. */
export function complete(url: string, key: string, model: string, extra: Record<string, unknown> = {}): Promise<Call> {
  return call(url, "POST", "/v1/completions", key, { model, prompt: "Say this is a test", ...extra });
}
