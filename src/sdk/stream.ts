/**
 * A streamed text completion: the upstream's SSE events turned into OpenAI chunks by
 * the adapter, with the guarantees callers rely on: an error event raises a typed
 * error, a stream cut short raises APIConnectionError instead of ending quietly, the
 * upstream socket closes when the caller stops early, and the usage chunk asked for
 * with `stream_options.include_usage` is always sent (counted here when the provider
 * sent none).
 */
import { SseParser, type SseEvent } from "../http/sse.js";
import type { Deadline, UpstreamResponse } from "../http/transport.js";
import type { TextCompletionChunk } from "../wire/completions.js";
import { APIConnectionError, APIError } from "../wire/errors.js";
import { providerError, type PreparedCall } from "./upstream.js";
import { estimateUsage, promptList, type UsageRequest } from "./usage.js";
import { markEstimated } from "./usage-marks.js";

export class TextCompletionStream implements AsyncIterable<TextCompletionChunk> {
  constructor(
    private readonly iterator: AsyncGenerator<TextCompletionChunk, void>,
    /** The upstream's request id, when it sent one. */
    readonly requestId: string | undefined,
  ) {}

  [Symbol.asyncIterator](): AsyncGenerator<TextCompletionChunk, void> {
    return this.iterator;
  }
}

export interface StreamRequest extends UsageRequest {
  includeUsage: boolean;
}

/** What the stream has shown so far: which choices finished, their text, whether usage came. */
class Tally {
  private readonly finished = new Set<number>();
  private readonly texts = new Map<number, string[]>();
  private last: TextCompletionChunk | undefined;
  sawUsage = false;

  constructor(private readonly request: StreamRequest) {}

  get allFinished(): boolean {
    return this.finished.size >= promptList(this.request.prompt).length * this.request.n;
  }

  add(chunk: TextCompletionChunk): void {
    this.last = chunk;
    if (chunk.usage != null) this.sawUsage = true;
    for (const choice of chunk.choices) {
      if (choice.finish_reason != null) this.finished.add(choice.index);
      if (this.request.includeUsage && choice.text !== "") {
        const parts = this.texts.get(choice.index);
        if (parts === undefined) this.texts.set(choice.index, [choice.text]);
        else parts.push(choice.text);
      }
    }
  }

  /** The final usage chunk, counted with the tokenizer. */
  async usageChunk(): Promise<TextCompletionChunk> {
    const choices = [...this.texts].map(([index, parts]) => ({ index, text: parts.join("") }));
    const last = this.last;
    const chunk: TextCompletionChunk = {
      id: last?.id ?? "",
      object: "text_completion",
      created: last?.created ?? Math.floor(Date.now() / 1000),
      model: last?.model ?? this.request.model,
      choices: [],
      usage: await estimateUsage(this.request, choices),
    };
    if (last?.system_fingerprint !== undefined) chunk.system_fingerprint = last.system_fingerprint;
    return markEstimated(chunk);
  }
}

async function* readChunks(
  call: PreparedCall,
  request: StreamRequest,
  response: UpstreamResponse,
  deadline: Deadline,
): AsyncGenerator<TextCompletionChunk, void> {
  const parser = new SseParser();
  const tally = new Tally(request);
  let done = false;
  let drained = false;
  // A generator, so chunks that precede an error event in the same read still reach the caller first.
  function* interpret(events: SseEvent[]): Generator<TextCompletionChunk, void> {
    for (const event of events) {
      if (done) return;
      const result = call.adapter.parseStreamEvent(event);
      if (result.type === "chunk") {
        tally.add(result.chunk);
        yield result.chunk;
      } else if (result.type === "done") {
        done = true;
      } else if (result.type === "error") {
        throw providerError(call, result.status ?? 500, result.detail);
      }
    }
  }
  try {
    for await (const bytes of response.body as AsyncIterable<Uint8Array>) {
      deadline.touch();
      // Events after [DONE] are ignored, but the body is still read to its end so the
      // connection goes back to the pool instead of being torn down.
      if (!done) yield* interpret(parser.push(bytes));
    }
    if (!done) yield* interpret(parser.end());
    drained = true;
  } catch (error) {
    throw error instanceof APIError ? error : deadline.errorFor(error, { provider: call.adapter.provider, model: call.model });
  } finally {
    deadline.dispose();
    if (!drained) response.body.destroy();
  }
  if (!done && !tally.allFinished) {
    throw new APIConnectionError(
      `${call.adapter.provider} closed the stream early (upstream closed the stream early): no [DONE] and not every choice finished.`,
      { provider: call.adapter.provider, model: call.model },
    );
  }
  if (request.includeUsage && !tally.sawUsage) yield await tally.usageChunk();
}

/**
 * Starts reading a stream and waits for its first chunk, so that a failure before any
 * data reached the caller is still an ordinary, retryable failure of the call.
 */
export async function openStream(
  call: PreparedCall,
  request: StreamRequest,
  response: UpstreamResponse,
  deadline: Deadline,
): Promise<TextCompletionStream> {
  const chunks = readChunks(call, request, response, deadline);
  const first = await chunks.next();
  async function* rest(): AsyncGenerator<TextCompletionChunk, void> {
    try {
      if (!first.done) yield first.value;
      yield* chunks;
    } finally {
      // Reached when the caller stops early, even before the first chunk was taken.
      await chunks.return();
    }
  }
  return new TextCompletionStream(rest(), call.adapter.requestId(response.headers));
}
