/**
 * Every provider answers text completions and chat completions through the proxy, in
 * OpenAI's format, with the official client: one mock plays each provider's endpoint by
 * path (OpenAI chat and text, Mistral FIM, Ollama generate and chat, Anthropic messages, Gemini's
 * generateContent, Vertex AI's rawPredict and its token endpoint, Bedrock Converse, Cohere v2 chat,
 * TGI generate).
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

const chatAnswer = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1700000000,
  model: "m",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "hello", refusal: null },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

let mock: MockUpstream;
let gateway: TestGateway;

const PROVIDERS = [
  "openai/gpt-4o",
  "text-completion-openai/gpt-3.5-turbo-instruct",
  "azure/dep",
  "azure_text/dep",
  "anthropic/claude-3-5-haiku-20241022",
  "mistral/mistral-small-latest",
  "codestral/codestral-latest",
  "text-completion-codestral/codestral-latest",
  "ollama/llama3.2",
  "ollama_chat/llama3.2",
  "hosted_vllm/qwen",
  "together_ai/meta-llama/Llama-3-8b",
  "fireworks_ai/accounts/fireworks/models/llama",
  "groq/llama-3.1-8b-instant",
  "deepseek/deepseek-chat",
  "openrouter/openai/gpt-4o",
  "perplexity/sonar",
  "xai/grok-2",
  "gemini/gemini-2.0-flash",
  "vertex_ai/gemini-2.0-flash",
  "vertex_ai/claude-3-5-haiku@20241022",
  "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
  "bedrock/converse/amazon.nova-lite-v1:0",
  "cohere/command-r",
  "huggingface/meta-llama/Llama-3.1-8B-Instruct",
];

const anthropicAnswer = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude",
  content: [{ type: "text", text: "hello" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 1 },
};

/** A service account whose token endpoint is the mock (Vertex AI's deployments use it). */
function serviceAccount(tokenUri: string): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return JSON.stringify({
    type: "service_account",
    project_id: "p",
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: "sa@p.iam.gserviceaccount.com",
    token_uri: tokenUri,
  });
}

/** Where each deployment's api_base points on the mock. */
function apiBase(model: string): string {
  if (model.startsWith("vertex_ai/")) return `${mock.url}/vertex/${model.slice("vertex_ai/".length)}`;
  if (model.startsWith("cohere")) return `${mock.url}/v2/chat`;
  const hostOnly = ["azure", "anthropic", "ollama", "gemini", "bedrock", "huggingface"].some((prefix) =>
    model.startsWith(prefix),
  );
  return hostOnly || model.includes("codestral") ? mock.url : `${mock.url}/v1`;
}

before(async () => {
  mock = await MockUpstream.start();
  mock.always((req, res) => {
    if (req.path.endsWith("/v1/messages") || req.path.endsWith(":rawPredict")) {
      json(res, 200, anthropicAnswer);
    } else if (req.path === "/token") {
      json(res, 200, { access_token: "ya29.t", expires_in: 3600, token_type: "Bearer" });
    } else if (req.path.endsWith(":generateContent")) {
      json(res, 200, {
        candidates: [{ content: { role: "model", parts: [{ text: "hello" }] }, finishReason: "STOP", index: 0 }],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 },
        modelVersion: "gemini-2.0-flash",
      });
    } else if (req.path.endsWith("/api/generate")) {
      json(res, 200, {
        model: "llama3.2",
        created_at: "2024-01-01T00:00:00Z",
        response: "hello",
        done: true,
        done_reason: "stop",
        prompt_eval_count: 3,
        eval_count: 1,
      });
    } else if (req.path.endsWith("/api/chat")) {
      json(res, 200, {
        model: "llama3.2",
        created_at: "2024-01-01T00:00:00Z",
        message: { role: "assistant", content: "hello" },
        done: true,
        done_reason: "stop",
        prompt_eval_count: 3,
        eval_count: 1,
      });
    } else if (req.path.endsWith("/converse")) {
      json(res, 200, {
        output: { message: { role: "assistant", content: [{ text: "hello" }] } },
        stopReason: "end_turn",
        usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 },
      });
    } else if (req.path === "/v2/chat") {
      json(res, 200, {
        id: "c1",
        finish_reason: "COMPLETE",
        message: { role: "assistant", content: [{ type: "text", text: "hello" }] },
        usage: { tokens: { input_tokens: 3, output_tokens: 1 } },
      });
    } else if (req.path === "/generate") {
      json(res, 200, { generated_text: "hello", details: { finish_reason: "eos_token", generated_tokens: 1 } });
    } else if (req.path.endsWith("/chat/completions") || req.path.endsWith("/fim/completions")) {
      json(res, 200, chatAnswer);
    } else {
      json(res, 200, completionAnswer());
    }
  });
  const credentials = serviceAccount(`${mock.url}/token`);
  gateway = await startGateway({
    modelList: PROVIDERS.map((model) => ({
      model_name: model,
      litellm_params: {
        model,
        api_key: "k",
        api_base: apiBase(model),
        api_version: "2024-10-21",
        ...(model.startsWith("vertex_ai/") ? { vertex_credentials: credentials } : {}),
      },
    })),
  });
});
after(async () => {
  await gateway.close();
  await mock.close();
});

const client = () => new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/v1`, maxRetries: 0 });

describe("every provider through the proxy", () => {
  for (const model of PROVIDERS) {
    test(`${model}: text completions and chat completions in OpenAI's format`, async () => {
      const text = await client().completions.create({ model, prompt: "Say hello", max_tokens: 5 });
      assert.equal(text.object, "text_completion");
      assert.match(text.choices[0]?.text ?? "", /hello|This is indeed a test/);
      assertOpenAI("CreateCompletionResponse", JSON.parse(JSON.stringify(text)));
      const chat = await client().chat.completions.create({
        model,
        messages: [{ role: "user", content: "Say hello" }],
      });
      assert.equal(chat.object, "chat.completion");
      // Text deployments serve chat through their text endpoint (test/proxy/chat-on-text.test.ts).
      const viaText = model.startsWith("text-completion-openai") || model.startsWith("azure_text");
      assert.equal(chat.choices[0]?.message.content, viaText ? "\n\nThis is indeed a test" : "hello");
      assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(chat)));
    });
  }
});
