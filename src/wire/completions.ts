/**
 * OpenAI's text completions wire format (`POST /v1/completions`), as in
 * test/fixtures/openai-spec/openai-completions.schema.json. Field names are the
 * wire names (snake_case) so a body can be forwarded without renaming.
 */

/** A string, a list of strings, a list of token ids, or a list of token-id lists. */
export type Prompt = string | string[] | number[] | number[][];

export interface StreamOptions {
  include_usage?: boolean;
  include_obfuscation?: boolean;
}

/** The body of `POST /v1/completions`. Unknown keys pass through to providers that take them. */
export interface TextCompletionParams {
  model: string;
  prompt: Prompt;
  best_of?: number | null;
  echo?: boolean | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: number | null;
  max_tokens?: number | null;
  n?: number | null;
  presence_penalty?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
  suffix?: string | null;
  temperature?: number | null;
  top_p?: number | null;
  user?: string;
  [extra: string]: unknown;
}

export type FinishReason = "stop" | "length" | "content_filter";

export interface Logprobs {
  tokens: string[];
  /** null for the first echoed prompt token, which has no log-probability. */
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: Record<string, number>;
  completion_tokens_details?: Record<string, number>;
}

interface ChoiceBase {
  text: string;
  index: number;
  logprobs: Logprobs | null;
  /** Providers add fields (Azure's content_filter_results); they are kept. */
  [extra: string]: unknown;
}

export interface TextCompletionChoice extends ChoiceBase {
  finish_reason: FinishReason;
}

/** `finish_reason` is null on every chunk of a choice but its last. */
export interface TextCompletionChunkChoice extends ChoiceBase {
  finish_reason: FinishReason | null;
}

interface CompletionBase {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  system_fingerprint?: string | undefined;
  /** Providers add fields (Azure's prompt_filter_results); they are kept. */
  [extra: string]: unknown;
}

export interface TextCompletion extends CompletionBase {
  choices: TextCompletionChoice[];
  usage?: CompletionUsage | undefined;
}

/** One SSE `data:` payload of a streamed completion. */
export interface TextCompletionChunk extends CompletionBase {
  choices: TextCompletionChunkChoice[];
  /** Set on the final usage chunk (whose `choices` is empty) when include_usage was asked. */
  usage?: CompletionUsage | null | undefined;
}

/** OpenAI's error body: `{"error": {...}}`, all four keys always present. */
export interface ErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}
