/**
 * A chat completion as a Responses API `response` object: the answer's text as a message
 * item with output_text content, its tool calls as function_call items, its usage under the
 * Responses names, and the request's settings echoed as OpenAI echoes them (the official
 * clients and the Vercel AI SDK read them back). Pure: ids come from the caller.
 */
import type { ChatCompletion, ToolCall } from "../../wire/chat.js";
import type { CompletionUsage } from "../../wire/completions.js";
import type { ResponseItem, ResponseObject, ResponsesParams, ResponseUsage } from "../../wire/responses.js";

/** Makes the ids of a response and its items (`resp_…`, `msg_…`, `fc_…`). */
export type IdMaker = (prefix: "resp" | "msg" | "fc") => string;

/** Chat usage under the Responses API's names. */
export function responseUsage(usage: CompletionUsage): ResponseUsage {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
}

/** A Responses usage as chat's (what spend and budgets read). */
export function completionUsage(usage: {
  input_tokens: number;
  output_tokens: number;
  total_tokens?: number;
}): CompletionUsage {
  return {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.total_tokens ?? usage.input_tokens + usage.output_tokens,
  };
}

export function messageItem(id: string, text: string, status: "in_progress" | "completed"): ResponseItem {
  return {
    id,
    type: "message",
    status,
    role: "assistant",
    content: status === "completed" ? [outputText(text)] : [],
  };
}

export function outputText(text: string): { type: "output_text"; text: string; annotations: []; logprobs: [] } {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

export function functionCallItem(
  id: string,
  call: { id: string; name: string; arguments: string },
  status: "in_progress" | "completed",
): ResponseItem {
  return { id, type: "function_call", status, arguments: call.arguments, call_id: call.id, name: call.name };
}

/**
 * The response object around `output`, with the request's settings echoed. `status` is
 * in_progress while streaming; usage is null until known.
 */
export function responseShell(
  params: ResponsesParams,
  fields: {
    id: string;
    createdAt: number;
    model: string;
    status: "in_progress" | "completed" | "incomplete";
    output: ResponseItem[];
    usage: ResponseUsage | null;
  },
): ResponseObject {
  const incomplete = fields.status === "incomplete";
  return {
    id: fields.id,
    object: "response",
    created_at: fields.createdAt,
    status: fields.status,
    background: false,
    error: null,
    incomplete_details: incomplete ? { reason: "max_output_tokens" } : null,
    instructions: params.instructions ?? null,
    max_output_tokens: params.max_output_tokens ?? null,
    max_tool_calls: null,
    model: fields.model,
    output: fields.output,
    parallel_tool_calls: params.parallel_tool_calls ?? true,
    previous_response_id: params.previous_response_id ?? null,
    reasoning: { effort: params.reasoning?.effort ?? null, summary: params.reasoning?.summary ?? null },
    service_tier: "default",
    store: params.store ?? true,
    temperature: params.temperature ?? 1,
    text: { format: params.text?.format ?? { type: "text" }, verbosity: params.text?.verbosity ?? "medium" },
    tool_choice: params.tool_choice ?? "auto",
    tools: params.tools ?? [],
    top_logprobs: 0,
    top_p: params.top_p ?? 1,
    truncation: "disabled",
    usage: fields.usage,
    user: params.user ?? null,
    metadata: params.metadata ?? {},
  };
}

/** The output items of a chat answer's first choice: its text (or refusal), then its tool calls. */
function outputItems(chat: ChatCompletion, ids: IdMaker): ResponseItem[] {
  const message = chat.choices[0]?.message;
  if (message === undefined) return [];
  const items: ResponseItem[] = [];
  if (typeof message.refusal === "string" && message.refusal !== "") {
    items.push({
      id: ids("msg"),
      type: "message",
      status: "completed",
      role: "assistant",
      content: [{ type: "refusal", refusal: message.refusal }],
    });
  } else if (typeof message.content === "string" && message.content !== "") {
    items.push(messageItem(ids("msg"), message.content, "completed"));
  }
  for (const call of (message.tool_calls ?? []) as ToolCall[]) {
    items.push(
      functionCallItem(
        ids("fc"),
        { id: call.id, name: call.function.name, arguments: call.function.arguments },
        "completed",
      ),
    );
  }
  return items;
}

/** The response for a chat answer to `params`. A length cut is `incomplete`, as OpenAI reports max_output_tokens. */
export function fromChatCompletion(chat: ChatCompletion, params: ResponsesParams, ids: IdMaker): ResponseObject {
  const finish = chat.choices[0]?.finish_reason;
  return responseShell(params, {
    id: ids("resp"),
    createdAt: chat.created,
    model: chat.model,
    status: finish === "length" ? "incomplete" : "completed",
    output: outputItems(chat, ids),
    usage: chat.usage === undefined ? null : responseUsage(chat.usage),
  });
}
