/**
 * `embedding()`: one OpenAI embeddings request end to end — validate, pick the provider's
 * embeddings adapter, fit the params, split an input list longer than one call takes into
 * calls (each with its retries), and make OpenAI's answer of theirs: vectors in input order,
 * in the encoding asked for, usage summed or counted.
 */
import { PROVIDERS, resolveModel } from "../providers/registry.js";
import type { EmbeddingAdapter, ProviderEmbeddings, Target } from "../providers/types.js";
import { UsageLedger } from "../usage/ledger.js";
import {
  type CreateEmbeddingResponse,
  decodeFloats,
  EMBEDDING_PARAMS,
  type Embedding,
  type EmbeddingInput,
  type EmbeddingParams,
  type EmbeddingUsage,
  encodeFloats,
} from "../wire/embeddings.js";
import { BadRequestError } from "../wire/errors.js";
import { validateEmbedding } from "../wire/validate-embeddings.js";
import { attemptOnce, withRetries } from "./attempt.js";
import { type CallOptions, DEFAULT_TIMEOUT_SECONDS, splitRequest } from "./options.js";
import { fitParams } from "./params.js";
import { EMBEDDINGS } from "./shape.js";
import type { PreparedCall } from "./upstream.js";
import { embeddingBasis } from "./usage.js";
import { markEstimated, rawBodyOf } from "./usage-marks.js";

export type EmbeddingRequest = EmbeddingParams & CallOptions;

/** OpenAI's embeddings for `request.input`, from any provider with an embeddings endpoint. */
export async function embedding(request: EmbeddingRequest): Promise<CreateEmbeddingResponse> {
  const { params, options } = splitRequest(request);
  return runEmbedding(validateEmbedding(params), options);
}

/** One call's part of the input: where it starts in the whole input, and what it sends. */
interface Batch {
  offset: number;
  count: number;
  input: EmbeddingInput;
}

/**
 * The input in calls of at most `max` items, in order. An input that fits is sent as the caller
 * wrote it (a lone string stays a string); a longer list is cut into lists.
 */
export function batchesOf(input: EmbeddingInput, max: number | undefined): Batch[] {
  // A string or one token-id list is one input.
  const items: readonly (string | number[])[] =
    typeof input === "string" || typeof input[0] === "number"
      ? [input as string | number[]]
      : (input as (string | number[])[]);
  if (max === undefined || items.length <= max) return [{ offset: 0, count: items.length, input }];
  const batches: Batch[] = [];
  for (let offset = 0; offset < items.length; offset += max) {
    const slice = items.slice(offset, offset + max) as string[] | number[][];
    batches.push({ offset, count: slice.length, input: slice });
  }
  return batches;
}

/** One call's answer, and where its inputs start in the whole input. */
interface Answered {
  offset: number;
  answer: ProviderEmbeddings;
}

/** The param table the caller's params are fitted to: `encoding_format` is always taken (litegate encodes when the provider cannot). */
function acceptedParams(adapter: EmbeddingAdapter): ReadonlySet<string> {
  return adapter.supportedParams.has("encoding_format")
    ? adapter.supportedParams
    : new Set([...adapter.supportedParams, "encoding_format"]);
}

/** embedding() for params already split from their options and validated (the Router's way in). */
export async function runEmbedding(params: EmbeddingParams, options: CallOptions): Promise<CreateEmbeddingResponse> {
  if (options.mock_response !== undefined) {
    throw new BadRequestError("'mock_response' answers completions only; an embeddings request cannot be mocked.", {
      param: "mock_response",
      code: "unsupported_param",
    });
  }
  const resolved = resolveModel(params.model);
  const adapter = resolved.embedding;
  if (adapter === undefined) {
    const serving = Object.keys(PROVIDERS).filter((prefix) => PROVIDERS[prefix]?.embedding !== undefined);
    throw new BadRequestError(
      `Model '${params.model}' makes no embeddings in litegate: embeddings are served for models of ${serving.join(", ")} (and bare text-embedding-* names).`,
      { param: "model", code: "model_not_supported" },
    );
  }
  const dropParams = options.drop_params === true;
  const fitted = fitParams(
    params,
    EMBEDDING_PARAMS,
    acceptedParams(adapter),
    { dropParams, additionalDropParams: options.additional_drop_params },
    adapter.provider,
  );
  const format = fitted.encoding_format ?? "float";
  let wire = fitted;
  if (!adapter.supportedParams.has("encoding_format") && "encoding_format" in fitted) {
    // The provider is asked for floats, its default; base64 is made here.
    const { encoding_format: _made_here, ...rest } = fitted;
    wire = rest as EmbeddingParams;
  }
  const target: Target = { model: resolved.model, options, env: process.env, dropParams };
  const batches = batchesOf(params.input, adapter.maxInputsPerCall);
  // Every request is built before the first is sent: missing config fails before any call is paid for.
  const calls = batches.map((batch) => {
    const call: PreparedCall = {
      adapter,
      model: params.model,
      request: adapter.buildEmbeddingRequest(
        batch.input === params.input ? wire : { ...wire, input: batch.input },
        target,
      ),
      timeoutMs: (options.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
      signal: options.signal,
      remaining: options.remaining,
    };
    return { batch, call };
  });
  const ledger = options.ledger ?? new UsageLedger();
  ledger.begin(embeddingBasis(resolved.model, params.input), true);
  const retries = options.num_retries ?? 0;
  const answers: Answered[] = [];
  // One call after another: a large input must not take a provider's whole rate limit at once.
  for (const { batch, call } of calls) {
    const parse = (body: unknown) => inFormat(checkedCount(adapter.parseEmbeddingResponse(body), batch.count), format);
    const answer = await withRetries(() => attemptOnce(call, parse, EMBEDDINGS), retries, options.signal);
    answers.push({ offset: batch.offset, answer });
  }
  return answerOf(answers, resolved.model, ledger);
}

/** A call's answer with one vector for each of its `count` inputs, at indexes 0..count-1 (thrown otherwise: a 502). */
function checkedCount(answer: ProviderEmbeddings, count: number): ProviderEmbeddings {
  const seen = new Array<boolean>(count).fill(false);
  for (const item of answer.data) {
    if (item.index >= count || seen[item.index] === true) {
      throw new Error(`it has a vector at index ${item.index} for a call of ${count} inputs`);
    }
    seen[item.index] = true;
  }
  if (answer.data.length !== count) throw new Error(`it has ${answer.data.length} vectors for ${count} inputs`);
  return answer;
}

/** True when the vector is already in `format`. */
function isIn(vector: number[] | string, format: "float" | "base64"): boolean {
  return format === "base64" ? typeof vector === "string" : Array.isArray(vector);
}

/**
 * The answer with its vectors in the encoding the caller asked for: itself when they are
 * (the provider's bytes stay forwardable), else a copy with floats encoded or base64 decoded.
 */
function inFormat(answer: ProviderEmbeddings, format: "float" | "base64"): ProviderEmbeddings {
  if (answer.data.every((item) => isIn(item.embedding, format))) return answer;
  return {
    ...answer,
    data: answer.data.map((item) => {
      const vector = item.embedding;
      if (format === "base64")
        return { ...item, embedding: typeof vector === "string" ? vector : encodeFloats(vector) };
      return { ...item, embedding: typeof vector === "string" ? decodeFloats(vector) : vector };
    }),
  };
}

/**
 * OpenAI's answer from the calls' answers (already in the encoding asked for): vectors at
 * their place in the whole input, usage summed, or counted when a call reported none.
 */
async function answerOf(
  answered: readonly Answered[],
  model: string,
  ledger: UsageLedger,
): Promise<CreateEmbeddingResponse> {
  const answers = answered.map((call) => call.answer);
  const reported = answers.every((answer) => answer.usage != null);
  let usage: EmbeddingUsage | undefined;
  if (reported) {
    usage = { prompt_tokens: 0, total_tokens: 0 };
    for (const answer of answers) {
      usage.prompt_tokens += answer.usage?.prompt_tokens ?? 0;
      usage.total_tokens += answer.usage?.total_tokens ?? answer.usage?.prompt_tokens ?? 0;
    }
    ledger.report({ prompt_tokens: usage.prompt_tokens, completion_tokens: 0, total_tokens: usage.total_tokens });
  }
  const only = answers.length === 1 ? answers[0] : undefined;
  // The provider's OpenAI JSON as it came (see inFormat), with its usage: passed on as it is.
  if (only !== undefined && reported && rawBodyOf(only) !== undefined) return only as CreateEmbeddingResponse;
  const data: Embedding[] = [];
  for (const { offset, answer } of answered) {
    for (const item of answer.data) {
      data[offset + item.index] = { object: "embedding", index: offset + item.index, embedding: item.embedding };
    }
  }
  if (usage !== undefined) return { object: "list", data, model: answers[0]?.model ?? model, usage };
  // A provider that reported no usage: the inputs are counted with the model's tokenizer.
  const settled = await ledger.settle();
  const counted = settled?.usage ?? { prompt_tokens: 0, total_tokens: 0 };
  const answer: CreateEmbeddingResponse = {
    object: "list",
    data,
    model: answers[0]?.model ?? model,
    usage: { prompt_tokens: counted.prompt_tokens, total_tokens: counted.total_tokens },
  };
  return settled?.estimated === true ? markEstimated(answer) : answer;
}
