/**
 * Reading a provider's stream into chunks, for any kind of chunk (text completion,
 * chat) and any framing (SSE, NDJSON). The guarantees callers rely on live here: an
 * error event raises a typed error, an event that cannot be read or a chunk of the wrong
 * shape raises a 502 naming the provider, a stream cut short raises APIConnectionError
 * instead of ending quietly, and the upstream socket closes when the caller stops early.
 */
import type { Deadline, UpstreamResponse } from "../http/transport.js";
import type { Framer, SseEvent } from "../http/sse.js";
import type { StreamEvent } from "../providers/types.js";
import type { UsageLedger } from "../usage/ledger.js";
import { APIConnectionError, APIError } from "../wire/errors.js";
import type { Shape } from "./shape.js";
import { markEstimated } from "./usage-marks.js";
import { malformed, malformedMessage, parseWith, providerError, type PreparedCall } from "./upstream.js";

/** The longest a stream is read in one turn of the event loop before other work gets its turn. */
const SLICE_MS = 4;

/** A chunk, with the exact text it arrived as when it is forwarded unchanged. */
export interface StreamItem<C> {
  chunk: C;
  raw: string | undefined;
}

/** What every chunk kind has: choices that finish, and maybe usage. */
export interface ChunkShape {
  choices: { index: number; finish_reason: unknown }[];
  usage?: unknown;
}

/**
 * How to read one stream; made afresh per attempt, since parsers keep state. `A` is the
 * adapter's chunk, `C` the caller's; without `convert` they are the same.
 */
export interface StreamSpec<C extends ChunkShape, A = C> {
  framer: Framer;
  /** The adapter's reading of one event. */
  parseEvent(event: SseEvent): StreamEvent<A>;
  /** What every chunk of the adapter must look like, checked before anything reads it. */
  shape: Shape;
  /** The adapter's chunk as the caller gets it (translated, trimmed), or undefined to skip it. */
  convert?(chunk: A): C | undefined;
  /** How many choices must finish for a stream without an end marker to count as complete. */
  expectedChoices: number;
  /** The request's usage; absent for one call of a fan-out, whose merged stream has it. */
  usage?: StreamUsage<C> | undefined;
}

/** What every chunk kind carries besides its choices, for a usage chunk made here. */
interface ChunkHead {
  id: string;
  object: string;
  created: number;
  model: string;
  system_fingerprint?: string | null;
}

/**
 * The usage side of one stream: every chunk the caller gets is shown to the ledger; usage
 * the caller did not ask for (asked for on its behalf, or reported unasked) is taken out;
 * and when the caller asked for usage and the provider sent none, a usage chunk counted
 * by the ledger ends the stream.
 */
export class StreamUsage<C extends ChunkShape> {
  private last: C | undefined;
  private passedUsage = false;

  /**
   * @param asked the caller asked for a usage chunk (`stream_options.include_usage`).
   * @param head what a usage chunk made here says when the stream had no chunk to copy.
   */
  constructor(
    readonly ledger: UsageLedger,
    private readonly asked: boolean,
    private readonly head: { object: string; model: string },
  ) {}

  /** The chunk as the caller gets it, or undefined when it carried nothing but unasked usage. */
  pass(chunk: C): C | undefined {
    this.ledger.observe(chunk as Parameters<UsageLedger["observe"]>[0]);
    this.last = chunk;
    if (chunk.usage == null) return chunk;
    // Usage on a chunk with choices (Cohere's last event, some OpenAI-compatible servers) goes
    // in a chunk of its own at the end, as OpenAI sends it: the ledger has seen it.
    if (chunk.choices.length > 0) return { ...chunk, usage: undefined };
    if (!this.asked) return undefined;
    this.passedUsage = true;
    return chunk;
  }

  /** The usage chunk that ends the stream, if the caller asked for one and none went by. */
  async final(): Promise<C | undefined> {
    if (!this.asked || this.passedUsage) return undefined;
    const settled = await this.ledger.settle();
    if (settled === undefined) return undefined;
    const last = this.last as (C & Partial<ChunkHead>) | undefined;
    const chunk: ChunkHead & { choices: []; usage: typeof settled.usage } = {
      id: last?.id ?? "",
      object: last?.object ?? this.head.object,
      created: last?.created ?? Math.floor(Date.now() / 1000),
      model: last?.model ?? this.head.model,
      choices: [],
      usage: settled.usage,
    };
    if (last?.system_fingerprint !== undefined) chunk.system_fingerprint = last.system_fingerprint;
    const made = chunk as unknown as C & Parameters<typeof markEstimated>[0];
    return settled.estimated ? markEstimated(made) : made;
  }
}

/**
 * Told once when a stream ends: with its error if it failed, undefined when it finished or
 * its reader stopped early (no failure of the provider). Fired by the producer itself, so
 * watching a stream adds no layer between its chunks and their reader.
 */
export class StreamEnd {
  private readonly hooks: ((error: unknown) => void)[] = [];
  private ended: { error: unknown } | undefined;

  add(hook: (error: unknown) => void): void {
    if (this.ended !== undefined) hook(this.ended.error);
    else this.hooks.push(hook);
  }

  fire(error: unknown): void {
    if (this.ended !== undefined) return;
    this.ended = { error };
    for (const hook of this.hooks.splice(0)) hook(error);
  }
}

/** A streamed answer: iterate it for chunks; the proxy iterates `items()` to forward raw text. */
export class CompletionStream<C> implements AsyncIterable<C> {
  constructor(
    private readonly source: AsyncIterator<StreamItem<C>, void>,
    /** The upstream's request id, when it sent one. */
    readonly requestId: string | undefined,
    private readonly end: StreamEnd,
  ) {}

  /** Calls `hook` once when the stream ends (see StreamEnd). */
  onEnd(hook: (error: unknown) => void): void {
    this.end.add(hook);
  }

  items(): AsyncIterable<StreamItem<C>> {
    return { [Symbol.asyncIterator]: () => this.source };
  }

  /** The chunks; closing it (a `break`) closes the stream, even before its first read. */
  [Symbol.asyncIterator](): AsyncIterator<C, void> {
    const source = this.source;
    const done: IteratorReturnResult<void> = { done: true, value: undefined };
    return {
      next: () => source.next().then((next) => (next.done === true ? done : { done: false, value: next.value.chunk })),
      return: async () => {
        await source.return?.();
        return done;
      },
    };
  }
}

/** An iterator that first gives back a result already taken, then continues with `rest`. */
function prepend<T>(first: IteratorResult<T, void>, rest: AsyncGenerator<T, void>): AsyncIterator<T, void> {
  let pending: IteratorResult<T, void> | undefined = first;
  return {
    next: () => {
      if (pending === undefined) return rest.next();
      const result = pending;
      pending = undefined;
      return Promise.resolve(result);
    },
    return: () => {
      pending = undefined;
      return rest.return();
    },
  };
}

const SKIP: StreamEvent<never> = { type: "skip" };

async function* readItems<C extends ChunkShape, A>(
  call: PreparedCall,
  spec: StreamSpec<C, A>,
  response: UpstreamResponse,
  deadline: Deadline,
  end: StreamEnd,
): AsyncGenerator<StreamItem<C>, void> {
  const finished = new Set<number>();
  let done = false;
  let drained = false;
  const { shape } = spec;
  const requestId = call.adapter.requestId(response.headers);
  // Anything the framer or the adapter cannot read is the upstream's fault: a 502 naming it.
  const frame = (bytes: Uint8Array | undefined): SseEvent[] =>
    parseWith(call, shape.what, () => (bytes === undefined ? spec.framer.end() : spec.framer.push(bytes)), requestId);
  function parse(event: SseEvent): StreamEvent<C> {
    const result = parseWith(call, shape.what, () => spec.parseEvent(event), requestId);
    if (result.type !== "chunk") return result;
    const adapterChunk = result.chunk;
    const problem = shape.problem(adapterChunk);
    if (problem !== undefined) throw malformed(call, malformedMessage(call, shape.what, problem), requestId);
    const convert = spec.convert;
    // Without `convert` the adapter's chunk is the caller's (A is C).
    if (convert === undefined) return result as unknown as StreamEvent<C>;
    const chunk = parseWith(call, shape.what, () => convert(adapterChunk), requestId);
    if (chunk === undefined) return SKIP;
    return { type: "chunk", chunk, raw: (chunk as unknown) === adapterChunk ? result.raw : undefined };
  }
  const usage = spec.usage;
  // A generator, so chunks that precede an error event in the same read still reach the caller first.
  function* interpret(events: SseEvent[]): Generator<StreamItem<C>, void> {
    for (const event of events) {
      if (done) return;
      const result = parse(event);
      if (result.type === "chunk") {
        const { chunk } = result;
        for (const choice of chunk.choices) if (choice.finish_reason != null) finished.add(choice.index);
        const passed = usage === undefined ? chunk : usage.pass(chunk);
        if (passed === undefined) continue;
        // A chunk passed on unchanged keeps its raw text, so it is forwarded without re-serialising.
        yield { chunk: passed, raw: passed === chunk ? result.raw : undefined };
        // The caller took the chunk: time it spent on it (a slow client) is not the provider's.
        deadline.touch();
      } else if (result.type === "done") {
        done = true;
      } else if (result.type === "error") {
        throw providerError(call, result.status ?? 500, result.detail);
      }
    }
  }
  let slice = performance.now();
  let failure: unknown;
  try {
    for await (const bytes of response.body as AsyncIterable<Uint8Array>) {
      deadline.touch();
      // Events after the end marker are ignored, but the body is still read to its end
      // so the connection goes back to the pool instead of being torn down.
      if (!done) yield* interpret(frame(bytes));
      // Buffered reads resolve without leaving the turn of the event loop: a stream arriving
      // faster than it is forwarded would hold every other request up until it paused.
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
    if (!done) yield* interpret(frame(undefined));
    drained = true;
    deadline.dispose();
    if (!done && finished.size < spec.expectedChoices) {
      throw new APIConnectionError(
        `${call.adapter.provider} closed the stream early (upstream closed the stream early): no end marker and not every choice finished.`,
        { provider: call.adapter.provider, model: call.model },
      );
    }
    const last = await usage?.final();
    if (last !== undefined) yield { chunk: last, raw: undefined };
  } catch (error) {
    failure =
      error instanceof APIError
        ? error
        : deadline.errorFor(error, { provider: call.adapter.provider, model: call.model });
    throw failure;
  } finally {
    deadline.dispose();
    if (!drained) response.body.destroy();
    end.fire(failure);
  }
}

/**
 * Starts reading a stream and waits for its first chunk, so that a failure before any
 * data reached the caller is still an ordinary, retryable failure of the call.
 */
export async function openStream<C extends ChunkShape, A>(
  call: PreparedCall,
  spec: StreamSpec<C, A>,
  response: UpstreamResponse,
  deadline: Deadline,
): Promise<CompletionStream<C>> {
  const end = new StreamEnd();
  const items = readItems(call, spec, response, deadline, end);
  const first = await items.next();
  return new CompletionStream(prepend(first, items), call.adapter.requestId(response.headers), end);
}

/** A stream of chunks made here (mock_response, merged translations), none of them raw. */
export function localStream<C extends ChunkShape>(
  chunks: AsyncGenerator<C, void>,
  usage: StreamUsage<C>,
): CompletionStream<C> {
  const end = new StreamEnd();
  async function* items(): AsyncGenerator<StreamItem<C>, void> {
    let failure: unknown;
    try {
      for await (const chunk of chunks) {
        const passed = usage.pass(chunk);
        if (passed !== undefined) yield { chunk: passed, raw: undefined };
      }
      const last = await usage.final();
      if (last !== undefined) yield { chunk: last, raw: undefined };
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      end.fire(failure);
    }
  }
  const generator = items();
  // A generator closed before its first read skips its `finally`: the end is fired here.
  const source: AsyncIterator<StreamItem<C>, void> = {
    next: () => generator.next(),
    return: () => {
      end.fire(undefined);
      return generator.return(undefined);
    },
  };
  return new CompletionStream(source, undefined, end);
}
