/**
 * Which adapters serve a model string: `provider/model` by its prefix, bare OpenAI
 * names by what OpenAI serves under them (LiteLLM's conventions). A provider may have
 * a native text completions endpoint, a chat endpoint, or both; text completions on a
 * provider with only chat go through the translation in src/translate.
 */
import { BadRequestError } from "../wire/errors.js";
import { ANTHROPIC, anthropic } from "./anthropic/index.js";
import { AZURE, azureChat, azureEmbedding, azureText } from "./azure.js";
import { BEDROCK, bedrock, bedrockEmbedding, bedrockEmbeddingFor } from "./bedrock/index.js";
import { COHERE, cohere, cohereEmbedding, cohereEmbeddingFor } from "./cohere/index.js";
import type { Endpoint } from "./connection.js";
import {
  GEMINI,
  geminiChat,
  geminiEmbedding,
  VERTEX,
  vertexChatFor,
  vertexEmbedding,
  vertexEmbeddingFor,
  vertexGeminiChat,
} from "./google/index.js";
import { HUGGINGFACE, huggingfaceChat, huggingfaceEmbedding, huggingfaceText } from "./huggingface/index.js";
import { CODESTRAL, codestralChat, codestralFim, MISTRAL, mistralChat, mistralEmbedding } from "./mistral/index.js";
import { OLLAMA, ollamaChat, ollamaEmbedding, ollamaGenerate } from "./ollama/index.js";
import {
  OPENAI_COMPATIBLE_HOSTS,
  openAICompatibleChat,
  openAICompatibleEmbedding,
  openAICompatibleText,
} from "./openai-compatible.js";
import { OPENAI, openaiChat, openaiEmbedding, openaiText } from "./openai.js";
import type { ChatAdapter, EmbeddingAdapter, TextCompletionAdapter } from "./types.js";

export interface ProviderEntry {
  /** Native text completions (`/completions` or the provider's own equivalent). */
  text?: TextCompletionAdapter | undefined;
  chat?: ChatAdapter | undefined;
  /** `/embeddings` or the provider's own equivalent (for a provider with `embeddingFor`, the README's representative). */
  embedding?: EmbeddingAdapter | undefined;
  /**
   * For providers whose models take different bodies or limits (Bedrock's Titan and Cohere, Vertex
   * AI's one-text Gemini model): the adapter for a model, undefined for one that makes no embeddings.
   */
  embeddingFor?: ((model: string) => EmbeddingAdapter | undefined) | undefined;
  /** The README's embeddings cell when the limits and params differ by model. */
  embeddingNote?: string | undefined;
  /** Where the adapters look when api_key / api_base are not given (for the README). */
  keyEnv?: string | undefined;
  baseEnv?: string | undefined;
  defaultBase?: string | undefined;
}

export interface ResolvedModel extends ProviderEntry {
  /** The prefix as written (`openai`, `azure_text`), or `openai` for a bare name. */
  provider: string;
  /** The model name the provider knows (the prefix removed). */
  model: string;
}

/** What the README shows of an endpoint. */
function env({ keyEnv, baseEnv, defaultBase }: Endpoint): Pick<ProviderEntry, "keyEnv" | "baseEnv" | "defaultBase"> {
  return { keyEnv, baseEnv, defaultBase };
}

/** Every provider prefix and its adapters. Data: the README's provider table is generated from it. */
export const PROVIDERS: Readonly<Record<string, ProviderEntry>> = {
  // Text models only: chat on them is converted to a text completion (as LiteLLM does), never
  // sent to /chat/completions, which answers 404 for an instruct model.
  "text-completion-openai": { text: openaiText, ...env(OPENAI) },
  openai: { text: openaiText, chat: openaiChat, embedding: openaiEmbedding, ...env(OPENAI) },
  azure_text: { text: azureText, ...env(AZURE) },
  azure: { chat: azureChat, embedding: azureEmbedding, ...env(AZURE) },
  anthropic: { chat: anthropic, ...env(ANTHROPIC) },
  "text-completion-codestral": { text: codestralFim, ...env(CODESTRAL) },
  codestral: { text: codestralFim, chat: codestralChat, ...env(CODESTRAL) },
  mistral: { chat: mistralChat, embedding: mistralEmbedding, ...env(MISTRAL) },
  ollama: { text: ollamaGenerate, chat: ollamaChat, embedding: ollamaEmbedding, ...env(OLLAMA) },
  ollama_chat: { chat: ollamaChat, embedding: ollamaEmbedding, ...env(OLLAMA) },
  // Google (issue 15): the Gemini API by key; Vertex AI by OAuth token, its claude-* models
  // through the Anthropic adapter (resolveModel picks the adapter by model).
  gemini: { chat: geminiChat, embedding: geminiEmbedding, ...env(GEMINI) },
  vertex_ai: {
    chat: vertexGeminiChat,
    embedding: vertexEmbedding,
    embeddingFor: vertexEmbeddingFor,
    embeddingNote: "yes, 250 inputs a call (`gemini-embedding-*`: 1); refused: `user`",
    ...env(VERTEX),
  },
  // AWS, Cohere and Hugging Face (issue 15). `bedrock/converse/ID` is the same Converse route.
  bedrock: {
    chat: bedrock,
    embedding: bedrockEmbedding,
    embeddingFor: bedrockEmbeddingFor,
    embeddingNote:
      "yes: Titan Text Embeddings 1 input a call, Cohere Embed 96 (other models: none); refused: `user`, and `dimensions` on Titan v1 and Cohere v3",
    ...env(BEDROCK),
  },
  cohere: {
    chat: cohere,
    embedding: cohereEmbedding,
    embeddingFor: cohereEmbeddingFor,
    embeddingNote: "yes, 96 inputs a call; refused: `user`, and `dimensions` but on embed-v4",
    ...env(COHERE),
  },
  huggingface: { text: huggingfaceText, chat: huggingfaceChat, embedding: huggingfaceEmbedding, ...env(HUGGINGFACE) },
  ...Object.fromEntries(
    OPENAI_COMPATIBLE_HOSTS.map((host) => [
      host.provider,
      {
        text: host.textCompletions ? openAICompatibleText(host) : undefined,
        chat: openAICompatibleChat(host),
        embedding: host.embeddings ? openAICompatibleEmbedding(host) : undefined,
        ...env(host),
      },
    ]),
  ),
};

/** OpenAI's completion-only models, fine-tunes of them included. */
const OPENAI_TEXT_MODEL = /^(gpt-3\.5-turbo-instruct|davinci-002|babbage-002|ft:(davinci|babbage)-002)/;
/** OpenAI's embedding models (text-embedding-3-small, -3-large, -ada-002). */
const OPENAI_EMBEDDING_MODEL = /^text-embedding-/;
/** OpenAI models that only answer on /chat/completions. */
const OPENAI_CHAT_MODEL = /^(gpt-3\.5-turbo(?!-instruct)|gpt-4|gpt-5|chatgpt-|o\d|ft:gpt-)/;

function unknown(model: string, why: string): BadRequestError {
  return new BadRequestError(`Model '${model}': ${why}`, { param: "model", code: "model_not_supported" });
}

export function resolveModel(model: string): ResolvedModel {
  const slash = model.indexOf("/");
  const known = Object.keys(PROVIDERS).join(", ");
  if (slash === -1) {
    // LiteLLM reads a bare OpenAI text model as text-completion-openai.
    if (OPENAI_TEXT_MODEL.test(model)) return { provider: "openai", model, text: openaiText };
    if (OPENAI_CHAT_MODEL.test(model)) return { provider: "openai", model, chat: openaiChat };
    if (OPENAI_EMBEDDING_MODEL.test(model)) return { provider: "openai", model, embedding: openaiEmbedding };
    const hint = `Write it as provider/model, with one of the providers: ${known}.`;
    throw unknown(model, `the provider cannot be inferred. ${hint}`);
  }
  const provider = model.slice(0, slash);
  const name = model.slice(slash + 1);
  const entry = PROVIDERS[provider];
  if (entry === undefined) throw unknown(model, `unknown provider '${provider}'. Providers: ${known}.`);
  // LiteLLM's rule: `openai/` with a model OpenAI serves only as chat goes to chat;
  // anything else (instruct models, a vLLM or other compatible server) to /completions.
  if (provider === "openai" && OPENAI_CHAT_MODEL.test(name)) return { provider, model: name, chat: entry.chat };
  const resolved: ResolvedModel = { provider, model: name, ...entry };
  if (entry.embeddingFor !== undefined) resolved.embedding = entry.embeddingFor(name);
  if (provider === "vertex_ai") resolved.chat = vertexChatFor(name);
  return resolved;
}
