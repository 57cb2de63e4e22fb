/**
 * How a text completion stream is read: SSE, each choice of each prompt expected to
 * finish, and the usage chunk asked for with `stream_options.include_usage` always
 * sent, counted here when the provider sent none.
 */
import { SseParser } from "../http/sse.js";
import type { TextCompletionAdapter } from "../providers/types.js";
import { OutputTally } from "../usage/output-tally.js";
import type { CompletionUsage, TextCompletionChunk } from "../wire/completions.js";
import { TEXT_COMPLETION_CHUNK } from "./shape.js";
import type { StreamSpec } from "./stream.js";
import { echoedLength, promptList, promptTokens, type UsageRequest } from "./usage.js";
import { markEstimated } from "./usage-marks.js";

export interface TextStreamRequest extends UsageRequest {
  /** `stream_options.include_usage` went upstream: the provider's usage (or the sum of a fan-out's) is passed on. */
  includeUsage: boolean;
  /** A stream whose provider sent no usage gets a usage chunk counted here. */
  estimate: boolean;
}

/** What a text stream has shown so far: its output tokens (counted as it goes), whether usage came. */
export class StreamTally {
  private readonly outputs: OutputTally;
  private last: TextCompletionChunk | undefined;
  private sawUsage = false;

  constructor(private readonly request: TextStreamRequest) {
    this.outputs = new OutputTally(request.model, (index) => echoedLength(request, index));
  }

  observe(chunk: TextCompletionChunk): void {
    this.last = chunk;
    if (chunk.usage != null) this.sawUsage = true;
    if (!this.request.estimate || this.sawUsage) return;
    for (const choice of chunk.choices) this.outputs.add(choice.index, choice.text);
  }

  /**
   * The final usage chunk when the provider sent none: `usage` when the caller has it (the
   * sum of fanned-out calls) and usage was asked for, else counted here when estimating.
   */
  async finish(usage?: CompletionUsage): Promise<TextCompletionChunk | undefined> {
    if (this.sawUsage) return undefined;
    const known = usage !== undefined && this.request.includeUsage;
    if (!known && !this.request.estimate) return undefined;
    const last = this.last;
    const chunk: TextCompletionChunk = {
      id: last?.id ?? "",
      object: "text_completion",
      created: last?.created ?? Math.floor(Date.now() / 1000),
      model: last?.model ?? this.request.model,
      choices: [],
      usage: known ? usage : await this.estimate(),
    };
    if (last?.system_fingerprint !== undefined) chunk.system_fingerprint = last.system_fingerprint;
    return known ? chunk : markEstimated(chunk);
  }

  private async estimate(): Promise<CompletionUsage> {
    const [prompt_tokens, completion_tokens] = await Promise.all([promptTokens(this.request), this.outputs.tokens()]);
    return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
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
