/**
 * One Responses API call end to end. OpenAI and Azure deployments serve it natively: the
 * request goes as it came (with the provider's model name), the answer and the stream's events
 * come back as the provider's bytes, and their usage is read for spend. Every other provider is
 * reached through its chat endpoint (src/translate/responses): the request becomes a chat
 * completion, the answer a `response` object, the chunks the Responses API's semantic events.
 */
import { randomBytes } from "node:crypto";
import { SseParser, type SseEvent } from "../http/sse.js";
import { resolveModel } from "../providers/registry.js";
import { nativeResponses, type NativeResponses } from "../providers/responses.js";
import { eventObject } from "../providers/stream-json.js";
import type { StreamEvent } from "../providers/types.js";
import { inputItems, toChatParams } from "../translate/responses/request.js";
import { completionUsage, fromChatCompletion, type IdMaker } from "../translate/responses/response.js";
import { ResponseEventTranslator } from "../translate/responses/stream.js";
import { UsageLedger } from "../usage/ledger.js";
import type { ChatCompletion } from "../wire/chat.js";
import type { ResponseItem, ResponseObject, ResponsesParams, ResponseStreamEvent } from "../wire/responses.js";
import { BadRequestError } from "../wire/errors.js";
import { isRecord } from "../wire/validate.js";
import { attemptOnce, attemptStream, withRetries } from "./attempt.js";
import { type ChatCompletionStream, runChatCompletion } from "./chat-completion.js";
import { type CallOptions, DEFAULT_TIMEOUT_SECONDS } from "./options.js";
import type { Shape } from "./shape.js";
import { CompletionStream, StreamEnd, type StreamItem } from "./stream.js";
import type { PreparedCall } from "./upstream.js";
import { chatBasis } from "./usage.js";

/** A streamed response: `for await (const event of stream)`. */
export type ResponseStream = CompletionStream<ResponseStreamEvent>;

/** What a call continues, resolved by whoever keeps conversations (the proxy's response store). */
export interface ResponsesContext {
  /**
   * The items of the response named by `previous_response_id`: its input, then its output.
   * Bridged calls send them before the new input; native calls too, unless `previousIsNative`.
   */
  history?: readonly ResponseItem[] | undefined;
  /** The previous response came from a native deployment, which keeps it: previous_response_id goes on as it is. */
  previousIsNative?: boolean | undefined;
  /** Makes response and item ids (tests fix them); responseIds() by default. */
  ids?: IdMaker | undefined;
}

/**
 * The ids of one bridged response: `resp_` and 48 hex digits, as OpenAI's look, and its items'
 * `msg_<same hex>_<n>`, `fc_<same hex>_<n>`, so an item a client refers to by id
 * (`item_reference`, as the Vercel AI SDK sends earlier turns) leads to the response that holds it.
 */
export function responseIds(): IdMaker {
  const hex = randomBytes(24).toString("hex");
  let items = 0;
  return (prefix) => (prefix === "resp" ? `resp_${hex}` : `${prefix}_${hex}_${items++}`);
}

const ITEM_ID = /^(?:msg|fc)_([0-9a-f]{48})_\d+$/;

/** The response a bridged item id was made for, or undefined when the id is not one of those. */
export function responseIdOfItem(id: string): string | undefined {
  const hex = ITEM_ID.exec(id)?.[1];
  return hex === undefined ? undefined : `resp_${hex}`;
}

/** What a native answer must be before anything reads it. */
const RESPONSE: Shape = {
  what: "response",
  problem(value) {
    if (!isRecord(value)) return "it is not an object";
    if (typeof value.id !== "string") return "`id` is missing or not a string";
    if (!Array.isArray(value.output)) return "`output` is missing or not a list";
    return;
  },
};

/**
 * A native stream event as the shared stream reader takes it: a terminal event (completed,
 * incomplete, failed) counts as its one choice finishing, so a stream cut before it is an error.
 */
interface NativeEvent {
  choices: { index: number; finish_reason: string | null }[];
  event: ResponseStreamEvent;
}

const RESPONSE_EVENT: Shape = {
  what: "response stream event",
  problem: (value) =>
    isRecord(value) && isRecord(value.event) && typeof value.event.type === "string"
      ? undefined
      : "it has no string `type`",
};

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

function parseNativeEvent(event: SseEvent): StreamEvent<NativeEvent> {
  if (event.data === "[DONE]") return { type: "done" };
  const parsed = eventObject(event.data, "The upstream");
  if (!("json" in parsed)) return parsed;
  const json = parsed.json;
  if (json.type === "error" || event.event === "error") {
    const error = isRecord(json.error) ? json.error : json;
    const message = typeof error.message === "string" ? error.message : "The upstream's stream failed.";
    const code = typeof error.code === "string" ? error.code : null;
    return { type: "error", status: undefined, detail: { message, code } };
  }
  const type = typeof json.type === "string" ? json.type : "";
  return {
    type: "chunk",
    chunk: {
      choices: TERMINAL.has(type) ? [{ index: 0, finish_reason: "stop" }] : [],
      event: json as ResponseStreamEvent,
    },
    // Several `data:` lines were joined with "\n": that text cannot go out as one line.
    raw: event.data.includes("\n") ? undefined : event.data,
  };
}

/** The text of an item, for counting its tokens when the provider reports none. */
function itemText(item: ResponseItem): string {
  const value = "content" in item ? item.content : "output" in item ? item.output : item.arguments;
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return "";
  return value.map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : "")).join("");
}

/** A stream of another stream's items, mapped; it ends (for whoever watches it) when the inner one does. */
function mapStream<A, B>(
  inner: CompletionStream<A>,
  map: (item: StreamItem<A>) => Iterable<StreamItem<B>>,
  finish?: () => Iterable<StreamItem<B>>,
): CompletionStream<B> {
  const end = new StreamEnd();
  inner.onEnd((error) => end.fire(error));
  const source = inner.items()[Symbol.asyncIterator]();
  async function* items(): AsyncGenerator<StreamItem<B>, void> {
    for (let next = await source.next(); next.done !== true; next = await source.next()) yield* map(next.value);
    if (finish !== undefined) yield* finish();
  }
  const generator = items();
  return new CompletionStream<B>(
    {
      next: () => generator.next(),
      // A generator closed before its first read never reaches the inner stream: close that first.
      return: async () => {
        await source.return?.();
        return generator.return(undefined);
      },
    },
    inner.requestId,
    end,
  );
}

function made(event: ResponseStreamEvent): StreamItem<ResponseStreamEvent> {
  return { chunk: event, raw: undefined };
}

/** The request for a native provider: the client's params with the provider's model name, the conversation spelled out when it is ours. */
function nativeBody(params: ResponsesParams, model: string, context: ResponsesContext): Record<string, unknown> {
  const body: Record<string, unknown> = { ...params, model };
  if (context.history !== undefined && context.previousIsNative !== true) {
    body.input = [...context.history, ...inputItems(params.input)];
    delete body.previous_response_id;
  }
  return body;
}

async function runNative(
  native: NativeResponses,
  params: ResponsesParams,
  model: string,
  options: CallOptions,
  context: ResponsesContext,
): Promise<ResponseObject | ResponseStream> {
  const body = nativeBody(params, model, context);
  const call: PreparedCall = {
    adapter: native,
    model: params.model,
    request: native.request(
      { model, options, env: process.env, dropParams: options.drop_params === true },
      "POST",
      "",
      body,
    ),
    timeoutMs: (options.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    signal: options.signal,
    remaining: options.remaining,
  };
  const ledger = options.ledger ?? new UsageLedger();
  const items = Array.isArray(body.input) ? (body.input as ResponseItem[]) : inputItems(params.input);
  const texts = [params.instructions ?? "", ...items.map(itemText)];
  ledger.begin(
    chatBasis(
      model,
      texts.map((content) => ({ content })),
    ),
    true,
  );
  const retries = options.num_retries ?? 0;
  const report = (usage: unknown): void => {
    if (isRecord(usage) && typeof usage.input_tokens === "number" && typeof usage.output_tokens === "number") {
      ledger.report(completionUsage(usage as { input_tokens: number; output_tokens: number; total_tokens?: number }));
    }
  };
  if (params.stream !== true) {
    const answer = await withRetries(
      () => attemptOnce(call, (json) => json as ResponseObject, RESPONSE),
      retries,
      options.signal,
    );
    report(answer.usage);
    return answer;
  }
  const stream = await withRetries(
    () =>
      attemptStream<NativeEvent, NativeEvent>(call, () => ({
        framer: new SseParser(),
        parseEvent: parseNativeEvent,
        shape: RESPONSE_EVENT,
        // The event as it came (its bytes are forwarded); its usage, when it ends the response, is billed.
        convert: (wrapped) => {
          if (TERMINAL.has(wrapped.event.type)) report(wrapped.event.response?.usage);
          return wrapped;
        },
        expectedChoices: 1,
      })),
    retries,
    options.signal,
  );
  return mapStream(stream, ({ chunk, raw }) => [{ chunk: chunk.event, raw }]);
}

async function runBridged(
  params: ResponsesParams,
  model: string,
  options: CallOptions,
  context: ResponsesContext,
): Promise<ResponseObject | ResponseStream> {
  const ids = context.ids ?? responseIds();
  // Only a native provider could know a conversation the gateway does not keep.
  if (params.previous_response_id != null && context.history === undefined) {
    throw new BadRequestError(`Previous response with id '${params.previous_response_id.slice(0, 200)}' not found.`, {
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
  }
  // An unknown provider or one without chat fails in runChatCompletion, with its own message.
  let supported: ReadonlySet<string> = new Set();
  try {
    supported = resolveModel(model).chat?.supportedParams ?? supported;
  } catch {
    // runChatCompletion names the problem.
  }
  const chat = toChatParams(params, model, context.history ?? [], supported);
  if (params.stream !== true) {
    const answer = (await runChatCompletion(chat, options)) as ChatCompletion;
    return fromChatCompletion(answer, params, ids);
  }
  const chunks = (await runChatCompletion(chat, options)) as ChatCompletionStream;
  const translator = new ResponseEventTranslator(params, ids, model, Math.floor(Date.now() / 1000));
  return mapStream(
    chunks,
    ({ chunk }) => translator.push(chunk).map(made),
    () => translator.end().events.map(made),
  );
}

/**
 * A Responses API call with validated params (the Router's way in): native on OpenAI and Azure
 * deployments, through chat elsewhere (and for LiteLLM's `mock_response`).
 */
export async function runResponses(
  params: ResponsesParams,
  options: CallOptions,
  context: ResponsesContext = {},
): Promise<ResponseObject | ResponseStream> {
  if (options.mock_response === undefined) {
    const resolved = resolveModel(params.model);
    const native = nativeResponses(resolved.provider);
    if (native !== undefined) return runNative(native, params, resolved.model, options, context);
  }
  return runBridged(params, params.model, options, context);
}
