/**
 * What a request asked and has generated so far (a stream's output as it is forwarded), so
 * its tokens can be counted when the provider reports none: the client did not ask for a
 * stream's usage chunk, or went away first. The output is counted as it goes on the
 * counting worker, never held whole; the rest is counted after the response has ended,
 * never while it is being written.
 */
import { echoedLength, messageTokens, promptTokens, type UsageRequest } from "../sdk/usage.js";
import { OutputTally } from "../usage/output-tally.js";
import type { ChatMessage } from "../wire/chat.js";
import type { CompletionUsage, Prompt } from "../wire/completions.js";

export type CompletionKind = "text" | "chat";

/** Both chunk kinds: text chunks carry `text`, chat chunks a `delta`. */
interface AnyChunk {
  choices: { index: number; text?: unknown; delta?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[];
}

export class StreamOutputs {
  private tally: OutputTally | undefined;

  constructor(
    private readonly kind: CompletionKind,
    private readonly request: Record<string, unknown>,
  ) {}

  /** The stream opened on `model` (the upstream model, which picks the encoding). */
  start(model: string): void {
    const text = this.kind === "text" ? this.textRequest(model) : undefined;
    this.tally = new OutputTally(model, text === undefined ? undefined : (index) => echoedLength(text, index));
  }

  add(chunk: AnyChunk): void {
    const tally = this.tally;
    if (tally === undefined) return;
    for (const choice of chunk.choices) {
      const text = this.kind === "text" ? choice.text : choice.delta?.content;
      if (typeof text === "string") tally.add(choice.index, text);
      for (const call of choice.delta?.tool_calls ?? []) {
        const args = call.function?.arguments;
        if (typeof args === "string") tally.add(choice.index, args);
      }
    }
  }

  /** The request's usage counted with `model`'s encoding (the upstream model picks it). */
  async usage(model: string): Promise<CompletionUsage> {
    const [prompt_tokens, completion_tokens] = await Promise.all([
      this.kind === "chat"
        ? messageTokens(model, Array.isArray(this.request.messages) ? (this.request.messages as ChatMessage[]) : [])
        : promptTokens(this.textRequest(model)),
      this.tally?.tokens() ?? 0,
    ]);
    return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
  }

  private textRequest(model: string): UsageRequest {
    const n = typeof this.request.n === "number" ? this.request.n : 1;
    return { model, prompt: (this.request.prompt ?? "") as Prompt, n, echo: this.request.echo === true };
  }
}
