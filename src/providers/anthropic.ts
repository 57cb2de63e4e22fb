/**
 * Anthropic's Messages API (`anthropic/M`): OpenAI chat requests become `/v1/messages`
 * requests, and Anthropic's messages and named-event streams become OpenAI's
 * chat.completion and chat.completion.chunk objects.
 */
import { SseParser, type SseEvent } from "../http/sse.js";
import type { UpstreamRequest } from "../http/transport.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionParams,
  ChatDelta,
  ChatFinishReason,
  ChatMessage,
  ContentPart,
  ToolCall,
} from "../wire/chat.js";
import type { CompletionUsage } from "../wire/completions.js";
import { AuthenticationError, BadGatewayError, BadRequestError, type ProviderErrorDetail } from "../wire/errors.js";
import { isRecord } from "../wire/validate.js";
import { joinUrl } from "./connection.js";
import { openAIErrorDetail } from "./openai-dialect.js";
import type { ChatAdapter, ChatStreamReader, StreamEvent, Target } from "./types.js";

const PROVIDER = "anthropic";
const ANTHROPIC_API_BASE = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";
/** Anthropic requires max_tokens; this is used for models not in the table below. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/**
 * Documented output limits, most specific prefix first. A newer model of a family
 * matches its family's entry, which is never above what the newer model allows.
 */
const MAX_OUTPUT_TOKENS: readonly (readonly [prefix: string, max: number])[] = [
  ["claude-3-haiku", 4096],
  ["claude-3-sonnet", 4096],
  ["claude-3-opus", 4096],
  ["claude-3-5-haiku", 8192],
  ["claude-3-5-sonnet", 8192],
  ["claude-3-7-sonnet", 64000],
  ["claude-haiku-4-5", 64000],
  ["claude-sonnet-4", 64000],
  ["claude-opus-4-5", 64000],
  ["claude-opus-4", 32000],
];

/** The output limit of a well-known Claude model, or undefined. */
export function anthropicMaxOutputTokens(model: string): number | undefined {
  return MAX_OUTPUT_TOKENS.find(([prefix]) => model.startsWith(prefix))?.[1];
}

/** The OpenAI chat params Anthropic can express; n, logprobs, penalties, seed and the like it cannot. */
export const ANTHROPIC_CHAT_PARAMS: ReadonlySet<string> = new Set([
  "max_completion_tokens",
  "max_tokens",
  "parallel_tool_calls",
  "stop",
  "stream",
  "stream_options",
  "temperature",
  "tool_choice",
  "tools",
  "top_p",
  "user",
]);

// Anthropic's wire format, as far as litegate writes or reads it.

type AnthropicTextBlock = { type: "text"; text: string };
type AnthropicImageBlock = {
  type: "image";
  source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };
};
type AnthropicToolUseBlock = { type: "tool_use"; id: string; name: string; input: unknown };
type AnthropicToolResultBlock = {
  type: "tool_result";
  tool_use_id: string;
  content: string | AnthropicTextBlock[];
};
type AnthropicBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicToolUseBlock | AnthropicToolResultBlock;

interface AnthropicMessage {
  role: "user" | "assistant";
  content: string | AnthropicBlock[];
}

type AnthropicToolChoice =
  | { type: "auto" | "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

/**
 * LiteLLM users write api_base as the host, the `/v1` root or the full endpoint;
 * each of them means the same endpoint.
 */
function messagesUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  if (trimmed.endsWith("/v1/messages")) return trimmed;
  return joinUrl(trimmed, trimmed.endsWith("/v1") ? "/messages" : "/v1/messages");
}


function badRequest(message: string, param: string, target: Target): BadRequestError {
  return new BadRequestError(message, { provider: PROVIDER, model: target.model, param, code: "invalid_value" });
}

const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*);base64,(.*)$/s;

function imageBlock(url: string, param: string, target: Target): AnthropicImageBlock {
  if (url.startsWith("data:")) {
    const match = DATA_URL.exec(url);
    if (match === null) {
      throw badRequest("Anthropic takes images as base64 data URLs (data:image/png;base64,...) or http(s) URLs.", param, target);
    }
    return { type: "image", source: { type: "base64", media_type: match[1] as string, data: match[3] as string } };
  }
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  throw badRequest("Anthropic takes images as base64 data URLs (data:image/png;base64,...) or http(s) URLs.", param, target);
}

function contentBlocks(content: string | readonly ContentPart[] | null | undefined, param: string, target: Target): AnthropicBlock[] {
  if (content === null || content === undefined) return [];
  // Anthropic refuses empty text blocks, which OpenAI clients send freely (content: "" beside tool_calls).
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  const blocks: AnthropicBlock[] = [];
  content.forEach((part, index) => {
    if (part.type === "text" && typeof part.text === "string") {
      if (part.text !== "") blocks.push({ type: "text", text: part.text });
    } else if (part.type === "image_url" && isRecord(part.image_url) && typeof part.image_url.url === "string") {
      blocks.push(imageBlock(part.image_url.url, `${param}[${index}].image_url.url`, target));
    } else {
      throw badRequest(`Anthropic does not take content parts of type '${part.type}'.`, `${param}[${index}]`, target);
    }
  });
  return blocks;
}

function toolUseBlock(call: ToolCall, param: string, target: Target): AnthropicToolUseBlock {
  const args = call.function.arguments;
  let input: unknown;
  try {
    // Some clients send "" for a call without arguments; Anthropic needs an object.
    input = args.trim() === "" ? {} : JSON.parse(args);
  } catch {
    throw badRequest(`The arguments of tool call '${call.id}' are not valid JSON; Anthropic needs them as an object.`, param, target);
  }
  return { type: "tool_use", id: call.id, name: call.function.name, input };
}

function toolResultContent(content: ChatMessage["content"]): string | AnthropicTextBlock[] {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  return content.flatMap((part): AnthropicTextBlock[] =>
    part.type === "text" && typeof part.text === "string" && part.text !== "" ? [{ type: "text", text: part.text }] : [],
  );
}

/** System and developer messages, wherever they stand: Anthropic has one `system` beside the turns. */
function systemPrompt(messages: readonly ChatMessage[]): string | AnthropicTextBlock[] | undefined {
  const blocks: AnthropicTextBlock[] = [];
  let strings = 0;
  for (const message of messages) {
    if (message.role !== "system" && message.role !== "developer") continue;
    if (typeof message.content === "string") {
      strings += 1;
      if (message.content !== "") blocks.push({ type: "text", text: message.content });
    } else {
      for (const part of message.content) if (part.text !== "") blocks.push({ type: "text", text: part.text });
    }
  }
  if (blocks.length === 0) return undefined;
  return blocks.length === 1 && strings === 1 ? (blocks[0] as AnthropicTextBlock).text : blocks;
}

/** The conversation as Anthropic's strictly alternating user / assistant turns. */
function anthropicMessages(messages: readonly ChatMessage[], target: Target): AnthropicMessage[] {
  const turns: { role: "user" | "assistant"; blocks: AnthropicBlock[] }[] = [];
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    let role: "user" | "assistant";
    let blocks: AnthropicBlock[];
    switch (message.role) {
      case "system":
      case "developer":
        return;
      case "user":
        role = "user";
        blocks = contentBlocks(message.content, `${param}.content`, target);
        break;
      case "assistant":
        role = "assistant";
        blocks = [
          ...contentBlocks(message.content, `${param}.content`, target),
          ...(message.tool_calls ?? []).map((call, j) => toolUseBlock(call, `${param}.tool_calls[${j}].function.arguments`, target)),
        ];
        break;
      case "tool":
        role = "user";
        blocks = [{ type: "tool_result", tool_use_id: message.tool_call_id, content: toolResultContent(message.content) }];
        break;
      default: {
        const unknown: { role?: unknown } = message;
        throw badRequest(`Anthropic does not take messages with role '${String(unknown.role)}'.`, `${param}.role`, target);
      }
    }
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    // Anthropic refuses two turns of one role in a row: parallel tool results, or a
    // tool result followed by the user's text, become one user turn.
    if (last !== undefined && last.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  });
  return turns.map(({ role, blocks }) => {
    const only = blocks.length === 1 ? blocks[0] : undefined;
    return { role, content: only !== undefined && only.type === "text" ? only.text : blocks };
  });
}

function toolChoice(params: ChatCompletionParams, target: Target): AnthropicToolChoice | undefined {
  const choice = params.tool_choice;
  const disableParallel = params.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice === null) {
    return params.parallel_tool_calls === false ? { type: "auto", ...disableParallel } : undefined;
  }
  if (choice === "none") return { type: "none" };
  if (choice === "auto") return { type: "auto", ...disableParallel };
  if (choice === "required") return { type: "any", ...disableParallel };
  if (isRecord(choice) && choice.type === "function" && isRecord(choice.function) && typeof choice.function.name === "string") {
    return { type: "tool", name: choice.function.name, ...disableParallel };
  }
  throw badRequest(`Anthropic cannot express tool_choice ${JSON.stringify(choice)}.`, "tool_choice", target);
}

function tools(params: ChatCompletionParams, target: Target): { name: string; description?: string; input_schema: Record<string, unknown> }[] {
  return (params.tools ?? []).map((tool, index) => {
    if (tool.type !== "function" || !isRecord(tool.function)) {
      throw badRequest(`Anthropic takes only function tools (got type '${String(tool.type)}').`, `tools[${index}]`, target);
    }
    const fn = tool.function;
    return {
      name: fn.name,
      ...(fn.description === undefined ? {} : { description: fn.description }),
      // input_schema is required upstream, while OpenAI allows a function without parameters.
      input_schema: fn.parameters ?? { type: "object", properties: {} },
    };
  });
}

function temperature(value: number, target: Target): number {
  if (value <= 1) return value;
  if (target.dropParams) return 1;
  throw new BadRequestError(
    `Anthropic takes temperature between 0 and 1 (got ${value}; OpenAI allows up to 2). Lower it, or set drop_params: true to clamp it to 1.`,
    { provider: PROVIDER, model: target.model, param: "temperature", code: "invalid_value" },
  );
}

function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

function requestBody(params: ChatCompletionParams, target: Target): Record<string, unknown> {
  const messages = anthropicMessages(params.messages, target);
  if (messages.length === 0) {
    throw badRequest("Anthropic needs at least one user or assistant message besides the system prompt.", "messages", target);
  }
  const body: Record<string, unknown> = {
    model: target.model,
    max_tokens:
      params.max_completion_tokens ?? params.max_tokens ?? anthropicMaxOutputTokens(target.model) ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages,
  };
  const system = systemPrompt(params.messages);
  if (system !== undefined) body.system = system;
  if (present(params.stop)) {
    const stops = typeof params.stop === "string" ? [params.stop] : params.stop;
    if (stops.length > 0) body.stop_sequences = stops;
  }
  if (present(params.temperature)) body.temperature = temperature(params.temperature, target);
  if (present(params.top_p)) body.top_p = params.top_p;
  if (typeof params.top_k === "number") body.top_k = params.top_k;
  if (params.stream === true) body.stream = true;
  if (typeof params.user === "string" && params.user !== "") body.metadata = { user_id: params.user };
  const toolList = tools(params, target);
  // tool_choice without tools is refused upstream; OpenAI treats it as meaningless too.
  if (toolList.length > 0) {
    body.tools = toolList;
    const choice = toolChoice(params, target);
    if (choice !== undefined) body.tool_choice = choice;
  }
  return body;
}

const FINISH_REASONS: Readonly<Record<string, ChatFinishReason>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

/** OpenAI's finish_reason for Anthropic's stop_reason; an unknown reason is a normal stop. */
export function anthropicFinishReason(stopReason: unknown): ChatFinishReason {
  return (typeof stopReason === "string" ? FINISH_REASONS[stopReason] : undefined) ?? "stop";
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

interface TokenCounts {
  input: number;
  cacheRead: number;
  cacheCreation: number;
  output: number;
}

/**
 * Anthropic's input_tokens leaves out cached tokens, read or written; OpenAI's
 * prompt_tokens counts every prompt token and reports the cached ones beside it.
 */
function openAIUsage(tokens: TokenCounts): CompletionUsage {
  const prompt = tokens.input + tokens.cacheRead + tokens.cacheCreation;
  const usage: CompletionUsage = {
    prompt_tokens: prompt,
    completion_tokens: tokens.output,
    total_tokens: prompt + tokens.output,
  };
  if (tokens.cacheRead > 0 || tokens.cacheCreation > 0) {
    usage.prompt_tokens_details = { cached_tokens: tokens.cacheRead, cache_write_tokens: tokens.cacheCreation };
  }
  return usage;
}

/** Reads the token counts Anthropic sent, keeping earlier ones it did not repeat. */
function readTokens(usage: unknown, into: TokenCounts): void {
  if (!isRecord(usage)) return;
  if (typeof usage.input_tokens === "number") into.input = count(usage.input_tokens);
  if (typeof usage.cache_read_input_tokens === "number") into.cacheRead = count(usage.cache_read_input_tokens);
  if (typeof usage.cache_creation_input_tokens === "number") into.cacheCreation = count(usage.cache_creation_input_tokens);
  if (typeof usage.output_tokens === "number") into.output = count(usage.output_tokens);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function parseMessage(body: unknown): ChatCompletion {
  if (!isRecord(body)) {
    throw new BadGatewayError(`Anthropic answered with something that is not a message: ${JSON.stringify(body).slice(0, 200)}`, {
      provider: PROVIDER,
    });
  }
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of Array.isArray(body.content) ? body.content : []) {
    if (!isRecord(block)) continue;
    if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: String(block.id),
        type: "function",
        function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) },
      });
    }
    // thinking, redacted_thinking and server-tool blocks have no place in OpenAI's message.
  }
  const tokens: TokenCounts = { input: 0, cacheRead: 0, cacheCreation: 0, output: 0 };
  readTokens(body.usage, tokens);
  return {
    id: typeof body.id === "string" ? body.id : "",
    object: "chat.completion",
    created: nowSeconds(),
    model: typeof body.model === "string" ? body.model : "",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: texts.length === 0 ? null : texts.join(""),
          refusal: null,
          ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: anthropicFinishReason(body.stop_reason),
      },
    ],
    usage: openAIUsage(tokens),
  };
}

/** HTTP statuses of Anthropic's error types, for errors that arrive inside a 200 stream. */
const STATUS_BY_ERROR_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

const CONTEXT_WINDOW_MESSAGE = /prompt is too long|exceeds? (?:the )?context (?:limit|window)/i;

/** Anthropic's `{"type": "error", "error": {type, message}, "request_id"}`, or whatever else came back. */
export function anthropicErrorDetail(body: unknown): ProviderErrorDetail {
  if (typeof body === "string") return { message: body === "" ? "Anthropic returned an error without a message." : body };
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (error === undefined || typeof error.message !== "string") return openAIErrorDetail(body);
  const type = typeof error.type === "string" && error.type !== "" ? error.type : undefined;
  const detail: ProviderErrorDetail = { message: error.message, param: null, code: type ?? null };
  if (type !== undefined) detail.type = type;
  if (CONTEXT_WINDOW_MESSAGE.test(error.message)) detail.kind = "context_window";
  return detail;
}

/** One stream's reader: Anthropic's named events carry state (ids, tool indexes, usage) across events. */
function anthropicStream(): ChatStreamReader {
  let id = "";
  let model = "";
  let created = nowSeconds();
  const tokens: TokenCounts = { input: 0, cacheRead: 0, cacheCreation: 0, output: 0 };
  /** Anthropic's content block index → the OpenAI tool call index (tool calls count from 0). */
  const toolIndexes = new Map<number, number>();
  /** Tool blocks that have received argument text, so an argument-less call can still end as "{}". */
  const toolsWithArguments = new Set<number>();
  let stopped = false;

  function chunk(delta: ChatDelta, finishReason: ChatFinishReason | null = null): StreamEvent<ChatCompletionChunk> {
    return {
      type: "chunk",
      chunk: {
        id,
        object: "chat.completion.chunk",
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      },
    };
  }

  function toolArguments(block: number, text: string): StreamEvent<ChatCompletionChunk> {
    const index = toolIndexes.get(block);
    if (index === undefined) return { type: "skip" };
    return chunk({ tool_calls: [{ index, function: { arguments: text } }] });
  }

  function parseEvent(event: SseEvent): StreamEvent<ChatCompletionChunk> {
    if (stopped) return { type: "done" };
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      return {
        type: "error",
        status: 502,
        detail: { message: `Anthropic sent a stream event that is not JSON: ${event.data.slice(0, 200)}` },
      };
    }
    if (!isRecord(payload)) return { type: "skip" };
    const name = event.event ?? (typeof payload.type === "string" ? payload.type : undefined);
    const index = typeof payload.index === "number" ? payload.index : -1;
    switch (name) {
      case "message_start": {
        const message = isRecord(payload.message) ? payload.message : {};
        if (typeof message.id === "string") id = message.id;
        if (typeof message.model === "string") model = message.model;
        created = nowSeconds();
        readTokens(message.usage, tokens);
        return chunk({ role: "assistant", content: "" });
      }
      case "content_block_start": {
        const block = isRecord(payload.content_block) ? payload.content_block : {};
        if (block.type === "text") {
          return typeof block.text === "string" && block.text !== "" ? chunk({ content: block.text }) : { type: "skip" };
        }
        if (block.type === "tool_use") {
          const toolIndex = toolIndexes.size;
          toolIndexes.set(index, toolIndex);
          return chunk({
            tool_calls: [
              { index: toolIndex, id: String(block.id), type: "function", function: { name: String(block.name), arguments: "" } },
            ],
          });
        }
        return { type: "skip" };
      }
      case "content_block_delta": {
        const delta = isRecord(payload.delta) ? payload.delta : {};
        if (delta.type === "text_delta" && typeof delta.text === "string") return chunk({ content: delta.text });
        if (delta.type === "input_json_delta" && typeof delta.partial_json === "string" && delta.partial_json !== "") {
          toolsWithArguments.add(index);
          return toolArguments(index, delta.partial_json);
        }
        // thinking, signature and citation deltas have no place in OpenAI's chunk.
        return { type: "skip" };
      }
      case "content_block_stop":
        // A call without parameters streams no JSON at all; OpenAI clients parse the arguments.
        return toolIndexes.has(index) && !toolsWithArguments.has(index) ? toolArguments(index, "{}") : { type: "skip" };
      case "message_delta": {
        readTokens(payload.usage, tokens);
        const delta = isRecord(payload.delta) ? payload.delta : {};
        const finished = chunk({}, anthropicFinishReason(delta.stop_reason));
        if (finished.type === "chunk") finished.chunk.usage = null;
        return finished;
      }
      case "message_stop": {
        stopped = true;
        // Always sent, as with include_usage: Anthropic's stream is the only place the counts are.
        return {
          type: "chunk",
          chunk: { id, object: "chat.completion.chunk", created, model, choices: [], usage: openAIUsage(tokens) },
        };
      }
      case "error": {
        const detail = anthropicErrorDetail(payload);
        return { type: "error", status: detail.type === undefined ? undefined : STATUS_BY_ERROR_TYPE[detail.type], detail };
      }
      default:
        // ping, and event kinds added after this was written.
        return { type: "skip" };
    }
  }

  return { framer: new SseParser(), parseEvent };
}

export const anthropic: ChatAdapter = {
  provider: PROVIDER,
  supportedParams: ANTHROPIC_CHAT_PARAMS,
  supportsN: false,

  buildChatRequest(params: ChatCompletionParams, target: Target): UpstreamRequest {
    const apiKey = target.options.api_key ?? target.env.ANTHROPIC_API_KEY;
    if (apiKey === undefined || apiKey === "") {
      throw new AuthenticationError("No Anthropic API key: set the ANTHROPIC_API_KEY environment variable or pass api_key.", {
        provider: PROVIDER,
        model: target.model,
        param: "api_key",
        code: "missing_api_key",
      });
    }
    const base = target.options.api_base ?? target.env.ANTHROPIC_API_BASE ?? ANTHROPIC_API_BASE;
    const headers: Record<string, string> = {
      "x-api-key": apiKey,
      "anthropic-version": ANTHROPIC_VERSION,
      "content-type": "application/json",
      ...target.options.extra_headers,
    };
    return {
      method: "POST",
      url: messagesUrl(base),
      headers,
      body: JSON.stringify(requestBody(params, target)),
    };
  },

  parseChatResponse: parseMessage,
  chatStream: anthropicStream,
  parseError: anthropicErrorDetail,

  requestId(headers: Record<string, string | string[] | undefined>): string | undefined {
    const id = headers["request-id"];
    return typeof id === "string" ? id : Array.isArray(id) ? id[0] : undefined;
  },
};
