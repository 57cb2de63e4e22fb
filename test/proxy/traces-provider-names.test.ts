/**
 * gen_ai.provider.name: OpenTelemetry's well-known names (semantic conventions, GenAI) for the
 * provider prefixes that have one, litegate's prefix for the others.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { genAiProviderName } from "../../src/proxy/traces.js";

test("each prefix's name in the GenAI conventions; the prefix itself where there is none", () => {
  const names = Object.fromEntries(
    [
      "openai",
      "text-completion-openai",
      "azure",
      "anthropic",
      "mistral",
      "gemini",
      "vertex_ai",
      "bedrock",
      "cohere",
      "groq",
      "deepseek",
      "huggingface",
      "ollama",
    ].map((prefix) => [prefix, genAiProviderName(prefix)]),
  );
  assert.deepEqual(names, {
    openai: "openai",
    "text-completion-openai": "openai",
    azure: "azure.ai.openai",
    anthropic: "anthropic",
    mistral: "mistral_ai",
    gemini: "gcp.gemini",
    vertex_ai: "gcp.vertex_ai",
    bedrock: "aws.bedrock",
    cohere: "cohere",
    groq: "groq",
    deepseek: "deepseek",
    huggingface: "huggingface",
    ollama: "ollama",
  });
});
