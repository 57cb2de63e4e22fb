/**
 * How a chat stream is read: the provider's reader, usage nobody asked for removed
 * (Anthropic, Mistral and Ollama always report it; OpenAI only when asked), and the
 * usage chunk asked for with `stream_options.include_usage` always sent — counted
 * here when the provider sent none.
 */
import type { ChatAdapter } from "../providers/types.js";
import type { ChatCompletionChunk, ChatCompletionParams } from "../wire/chat.js";
import { ChoiceTexts } from "./choice-texts.js";
import { CHAT_COMPLETION_CHUNK } from "./shape.js";
import type { StreamSpec } from "./stream.js";
import { estimateChatUsage } from "./usage.js";
import { markEstimated } from "./usage-marks.js";

/** Each choice's text so far, and whether usage came: enough to count usage at the end. */
export class ChatTally {
  private readonly texts = new ChoiceTexts();
  private last: ChatCompletionChunk | undefined;
  private sawUsage = false;

  constructor(
    private readonly params: ChatCompletionParams,
    private readonly model: string,
  ) {}

  observe(chunk: ChatCompletionChunk): void {
    this.last = chunk;
    if (chunk.usage != null) this.sawUsage = true;
    // The text is kept only to count a usage chunk asked for: a long stream nobody counts holds no memory.
    if (this.params.stream_options?.include_usage !== true) return;
    for (const choice of chunk.choices) {
      const content = choice.delta.content;
      if (content != null) this.texts.add(choice.index, content);
    }
  }

  async finish(): Promise<ChatCompletionChunk | undefined> {
    if (this.params.stream_options?.include_usage !== true || this.sawUsage) return undefined;
    const outputs = this.texts.list().map(({ text }) => text);
    const chunk: ChatCompletionChunk = {
      id: this.last?.id ?? "",
      object: "chat.completion.chunk",
      created: this.last?.created ?? Math.floor(Date.now() / 1000),
      model: this.last?.model ?? this.model,
      choices: [],
      usage: await estimateChatUsage(this.model, this.params.messages, outputs),
    };
    return markEstimated(chunk);
  }
}

export function chatStreamSpec(adapter: ChatAdapter, params: ChatCompletionParams, model: string, expectedChoices: number): StreamSpec<ChatCompletionChunk> {
  const reader = adapter.chatStream();
  const tally = new ChatTally(params, model);
  const includeUsage = params.stream_options?.include_usage === true;
  return {
    framer: reader.framer,
    parseEvent: (event) => reader.parseEvent(event),
    shape: CHAT_COMPLETION_CHUNK,
    convert: (chunk) => {
      if (includeUsage || chunk.usage == null) return chunk;
      return chunk.choices.length === 0 ? undefined : { ...chunk, usage: undefined };
    },
    expectedChoices,
    observe: (chunk) => tally.observe(chunk),
    finish: () => tally.finish(),
  };
}
