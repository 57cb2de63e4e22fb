/**
 * A gateway for the admin UI's browser tests and screenshots: master key, SQLite in a temp
 * dir, and one OpenAI model played by a mock upstream that answers every request (a stream
 * word by word; `hold()` keeps a stream waiting after its first word until released).
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { startGateway, type TestGateway } from "./gateway.js";
import { json, MockUpstream } from "./mock-upstream.js";

export const UI_MASTER_KEY = "sk-ui-browser-master";
export const UI_MODEL = "gpt-4o-mini";
/** What the mock answers, in the pieces a stream sends. */
export const ANSWER_PIECES = ["Hello", " from", " the", " mock", " provider."];
export const USAGE = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };

export interface UiGateway {
  gateway: TestGateway;
  upstream: MockUpstream;
  /** The next stream stops after its first piece until the returned function is called. */
  hold(): () => void;
  close(): Promise<void>;
}

function chunk(content: string | undefined, usage?: typeof USAGE) {
  return {
    id: "chatcmpl-ui",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: UI_MODEL,
    choices: usage === undefined ? [{ index: 0, delta: { content }, finish_reason: null }] : [],
    ...(usage === undefined ? {} : { usage }),
  };
}

/** `store` is SQLite in a temp dir unless given (the Postgres run gives its own). */
export async function startUiGateway(store?: Store): Promise<UiGateway> {
  const dir = mkdtempSync(join(tmpdir(), "litegate-ui-"));
  const upstream = await MockUpstream.start();
  let held: Promise<void> | undefined;
  const stream = async (res: ServerResponse): Promise<void> => {
    const wait = held;
    held = undefined;
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const [i, piece] of ANSWER_PIECES.entries()) {
      res.write(`data: ${JSON.stringify(chunk(piece))}\n\n`);
      if (i === 0 && wait !== undefined) await wait;
    }
    res.write(`data: ${JSON.stringify(chunk(undefined, USAGE))}\n\n`);
    res.end("data: [DONE]\n\n");
  };
  upstream.always(async (request, res) => {
    const body = request.json as { stream?: boolean };
    if (body.stream === true) return stream(res);
    json(res, 200, {
      id: "chatcmpl-ui",
      object: "chat.completion",
      created: 1_700_000_000,
      model: UI_MODEL,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: ANSWER_PIECES.join("") },
          finish_reason: "stop",
          logprobs: null,
        },
      ],
      usage: USAGE,
    });
  });
  const gateway = await startGateway({
    modelList: [
      {
        model_name: UI_MODEL,
        litellm_params: { model: `openai/${UI_MODEL}`, api_base: `${upstream.url}/v1`, api_key: "sk-upstream" },
      },
    ],
    masterKey: UI_MASTER_KEY,
    store: store ?? SqliteStore.open({ path: join(dir, "ui.db") }),
    keyCacheTtlMs: 0,
    spendWriter: { intervalMs: 20 },
  });
  return {
    gateway,
    upstream,
    hold() {
      let release: () => void = () => undefined;
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      return release;
    },
    async close() {
      await gateway.close();
      await upstream.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
