/**
 * The endpoints as data: what an operation validates and how it runs one call. The Router
 * and the proxy take any operation along one path, so an endpoint is an entry here, its
 * runner and its adapter methods — not an overload through every layer.
 */
import type { ChatCompletion, ChatCompletionParams } from "../wire/chat.js";
import type { TextCompletion, TextCompletionParams } from "../wire/completions.js";
import { validateChatCompletion } from "../wire/validate-chat.js";
import { validateTextCompletion } from "../wire/validate.js";
import { type ChatCompletionStream, runChatCompletion } from "./chat-completion.js";
import type { CallOptions } from "./options.js";
import { runTextCompletion, type TextCompletionStream } from "./text-completion.js";

export interface Operation<P extends { model: string; stream?: boolean | null }, R> {
  /** The params, checked against OpenAI's wire format (throws BadRequestError naming the field). */
  validate(params: Record<string, unknown>): P;
  /** One call with validated params; its retries are the caller's (`options.num_retries`). */
  run(params: P, options: CallOptions): Promise<R>;
}

export const textCompletions: Operation<TextCompletionParams, TextCompletion | TextCompletionStream> = {
  validate: validateTextCompletion,
  run: runTextCompletion,
};

export const chatCompletions: Operation<ChatCompletionParams, ChatCompletion | ChatCompletionStream> = {
  validate: validateChatCompletion,
  run: runChatCompletion,
};
