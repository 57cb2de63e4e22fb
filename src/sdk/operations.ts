/**
 * The endpoints as data: which params an operation has, what it validates and how it runs one call. The Router
 * and the proxy take any operation along one path, so an endpoint is an entry here, its
 * runner and its adapter methods — not an overload through every layer.
 */
import { CHAT_PARAMS, COMPLETION_PARAMS } from "../providers/openai-dialect.js";
import type { ChatCompletion, ChatCompletionParams } from "../wire/chat.js";
import type { TextCompletion, TextCompletionParams } from "../wire/completions.js";
import { validateChatCompletion } from "../wire/validate-chat.js";
import { validateTextCompletion } from "../wire/validate.js";
import { type ChatCompletionStream, runChatCompletion } from "./chat-completion.js";
import type { CallOptions } from "./options.js";
import { runTextCompletion, type TextCompletionStream } from "./text-completion.js";

export interface Operation<P extends { model: string; stream?: boolean | null }, R> {
  /** OpenAI's params of this endpoint (a deployment's default for another endpoint's param is not applied). */
  readonly params: ReadonlySet<string>;
  /** The params, checked against OpenAI's wire format (throws BadRequestError naming the field). */
  validate(params: Record<string, unknown>): P;
  /** One call with validated params; its retries are the caller's (`options.num_retries`). */
  run(params: P, options: CallOptions): Promise<R>;
}

/** Every OpenAI param of either endpoint: a deployment default named here applies only to its own. */
export const ENDPOINT_PARAMS: ReadonlySet<string> = new Set([...COMPLETION_PARAMS, ...CHAT_PARAMS]);

export const textCompletions: Operation<TextCompletionParams, TextCompletion | TextCompletionStream> = {
  params: COMPLETION_PARAMS,
  validate: validateTextCompletion,
  run: runTextCompletion,
};

export const chatCompletions: Operation<ChatCompletionParams, ChatCompletion | ChatCompletionStream> = {
  params: CHAT_PARAMS,
  validate: validateChatCompletion,
  run: runChatCompletion,
};
