import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { costOf, deploymentPrice, formatCostHeader, priceOf, responseCost, type Price } from "../../src/cost/cost.js";
import { PRICES, SELF_HOSTED_PROVIDERS } from "../../src/cost/prices.js";
import type { CompletionUsage } from "../../src/wire/completions.js";

function usage(prompt: number, completion: number, details?: Record<string, number>): CompletionUsage {
  const u: CompletionUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
  if (details !== undefined) u.prompt_tokens_details = details;
  return u;
}

function must(price: Price | undefined): Price {
  assert.ok(price, "expected a price");
  return price;
}

describe("price table", () => {
  it("every entry has non-negative finite numbers and a mode", () => {
    const entries = Object.entries(PRICES);
    assert.ok(entries.length >= 40);
    for (const [key, p] of entries) {
      for (const field of [
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
        "cache_creation_input_token_cost",
      ] as const) {
        const v = p[field];
        if (field.startsWith("cache") && v === undefined) continue;
        assert.ok(typeof v === "number" && Number.isFinite(v) && v >= 0, `${key}.${field} = ${String(v)}`);
      }
      for (const field of ["max_input_tokens", "max_output_tokens"] as const) {
        const v = p[field];
        if (v !== undefined) assert.ok(Number.isInteger(v) && v > 0, `${key}.${field}`);
      }
      assert.ok(p.mode === "chat" || p.mode === "completion" || p.mode === "embedding", `${key}.mode`);
      // An embedding model bills its input only.
      if (p.mode === "embedding") assert.equal(p.output_cost_per_token, 0, `${key} output price`);
      assert.ok(p.provider.length > 0, `${key}.provider`);
      if (p.cache_read_input_token_cost !== undefined)
        assert.ok(p.cache_read_input_token_cost <= p.input_cost_per_token, `${key} cache rate`);
    }
  });

  it("lists every model the brief names", () => {
    for (const model of [
      "gpt-3.5-turbo-instruct",
      "davinci-002",
      "babbage-002",
      "gpt-4o",
      "gpt-4o-mini",
      "gpt-4.1",
      "gpt-4.1-mini",
      "gpt-4.1-nano",
      "o1",
      "o1-mini",
      "o3",
      "o3-mini",
      "o4-mini",
      "gpt-4-turbo",
      "gpt-3.5-turbo",
      "claude-3-5-sonnet",
      "claude-3-5-haiku",
      "claude-3-7-sonnet",
      "claude-sonnet-4",
      "claude-opus-4",
      "claude-3-opus",
      "claude-3-haiku",
      "mistral/mistral-large-latest",
      "mistral/mistral-small-latest",
      "mistral/codestral-latest",
      "mistral/open-mistral-nemo",
    ])
      assert.ok(priceOf(model), model);
  });

  it("OpenAI's completion models are in completion mode", () => {
    for (const model of ["gpt-3.5-turbo-instruct", "davinci-002", "babbage-002"])
      assert.equal(must(priceOf(model)).mode, "completion");
    assert.equal(must(priceOf("gpt-4o")).mode, "chat");
  });
});

describe("priceOf", () => {
  it("gives exact costs from the table", () => {
    assert.equal(costOf(usage(1000, 500), must(priceOf("gpt-4o"))), 1000 * 2.5e-6 + 500 * 1e-5);
    assert.equal(
      costOf(usage(1_000_000, 1_000_000), must(priceOf("gpt-4o-mini"))),
      1_000_000 * 1.5e-7 + 1_000_000 * 6e-7,
    );
    assert.equal(costOf(usage(10, 20), must(priceOf("gpt-3.5-turbo-instruct"))), 10 * 1.5e-6 + 20 * 2e-6);
    assert.equal(costOf(usage(100, 10), must(priceOf("claude-3-5-haiku"))), 100 * 8e-7 + 10 * 4e-6);
    assert.equal(costOf(usage(1_000_000, 0), must(priceOf("claude-opus-4"))), 15);
    assert.equal(costOf(usage(0, 1_000_000), must(priceOf("groq/llama-3.3-70b-versatile"))), 1_000_000 * 7.9e-7);
  });

  it("resolves dated ids by their longest known prefix", () => {
    assert.equal(must(priceOf("claude-3-5-sonnet-20241022")).source, "claude-3-5-sonnet");
    assert.equal(must(priceOf("claude-3-5-sonnet-latest")).source, "claude-3-5-sonnet");
    assert.equal(must(priceOf("claude-sonnet-4-20250514")).source, "claude-sonnet-4");
    assert.equal(must(priceOf("claude-sonnet-4-5-20250929")).source, "claude-sonnet-4-5");
    assert.equal(must(priceOf("claude-opus-4-1-20250805")).source, "claude-opus-4-1");
    assert.equal(must(priceOf("claude-opus-4-5-20251101")).input_cost_per_token, 5e-6);
    assert.equal(must(priceOf("claude-3-haiku-20240307")).source, "claude-3-haiku");
    assert.equal(must(priceOf("gpt-4o-2024-08-06")).source, "gpt-4o");
    assert.equal(must(priceOf("gpt-4o-mini-2024-07-18")).source, "gpt-4o-mini");
    assert.equal(must(priceOf("gpt-4.1-mini-2025-04-14")).source, "gpt-4.1-mini");
    assert.equal(must(priceOf("o3-mini-2025-01-31")).source, "o3-mini");
    assert.equal(must(priceOf("gpt-3.5-turbo-instruct-0914")).source, "gpt-3.5-turbo-instruct");
    // A dated id with its own price wins over its family.
    assert.equal(must(priceOf("gpt-4o-2024-05-13")).input_cost_per_token, 5e-6);
    assert.equal(must(priceOf("gpt-3.5-turbo-0125")).input_cost_per_token, 5e-7);
  });

  it("does not stretch a family to a different model", () => {
    assert.equal(priceOf("gpt-4o-audio-preview"), undefined);
    assert.equal(priceOf("claude-opus-4-9"), undefined);
    assert.equal(priceOf("gpt-4o-minimal"), undefined);
  });

  it("resolves provider prefixes", () => {
    assert.equal(must(priceOf("openai/gpt-4o")).source, "gpt-4o");
    assert.equal(must(priceOf("text-completion-openai/gpt-3.5-turbo-instruct")).source, "gpt-3.5-turbo-instruct");
    assert.equal(must(priceOf("anthropic/claude-3-7-sonnet-20250219")).source, "claude-3-7-sonnet");
    assert.equal(must(priceOf("azure/gpt-4.1")).source, "gpt-4.1");
    assert.equal(must(priceOf("mistral/mistral-large-latest")).input_cost_per_token, 2e-6);
    assert.equal(must(priceOf("groq/openai/gpt-oss-120b")).output_cost_per_token, 6e-7);
    assert.equal(must(priceOf("deepseek/deepseek-chat")).provider, "deepseek");
    assert.equal(must(priceOf("xai/grok-3")).input_cost_per_token, 3e-6);
    assert.equal(must(priceOf("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo")).input_cost_per_token, 8.8e-7);
    assert.equal(
      must(priceOf("fireworks_ai/accounts/fireworks/models/llama4-maverick-instruct-basic")).output_cost_per_token,
      8.8e-7,
    );
    assert.equal(must(priceOf("perplexity/sonar-pro")).output_cost_per_token, 1.5e-5);
    // Codestral's own endpoint is priced apart from Mistral's.
    assert.equal(must(priceOf("codestral/codestral-latest")).input_cost_per_token, 0);
    assert.equal(must(priceOf("text-completion-codestral/codestral-latest")).mode, "completion");
    assert.equal(must(priceOf("mistral/codestral-latest")).input_cost_per_token, 1e-6);
  });

  it("prices Bedrock model ids (by either route) and Cohere models; leaves Hugging Face unpriced", () => {
    const haiku = must(priceOf("bedrock/anthropic.claude-3-haiku-20240307-v1:0"));
    assert.deepEqual(
      [haiku.input_cost_per_token, haiku.output_cost_per_token, haiku.max_input_tokens],
      [2.5e-7, 1.25e-6, 200000],
    );
    assert.equal(must(priceOf("bedrock/converse/amazon.nova-lite-v1:0")).source, "bedrock/amazon.nova-lite-v1:0");
    assert.equal(must(priceOf("bedrock/amazon.nova-pro-v1:0")).output_cost_per_token, 3.2e-6);
    // A cross-region profile is priced apart by AWS: not guessed from the base id.
    assert.equal(priceOf("bedrock/us.anthropic.claude-3-haiku-20240307-v1:0"), undefined);
    assert.equal(must(priceOf("cohere/command-r-plus-08-2024")).max_input_tokens, 128000);
    assert.equal(priceOf("huggingface/meta-llama/Llama-3.1-8B-Instruct"), undefined);
  });

  it("does not give an OpenAI price to another provider serving the same name", () => {
    assert.equal(priceOf("groq/gpt-4o"), undefined);
    assert.equal(priceOf("openrouter/gpt-4o"), undefined);
  });

  it("self-hosted models cost 0 and say so", () => {
    for (const provider of SELF_HOSTED_PROVIDERS) {
      const price = must(priceOf(`${provider}/llama3.1`));
      assert.equal(price.source, "self-hosted");
      assert.equal(costOf(usage(1000, 1000), price), 0);
    }
  });

  it("unknown models have no price and cost 0", () => {
    assert.equal(priceOf("my-finetune"), undefined);
    assert.equal(priceOf("mistral/unknown-model"), undefined);
    assert.equal(priceOf("nope/gpt-4o"), undefined);
    assert.equal(responseCost("my-finetune", usage(100, 100)), 0);
    assert.equal(responseCost("gpt-4o", undefined), 0);
  });
});

describe("costOf with cached tokens", () => {
  it("bills cached prompt tokens at the cached rate", () => {
    const price = must(priceOf("gpt-4o"));
    assert.equal(costOf(usage(1000, 100, { cached_tokens: 400 }), price), 600 * 2.5e-6 + 400 * 1.25e-6 + 100 * 1e-5);
  });

  it("bills Anthropic cache reads and writes at their rates", () => {
    const price = must(priceOf("claude-sonnet-4-20250514"));
    const u = usage(1000, 10, { cached_tokens: 600, cache_write_tokens: 300 });
    assert.equal(costOf(u, price), 600 * 3e-7 + 300 * 3.75e-6 + 100 * 3e-6 + 10 * 1.5e-5);
  });

  it("bills cached tokens at the full rate when the table has no cached rate", () => {
    const price = must(priceOf("gpt-4-turbo"));
    assert.equal(costOf(usage(1000, 0, { cached_tokens: 500 }), price), 1000 * 1e-5);
  });

  it("never counts more cached tokens than prompt tokens", () => {
    const price = must(priceOf("gpt-4o"));
    assert.equal(costOf(usage(100, 0, { cached_tokens: 500 }), price), 100 * 1.25e-6);
  });
});

describe("deploymentPrice", () => {
  it("model_info overrides win over the table", () => {
    const price = must(deploymentPrice("openai/gpt-4o", { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 }));
    assert.equal(price.source, "model_info");
    assert.equal(price.input_cost_per_token, 1e-6);
    assert.equal(price.output_cost_per_token, 2e-6);
    assert.equal(price.max_input_tokens, 128000);
    // The table's cache rate no longer applies to an overridden input rate.
    assert.equal(costOf(usage(1000, 1000, { cached_tokens: 500 }), price), 1000 * 1e-6 + 1000 * 2e-6);
  });

  it("one override keeps the table's other rate", () => {
    const price = must(deploymentPrice("gpt-4o", { output_cost_per_token: 0 }));
    assert.equal(price.input_cost_per_token, 2.5e-6);
    assert.equal(price.output_cost_per_token, 0);
  });

  it("prices a model the table lacks from model_info alone", () => {
    const price = must(
      deploymentPrice("hosted_vllm/my-model", { input_cost_per_token: 3e-7, output_cost_per_token: 6e-7 }),
    );
    assert.equal(costOf(usage(10, 10), price), 10 * 3e-7 + 10 * 6e-7);
    const custom = must(
      deploymentPrice("openai/my-compatible-model", { input_cost_per_token: "0.000001", output_cost_per_token: 2e-6 }),
    );
    assert.equal(custom.input_cost_per_token, 1e-6);
    assert.equal(deploymentPrice("openai/my-compatible-model", {}), undefined);
  });

  it("ignores invalid overrides", () => {
    const price = must(deploymentPrice("gpt-4o", { input_cost_per_token: -1, output_cost_per_token: "abc" }));
    assert.equal(price.source, "gpt-4o");
  });

  it("prices an Azure deployment by model_info.base_model", () => {
    assert.equal(deploymentPrice("azure/my-prod-deployment", {}), undefined);
    assert.equal(
      must(deploymentPrice("azure/my-prod-deployment", { base_model: "gpt-4o-mini" })).source,
      "gpt-4o-mini",
    );
    assert.equal(must(deploymentPrice("azure/my-prod-deployment", { base_model: "azure/gpt-4.1" })).source, "gpt-4.1");
    assert.equal(
      must(deploymentPrice("azure_text/instruct", { base_model: "gpt-3.5-turbo-instruct" })).mode,
      "completion",
    );
    // Overrides still win over the base model's price.
    const price = must(deploymentPrice("azure/prod", { base_model: "gpt-4o", input_cost_per_token: 1e-6 }));
    assert.equal(price.input_cost_per_token, 1e-6);
    assert.equal(price.output_cost_per_token, 1e-5);
  });

  it("responseCost applies the deployment's price", () => {
    assert.equal(
      responseCost("azure/prod", usage(1000, 100), { base_model: "gpt-4o-mini" }),
      1000 * 1.5e-7 + 100 * 6e-7,
    );
  });
});

describe("formatCostHeader", () => {
  it("writes plain decimals", () => {
    assert.equal(formatCostHeader(0), "0");
    assert.equal(formatCostHeader(1.5e-7), "0.00000015");
    assert.equal(formatCostHeader(0.0075), "0.0075");
    assert.equal(formatCostHeader(12.5), "12.5");
    assert.equal(formatCostHeader(Number.NaN), "0");
  });
});
