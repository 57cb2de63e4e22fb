/**
 * What the router tests share: one MockUpstream per deployment (so which deployment
 * answered is read off the mocks' request logs), a fake clock, scripted random sources,
 * and scripted upstream answers.
 */
import type { ServerResponse } from "node:http";
import type { LitellmParams, ModelEntry } from "../../src/config/index.js";
import { completionAnswer, streamChunks } from "./fixtures.js";
import { RouteTrace } from "../../src/router/trace.js";
import { type Handler, json, MockUpstream, sse } from "./mock-upstream.js";

/** A fake clock 15 s into a minute: rpm/tpm windows are the minutes of this clock. */
export class Clock {
  /** 2023-11-14T22:14:00.000Z, a minute boundary, plus 15 s. */
  static readonly START = 1_700_000_040_000 + 15_000;
  t: number;
  constructor(start = Clock.START) {
    this.t = start;
  }
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A random source that returns `values` in turn, over and over. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}

/** `n` draws evenly spread over [0, 1): (i + 0.5) / n. Weighted picks then split exactly. */
export function stratified(n: number): () => number {
  return sequence(...Array.from({ length: n }, (_, i) => (i + 0.5) / n));
}

/** A small seeded PRNG (mulberry32): the same seed gives the same draws on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The mocks, started; each answers OpenAI's example completion unless told otherwise. */
export async function startMocks(n: number): Promise<MockUpstream[]> {
  const mocks = await Promise.all(Array.from({ length: n }, () => MockUpstream.start()));
  for (const mock of mocks) mock.always(answer());
  return mocks;
}

export async function closeMocks(mocks: MockUpstream[]): Promise<void> {
  await Promise.all(mocks.map((mock) => mock.close()));
}

export function resetMocks(mocks: MockUpstream[]): void {
  for (const mock of mocks) {
    mock.reset();
    mock.always(answer());
  }
}

/** A `text-completion-openai/gpt-3.5-turbo-instruct` deployment of `group` on `mock`, with model_info.id `id`. */
export function deployment(
  group: string,
  id: string,
  mock: MockUpstream,
  params: Partial<LitellmParams> = {},
): ModelEntry {
  return {
    model_name: group,
    litellm_params: {
      model: "text-completion-openai/gpt-3.5-turbo-instruct",
      api_base: `${mock.url}/v1`,
      api_key: "sk-x",
      ...params,
    },
    model_info: { id },
  };
}

/** How many requests each mock saw. */
export function counts(mocks: MockUpstream[]): number[] {
  return mocks.map((mock) => mock.requests.length);
}

/** Answers OpenAI's example completion (usage: 5 + 7 = 12 tokens), after `before` runs. */
export function answer(before?: () => void): Handler {
  return (_req, res) => {
    before?.();
    json(res, 200, completionAnswer());
  };
}

/** An OpenAI-style error answer; `retry-after-ms: 1` by default so retries do not wait. */
export function failure(
  status: number,
  error: Record<string, unknown> = {},
  headers: Record<string, string> = { "retry-after-ms": "1" },
): Handler {
  return (_req, res) =>
    json(
      res,
      status,
      { error: { message: `upstream says ${status}`, type: null, param: null, code: null, ...error } },
      headers,
    );
}

/** Closes the connection without answering. */
export const reset: Handler = (_req, res) => {
  res.destroy();
};

/** Never answers (until the mock closes). */
export const hang: Handler = () => undefined;

/** A complete stream of `pieces`. */
export function stream(pieces: string[]): Handler {
  return (_req, res) => sse(res, [...streamChunks(pieces), "[DONE]"]);
}

/** Sends the stream's headers, then cuts the connection before any chunk. */
export const cutBeforeFirstChunk: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.flushHeaders();
  setTimeout(() => res.destroy(), 5);
};

/** Sends one chunk of a stream, then cuts the connection. */
export function cutAfterFirstChunk(piece: string): Handler {
  return (_req, res: ServerResponse) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`data: ${JSON.stringify(streamChunks([piece, "never sent"])[0])}\n\n`);
    setTimeout(() => res.destroy(), 20);
  };
}

/** A RouteTrace that names the deployments tried, by id. */
export class Trace extends RouteTrace {
  get tried(): string[] {
    return this.attempts.map((attempt) => attempt.deployment.id);
  }
}

/** A promise and the function that resolves it. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

export const PROMPT = { prompt: "Say this is a test", max_tokens: 7 };
