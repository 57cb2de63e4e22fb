/**
 * What a request asked and has generated so far (a stream's text as it is forwarded), so
 * its tokens can be counted when the provider reports none: the client did not ask for a
 * stream's usage chunk, or went away first. Counting runs after the response has ended,
 * never while it is being written.
 */
import { ChoiceTexts } from "../sdk/choice-texts.js";
import { estimateChatUsage, estimateUsage } from "../sdk/usage.js";
import type { ChatMessage } from "../wire/chat.js";
import type { CompletionUsage, Prompt } from "../wire/completions.js";

export type CompletionKind = "text" | "chat";

/** Both chunk kinds: text chunks carry `text`, chat chunks a `delta`. */
interface AnyChunk {
  choices: { index: number; text?: unknown; delta?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[];
}

export class StreamOutputs {
  private readonly texts = new ChoiceTexts();

  constructor(
    private readonly kind: CompletionKind,
    private readonly request: Record<string, unknown>,
  ) {}

  add(chunk: AnyChunk): void {
    for (const choice of chunk.choices) {
      const text = this.kind === "text" ? choice.text : choice.delta?.content;
      if (typeof text === "string") this.texts.add(choice.index, text);
      for (const call of choice.delta?.tool_calls ?? []) {
        const args = call.function?.arguments;
        if (typeof args === "string") this.texts.add(choice.index, args);
      }
    }
  }

  /** The request's usage counted with `model`'s tokenizer (the upstream model picks it). */
  usage(model: string): Promise<CompletionUsage> {
    const texts = this.texts.list();
    if (this.kind === "chat") {
      const messages = Array.isArray(this.request.messages) ? (this.request.messages as ChatMessage[]) : [];
      return estimateChatUsage(model, messages, texts.map(({ text }) => text));
    }
    const n = typeof this.request.n === "number" ? this.request.n : 1;
    return estimateUsage({ model, prompt: (this.request.prompt ?? "") as Prompt, n, echo: this.request.echo === true }, texts);
  }
}
