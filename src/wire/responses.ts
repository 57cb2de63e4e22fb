/**
 * OpenAI's Responses API wire format (`POST /v1/responses`), as openai-node's
 * `resources/responses` types describe it: its params, and the parts litegate reads,
 * translates or writes, typed; everything else passes through as unknown (native OpenAI and
 * Azure deployments get the request as it came).
 */

/** OpenAI's Responses API params besides model. */
// biome-ignore format: a table, read across
export const RESPONSES_PARAMS: ReadonlySet<string> = new Set([
  "background", "conversation", "include", "input", "instructions", "max_output_tokens", "max_tool_calls",
  "metadata", "parallel_tool_calls", "previous_response_id", "prompt", "prompt_cache_key", "reasoning",
  "safety_identifier", "service_tier", "store", "stream", "stream_options", "temperature", "text", "tool_choice",
  "tools", "top_logprobs", "top_p", "truncation", "user",
]);

/** A content part of an input or output message. */
export type ResponseContentPart =
  | { type: "input_text"; text: string }
  | { type: "output_text"; text: string; annotations?: unknown[]; logprobs?: unknown[] }
  | { type: "input_image"; image_url?: string | null; file_id?: string | null; detail?: string }
  | { type: "refusal"; refusal: string }
  | { type: string; [key: string]: unknown };

/** A message item: `type` may be left out (OpenAI's EasyInputMessage). */
export interface ResponseMessageItem {
  type?: "message";
  id?: string;
  role: "user" | "assistant" | "system" | "developer";
  content: string | ResponseContentPart[];
  status?: string;
  [extra: string]: unknown;
}

export interface ResponseFunctionCallItem {
  type: "function_call";
  id?: string;
  call_id: string;
  name: string;
  arguments: string;
  status?: string;
  [extra: string]: unknown;
}

export interface ResponseFunctionCallOutputItem {
  type: "function_call_output";
  id?: string;
  call_id: string;
  output: string | ResponseContentPart[];
  status?: string;
  [extra: string]: unknown;
}

/** Any item of a conversation: what the client sent, or what a response produced. */
export type ResponseItem =
  | ResponseMessageItem
  | ResponseFunctionCallItem
  | ResponseFunctionCallOutputItem
  | { type: string; [key: string]: unknown };

export interface ResponseFunctionTool {
  type: "function";
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

export type ResponseTool = ResponseFunctionTool | { type: string; [key: string]: unknown };

export type ResponseToolChoice = "none" | "auto" | "required" | { type: string; name?: string; [key: string]: unknown };

export type ResponseTextFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      name: string;
      schema: Record<string, unknown>;
      description?: string | null;
      strict?: boolean | null;
    };

export interface ResponsesParams {
  model: string;
  input?: string | ResponseItem[] | null;
  instructions?: string | null;
  tools?: ResponseTool[] | null;
  tool_choice?: ResponseToolChoice | null;
  text?: { format?: ResponseTextFormat | null; verbosity?: string | null } | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  metadata?: Record<string, string> | null;
  user?: string | null;
  parallel_tool_calls?: boolean | null;
  store?: boolean | null;
  previous_response_id?: string | null;
  stream?: boolean | null;
  [extra: string]: unknown;
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The `response` object: the answer of POST /v1/responses, and what GET /v1/responses/{id} returns. */
export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  /** completed, incomplete, in_progress, failed (native providers may add others). */
  status: string;
  model: string;
  output: ResponseItem[];
  usage?: ResponseUsage | null;
  [extra: string]: unknown;
}

/** One event of a streamed response; each carries OpenAI's strictly increasing `sequence_number`. */
export interface ResponseStreamEvent {
  type: string;
  sequence_number: number;
  response?: ResponseObject;
  [extra: string]: unknown;
}

/** OpenAI's answer to DELETE /v1/responses/{id}. */
export interface DeletedResponse {
  id: string;
  object: "response";
  deleted: true;
}
