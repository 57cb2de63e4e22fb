/**
 * How a chat stream is read: the provider's reader, usage nobody asked for removed
 * (Anthropic, Mistral and Ollama always report it; OpenAI only when asked), and the
 * usage chunk asked for with `stream_options.include_usage` always sent — counted
 * here when the provider sent none.
 */
import type { ChatAdapter } from "../providers/types.js";
import { OutputTally } from "../usage/output-tally.js";
import type { ChatCompletionChunk, ChatCompletionParams } from "../wire/chat.js";
import { CHAT_COMPLETION_CHUNK } from "./shape.js";
import type { StreamSpec } from "./stream.js";
import { messageTokens } from "./usage.js";
import { markEstimated } from "./usage-marks.js";

/** Each choice's output tokens so far (counted as it goes), and whether usage came: enough to count usage at the end. */
export class ChatTally {
  private readonly outputs: OutputTally;
  private readonly counting: boolean;
  private last: ChatCompletionChunk | undefined;
  private sawUsage = false;

  /** @param estimate a stream whose provider sent no usage gets a usage chunk counted here. */
  constructor(
    private readonly params: ChatCompletionParams,
    private readonly model: string,
    estimate = params.stream_options?.include_usage === true,
  ) {
    this.outputs = new OutputTally(model);
    this.counting = estimate;
  }

  observe(chunk: ChatCompletionChunk): void {
    this.last = chunk;
    if (chunk.usage != null) this.sawUsage = true;
    // Output is tallied only to count a usage chunk asked for, and only until the provider's own comes.
    if (!this.counting || this.sawUsage) return;
    for (const choice of chunk.choices) {
      const content = choice.delta.content;
      if (content != null) this.outputs.add(choice.index, content);
    }
  }

  async finish(): Promise<ChatCompletionChunk | undefined> {
    if (!this.counting || this.sawUsage) return undefined;
    const [prompt_tokens, completion_tokens] = await Promise.all([messageTokens(this.model, this.params.messages), this.outputs.tokens()]);
    const chunk: ChatCompletionChunk = {
      id: this.last?.id ?? "",
      object: "chat.completion.chunk",
      created: this.last?.created ?? Math.floor(Date.now() / 1000),
      model: this.last?.model ?? this.model,
      choices: [],
      usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
    };
    return markEstimated(chunk);
  }
}

export function chatStreamSpec(
  adapter: ChatAdapter,
  params: ChatCompletionParams,
  model: string,
  expectedChoices: number,
  estimate: boolean | undefined,
): StreamSpec<ChatCompletionChunk> {
  const reader = adapter.chatStream();
  const tally = new ChatTally(params, model, estimate);
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
