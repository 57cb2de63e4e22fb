/**
 * How a text completion stream is read: SSE, each choice of each prompt expected to
 * finish, and the usage chunk asked for with `stream_options.include_usage` always
 * sent, counted here when the provider sent none.
 */
import { SseParser } from "../http/sse.js";
import type { TextCompletionAdapter } from "../providers/types.js";
import type { CompletionUsage, TextCompletionChunk } from "../wire/completions.js";
import { ChoiceTexts } from "./choice-texts.js";
import { TEXT_COMPLETION_CHUNK } from "./shape.js";
import type { StreamSpec } from "./stream.js";
import { estimateUsage, promptList, type UsageRequest } from "./usage.js";
import { markEstimated } from "./usage-marks.js";

export interface TextStreamRequest extends UsageRequest {
  includeUsage: boolean;
}

/** What a text stream has shown so far: each choice's text, whether usage came. */
export class StreamTally {
  private readonly texts = new ChoiceTexts();
  private last: TextCompletionChunk | undefined;
  private sawUsage = false;

  constructor(private readonly request: TextStreamRequest) {}

  observe(chunk: TextCompletionChunk): void {
    this.last = chunk;
    if (chunk.usage != null) this.sawUsage = true;
    if (!this.request.includeUsage) return;
    for (const choice of chunk.choices) this.texts.add(choice.index, choice.text);
  }

  /**
   * The final usage chunk when one was asked for and the provider sent none: `usage`
   * when the caller has it (the sum of fanned-out calls), else counted with the tokenizer.
   */
  async finish(usage?: CompletionUsage): Promise<TextCompletionChunk | undefined> {
    if (!this.request.includeUsage || this.sawUsage) return undefined;
    const choices = this.texts.list();
    const last = this.last;
    const chunk: TextCompletionChunk = {
      id: last?.id ?? "",
      object: "text_completion",
      created: last?.created ?? Math.floor(Date.now() / 1000),
      model: last?.model ?? this.request.model,
      choices: [],
      usage: usage ?? (await estimateUsage(this.request, choices)),
    };
    if (last?.system_fingerprint !== undefined) chunk.system_fingerprint = last.system_fingerprint;
    return usage === undefined ? markEstimated(chunk) : chunk;
  }
}

export function textStreamSpec(adapter: TextCompletionAdapter, request: TextStreamRequest): StreamSpec<TextCompletionChunk> {
  const tally = new StreamTally(request);
  const reader = adapter.textStream?.() ?? { framer: new SseParser(), parseEvent: (event) => adapter.parseStreamEvent(event) };
  return {
    framer: reader.framer,
    parseEvent: (event) => reader.parseEvent(event),
    shape: TEXT_COMPLETION_CHUNK,
    expectedChoices: promptList(request.prompt).length * request.n,
    observe: (chunk) => tally.observe(chunk),
    finish: () => tally.finish(),
  };
}
