/**
 * A stream's generated text, kept while it is forwarded, so its tokens can be counted when
 * the provider sends no usage (the client did not ask for `stream_options.include_usage`,
 * or went away first): its spend record and its key's tpm still get a count. Counting runs
 * after the response has ended, never while it is being written.
 */
import { estimateChatUsage, estimateUsage } from "../sdk/usage.js";
import type { ChatMessage } from "../wire/chat.js";
import type { CompletionUsage, Prompt } from "../wire/completions.js";

export type CompletionKind = "text" | "chat";

/** Both chunk kinds: text chunks carry `text`, chat chunks a `delta`. */
interface AnyChunk {
  choices: { index: number; text?: unknown; delta?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[];
}

export class StreamOutputs {
  private readonly parts = new Map<number, string[]>();

  constructor(
    private readonly kind: CompletionKind,
    private readonly request: Record<string, unknown>,
  ) {}

  add(chunk: AnyChunk): void {
    for (const choice of chunk.choices) {
      const text = this.kind === "text" ? choice.text : choice.delta?.content;
      if (typeof text === "string" && text !== "") this.push(choice.index, text);
      for (const call of choice.delta?.tool_calls ?? []) {
        const args = call.function?.arguments;
        if (typeof args === "string" && args !== "") this.push(choice.index, args);
      }
    }
  }

  /** The request's usage counted with `model`'s tokenizer (the upstream model picks it). */
  usage(model: string): Promise<CompletionUsage> {
    const texts = [...this.parts].map(([index, parts]) => ({ index, text: parts.join("") }));
    if (this.kind === "chat") {
      const messages = Array.isArray(this.request.messages) ? (this.request.messages as ChatMessage[]) : [];
      return estimateChatUsage(model, messages, texts.map(({ text }) => text));
    }
    const n = typeof this.request.n === "number" ? this.request.n : 1;
    return estimateUsage({ model, prompt: (this.request.prompt ?? "") as Prompt, n, echo: this.request.echo === true }, texts);
  }

  private push(index: number, text: string): void {
    const parts = this.parts.get(index);
    if (parts === undefined) this.parts.set(index, [text]);
    else parts.push(text);
  }
}
