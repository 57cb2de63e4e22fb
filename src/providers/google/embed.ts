/**
 * Google's embeddings, as pure request and answer functions:
 * - the Gemini API (`gemini/text-embedding-004`, `gemini/gemini-embedding-001`): `:embedContent`
 *   for one input (`{content: {parts: [{text}]}}` → `{embedding: {values}}`) and
 *   `:batchEmbedContents` for several (`{requests: [{model: "models/M", content, ...}]}` →
 *   `{embeddings: [{values}]}`). Neither reports tokens (litegate counts them), as LiteLLM finds.
 * - Vertex AI (`vertex_ai/text-embedding-005`, `vertex_ai/gemini-embedding-001`, …): `:predict`
 *   with `{instances: [{content}], parameters}` → `{predictions: [{embeddings: {values,
 *   statistics: {token_count}}}]}`, the tokens summed as LiteLLM sums them.
 * Both embed text only: token ids are a 400 (LiteLLM refuses them too). `dimensions` is
 * `outputDimensionality`; LiteLLM's `input_type` is the task type (`task_type` on Vertex's
 * instances, `taskType` on Gemini's requests), and `title` goes beside it.
 */
import type { EmbeddingParams } from "../../wire/embeddings.js";
import { isRecord } from "../../wire/validate.js";
import { textInputs } from "../embedding-input.js";
import type { ProviderEmbedding, ProviderEmbeddings, Target } from "../types.js";

/** The task type LiteLLM takes under `input_type` (its cross-provider name) or Google's own `task_type`. */
function taskType(params: EmbeddingParams): unknown {
  return params.input_type ?? params.task_type;
}

function vectorOf(value: unknown, where: string): number[] {
  if (!isRecord(value) || !Array.isArray(value.values)) throw new Error(`${where}.values is missing or not a list`);
  return value.values as number[];
}

/** True when one `:embedContent` call serves the input: a lone text. */
export function isSingleInput(params: EmbeddingParams): boolean {
  return typeof params.input === "string" || params.input.length === 1;
}

/** The Gemini API's `:embedContent` or `:batchEmbedContents` body for the input. */
export function geminiEmbedBody(params: EmbeddingParams, target: Target, provider: string): Record<string, unknown> {
  const inputs = textInputs(params, target, "Gemini", provider);
  const options: Record<string, unknown> = {};
  const task = taskType(params);
  if (task != null) options.taskType = task;
  if (params.title != null) options.title = params.title;
  if (params.dimensions != null) options.outputDimensionality = params.dimensions;
  const content = (text: string) => ({ parts: [{ text }] });
  if (isSingleInput(params)) return { content: content(inputs[0] as string), ...options };
  return { requests: inputs.map((text) => ({ model: `models/${target.model}`, content: content(text), ...options })) };
}

/** The Gemini API's answer to either call: one `embedding`, or `embeddings` in input order. */
export function parseGeminiEmbeddings(body: unknown): ProviderEmbeddings {
  if (!isRecord(body)) throw new Error("the answer is not a JSON object");
  let data: ProviderEmbedding[];
  if (body.embedding !== undefined) data = [{ index: 0, embedding: vectorOf(body.embedding, "embedding") }];
  else if (Array.isArray(body.embeddings))
    data = body.embeddings.map((item: unknown, index) => ({
      index,
      embedding: vectorOf(item, `embeddings[${index}]`),
    }));
  else throw new Error("`embedding` and `embeddings` are both missing");
  // Newer answers may report tokens; the embeddings endpoints mostly do not.
  const usage = isRecord(body.usageMetadata) ? body.usageMetadata : undefined;
  const prompt = usage?.promptTokenCount;
  return {
    data,
    usage: typeof prompt === "number" ? { prompt_tokens: prompt, total_tokens: prompt } : undefined,
  };
}

/** Vertex AI's `:predict` body for the input. */
export function vertexPredictBody(params: EmbeddingParams, target: Target, provider: string): Record<string, unknown> {
  const task = taskType(params);
  const instances = textInputs(params, target, "Vertex AI", provider).map((content) => {
    const instance: Record<string, unknown> = { content };
    if (task != null) instance.task_type = task;
    if (params.title != null) instance.title = params.title;
    return instance;
  });
  const parameters: Record<string, unknown> = {};
  if (params.dimensions != null) parameters.outputDimensionality = params.dimensions;
  if (params.auto_truncate != null) parameters.autoTruncate = params.auto_truncate;
  return Object.keys(parameters).length > 0 ? { instances, parameters } : { instances };
}

/** Vertex AI's answer: a prediction per instance, each with its vector and its token count. */
export function parseVertexPredictions(body: unknown): ProviderEmbeddings {
  if (!isRecord(body) || !Array.isArray(body.predictions)) throw new Error("`predictions` is missing or not a list");
  let tokens = 0;
  let counted = true;
  const data = body.predictions.map((prediction: unknown, index): ProviderEmbedding => {
    const where = `predictions[${index}].embeddings`;
    const embeddings = isRecord(prediction) ? prediction.embeddings : undefined;
    const vector = vectorOf(embeddings, where);
    const statistics = isRecord(embeddings) && isRecord(embeddings.statistics) ? embeddings.statistics : undefined;
    if (typeof statistics?.token_count === "number") tokens += statistics.token_count;
    else counted = false;
    return { index, embedding: vector };
  });
  return { data, usage: counted ? { prompt_tokens: tokens, total_tokens: tokens } : undefined };
}
