/**
 * Hugging Face: TGI's native /generate and /generate_stream for text completions (the
 * exact body, details mapped to logprobs, echo, finish reasons, usage, errors) and the
 * OpenAI-compatible /v1/chat/completions for chat; huggingface/ through the proxy with the
 * official client (prompt arrays, n, echo, logprobs; chat), validated against OpenAI's schemas.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { chatCompletion, textCompletion } from "../../src/index.js";
import { huggingfaceChat, huggingfaceText } from "../../src/providers/huggingface/index.js";
import type { Target } from "../../src/providers/types.js";
import type { TextCompletionChunk } from "../../src/wire/completions.js";
import { BadRequestError, RateLimitError } from "../../src/wire/errors.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream, type RecordedRequest, sse } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

const MODEL = "meta-llama/Llama-3.1-8B-Instruct";

function target(overrides: Partial<Target> = {}): Target {
  return { model: MODEL, options: { api_base: "http://tgi:8080" }, env: {}, dropParams: false, ...overrides };
}

const body = (params: Record<string, unknown>, t: Target = target()): unknown =>
  JSON.parse(huggingfaceText.buildRequest({ model: "m", prompt: "Hi", ...params }, t).body ?? "null");

const token = (text: string, logprob: number, special = false) => ({ id: 1, text, logprob, special });

const generated = {
  generated_text: " there!",
  details: {
    finish_reason: "eos_token",
    generated_tokens: 3,
    seed: null,
    prefill: [],
    tokens: [token(" there", -0.5), token("!", -0.25), token("</s>", -0.01, true)],
    top_tokens: [[token(" there", -0.5), token(" you", -1.5)], [token("!", -0.25)], [token("</s>", -0.01, true)]],
  },
};

describe("the /generate request", () => {
  test("OpenAI's params in TGI's parameters; details always asked; sampling explicit", () => {
    assert.deepEqual(body({}), { inputs: "Hi", parameters: { details: true, max_new_tokens: 16, do_sample: true } });
    assert.deepEqual(
      body({ max_tokens: 40, temperature: 0.7, top_p: 0.9, stop: "\n", seed: 3, frequency_penalty: 0.5, logprobs: 2 }),
      {
        inputs: "Hi",
        parameters: {
          details: true,
          max_new_tokens: 40,
          do_sample: true,
          temperature: 0.7,
          top_p: 0.9,
          stop: ["\n"],
          seed: 3,
          frequency_penalty: 0.5,
          top_n_tokens: 2,
        },
      },
    );
    // temperature 0 is greedy; top_p 1 is no cut at all (TGI refuses both values).
    assert.deepEqual(body({ temperature: 0, top_p: 1 }), {
      inputs: "Hi",
      parameters: { details: true, max_new_tokens: 16, do_sample: false },
    });
    assert.deepEqual(body({ echo: true, logprobs: 0 }), {
      inputs: "Hi",
      parameters: {
        details: true,
        max_new_tokens: 16,
        do_sample: true,
        return_full_text: true,
        decoder_input_details: true,
      },
    });
  });

  test("the URL is the server's /generate or /generate_stream, however api_base was written; HF_TOKEN is the bearer key", () => {
    const params = { model: "m", prompt: "Hi" };
    const request = huggingfaceText.buildRequest(
      params,
      target({ options: { api_base: "https://ep.endpoints.huggingface.cloud/v1/" }, env: { HF_TOKEN: "hf_abc" } }),
    );
    assert.equal(request.url, "https://ep.endpoints.huggingface.cloud/generate");
    assert.equal(request.headers.authorization, "Bearer hf_abc");
    const stream = huggingfaceText.buildRequest(
      { ...params, stream: true },
      target({ options: {}, env: { HUGGINGFACE_API_BASE: "http://tgi:8080", HUGGINGFACE_API_KEY: "hf_x" } }),
    );
    assert.equal(stream.url, "http://tgi:8080/generate_stream");
    assert.equal(stream.headers.authorization, "Bearer hf_x");
  });

  test("what TGI cannot take is a 400 naming the field", () => {
    const refuse = (params: Record<string, unknown>, param: string, t: Target = target()) =>
      assert.throws(
        () => body(params, t),
        (error: unknown) => error instanceof BadRequestError && error.param === param,
      );
    refuse({ stop: ["a", "b", "c", "d", "e"] }, "stop");
    refuse({ echo: true, stream: true }, "echo");
    refuse({}, "api_base", target({ options: {} }));
    assert.deepEqual(body({ echo: true, stream: true }, target({ dropParams: true })), {
      inputs: "Hi",
      parameters: { details: true, max_new_tokens: 16, do_sample: true },
    });
  });
});

describe("TGI answers", () => {
  test("generated_text with logprobs from the token details; special tokens left out", () => {
    const completion = huggingfaceText.parseResponse(generated, MODEL);
    assert.match(completion.id, /^cmpl-[0-9a-f]{32}$/);
    assert.equal(completion.model, MODEL);
    assert.deepEqual(completion.choices, [
      {
        text: " there!",
        index: 0,
        logprobs: {
          tokens: [" there", "!"],
          token_logprobs: [-0.5, -0.25],
          top_logprobs: [{ " there": -0.5, " you": -1.5 }, { "!": -0.25 }],
          text_offset: [0, 6],
        },
        finish_reason: "stop",
      },
    ]);
    assert.equal(completion.usage, undefined);
    assertOpenAI("CreateCompletionResponse", JSON.parse(JSON.stringify(completion)));
  });

  test("echo with logprobs: the prompt's tokens first (its first without a logprob), and usage from the prefill", () => {
    const completion = huggingfaceText.parseResponse(
      [
        {
          generated_text: "Hi there",
          details: {
            finish_reason: "length",
            generated_tokens: 1,
            prefill: [{ id: 1, text: "Hi", logprob: null }],
            tokens: [token(" there", -0.5)],
          },
        },
      ],
      MODEL,
    );
    assert.deepEqual(completion.choices[0], {
      text: "Hi there",
      index: 0,
      logprobs: {
        tokens: ["Hi", " there"],
        token_logprobs: [null, -0.5],
        top_logprobs: [null, null],
        text_offset: [0, 2],
      },
      finish_reason: "length",
    });
    assert.deepEqual(completion.usage, { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 });
  });

  test("TGI's errors: validation is a 400, overloaded a 429, with TGI's message", async () => {
    mock.enqueue((_req, res) =>
      json(res, 422, {
        error: "Input validation error: `temperature` must be strictly positive",
        error_type: "validation",
      }),
    );
    await assert.rejects(
      textCompletion({ model: `huggingface/${MODEL}`, prompt: "Hi", api_base: mock.url }),
      (error: unknown) =>
        error instanceof BadRequestError &&
        error.status === 400 &&
        error.message === "Input validation error: `temperature` must be strictly positive",
    );
    mock.enqueue((_req, res) => json(res, 429, { error: "Model is overloaded", error_type: "overloaded" }));
    await assert.rejects(
      textCompletion({ model: `huggingface/${MODEL}`, prompt: "Hi", api_base: mock.url }),
      RateLimitError,
    );
  });
});

function tgiStream(res: ServerResponse): void {
  sse(res, [
    {
      index: 1,
      token: token(" there", -0.5),
      top_tokens: [token(" there", -0.5), token(" you", -1.5)],
      generated_text: null,
      details: null,
    },
    { index: 2, token: token("!", -0.25), top_tokens: [token("!", -0.25)], generated_text: null, details: null },
    {
      index: 3,
      token: token("</s>", -0.01, true),
      top_tokens: [token("</s>", -0.01, true)],
      generated_text: " there!",
      details: { finish_reason: "eos_token", generated_tokens: 3, seed: null, input_length: 2 },
    },
  ]);
}

describe("/generate_stream", () => {
  test("one chunk per token with its logprobs, the last with the finish reason and usage", async () => {
    mock.enqueue((_req, res) => tgiStream(res));
    const stream = await textCompletion({
      model: `huggingface/${MODEL}`,
      prompt: "Hi",
      api_base: mock.url,
      stream: true,
      logprobs: 2,
      stream_options: { include_usage: true },
    });
    const chunks: TextCompletionChunk[] = [];
    for await (const chunk of stream as AsyncIterable<TextCompletionChunk>) {
      assertOpenAI("CreateCompletionStreamChunk", JSON.parse(JSON.stringify(chunk)));
      chunks.push(chunk);
    }
    const request = mock.requests[0] as RecordedRequest;
    assert.equal(request.path, "/generate_stream");
    assert.deepEqual(request.json, {
      inputs: "Hi",
      parameters: { details: true, max_new_tokens: 16, do_sample: true, top_n_tokens: 2 },
    });
    const choices = chunks.flatMap((chunk) => chunk.choices);
    assert.deepEqual(
      choices.map((choice) => [choice.text, choice.finish_reason, choice.logprobs]),
      [
        [
          " there",
          null,
          {
            tokens: [" there"],
            token_logprobs: [-0.5],
            top_logprobs: [{ " there": -0.5, " you": -1.5 }],
            text_offset: [0],
          },
        ],
        ["!", null, { tokens: ["!"], token_logprobs: [-0.25], top_logprobs: [{ "!": -0.25 }], text_offset: [6] }],
        ["", "stop", null],
      ],
    );
    const usage = chunks.map((chunk) => chunk.usage).filter((value) => value != null);
    assert.deepEqual(usage, [{ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 }]);
  });

  test("an error event mid-stream raises TGI's error", async () => {
    mock.enqueue((_req, res) =>
      sse(res, [
        { index: 1, token: token("a", -1), generated_text: null, details: null },
        { error: "Request failed during generation: CUDA OOM", error_type: "generation" },
      ]),
    );
    const stream = await textCompletion({
      model: `huggingface/${MODEL}`,
      prompt: "Hi",
      api_base: mock.url,
      stream: true,
    });
    await assert.rejects(
      async () => {
        for await (const _ of stream as AsyncIterable<TextCompletionChunk>);
      },
      (error: unknown) =>
        error instanceof Error && (error as { status?: number }).status === 500 && /CUDA OOM/.test(error.message),
    );
  });
});

describe("chat on /v1/chat/completions", () => {
  test("the router by default, api_base for an endpoint; the body is OpenAI's", async () => {
    const params = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };
    const router = huggingfaceChat.buildChatRequest(params, target({ options: {}, env: { HF_TOKEN: "hf_abc" } }));
    assert.equal(router.url, "https://router.huggingface.co/v1/chat/completions");
    assert.equal(router.headers.authorization, "Bearer hf_abc");
    assert.deepEqual(JSON.parse(router.body ?? ""), { model: MODEL, messages: [{ role: "user", content: "hi" }] });
    // LiteLLM's provider/org/model picks an inference provider: the router's org/model:provider.
    const together = huggingfaceChat.buildChatRequest(params, target({ model: `together/${MODEL}`, options: {} }));
    assert.equal(together.url, "https://router.huggingface.co/v1/chat/completions");
    assert.equal(JSON.parse(together.body ?? "").model, `${MODEL}:together`);
    for (const base of ["http://tgi:8080", "http://tgi:8080/v1/", "http://tgi:8080/v1/chat/completions"]) {
      assert.equal(
        huggingfaceChat.buildChatRequest(params, target({ options: { api_base: base } })).url,
        "http://tgi:8080/v1/chat/completions",
      );
    }
    mock.enqueue((_req, res) =>
      json(res, 200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: MODEL,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "yo", refusal: null },
            logprobs: null,
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
    const chat = await chatCompletion({
      model: `huggingface/${MODEL}`,
      messages: [{ role: "user", content: "hi" }],
      api_base: mock.url,
      temperature: 0.2,
    });
    assert.equal(mock.requests[0]?.path, "/v1/chat/completions");
    assert.deepEqual(mock.requests[0]?.json, {
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.2,
    });
    assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(chat)));
  });
});

describe("huggingface/ through the proxy with the official client", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({
      modelList: [
        {
          model_name: "llama",
          litellm_params: { model: `huggingface/${MODEL}`, api_key: "hf_abc", api_base: mock.url },
        },
      ],
    });
  });
  after(async () => {
    await gateway.close();
  });
  const client = () => new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/v1`, maxRetries: 0 });

  test("text completions: prompt arrays and n are one /generate call each; echo and logprobs from TGI's details", async () => {
    mock.always((req, res) => {
      const prompt = (req.json as { inputs: string }).inputs;
      json(res, 200, {
        generated_text: `${prompt} there`,
        details: {
          finish_reason: "length",
          generated_tokens: 1,
          prefill: [{ id: 1, text: prompt, logprob: null }],
          tokens: [token(" there", -0.5)],
          top_tokens: [[token(" there", -0.5)]],
        },
      });
    });
    const completion = await client().completions.create({
      model: "llama",
      prompt: ["A", "B"],
      n: 2,
      echo: true,
      logprobs: 1,
      max_tokens: 1,
    });
    assertOpenAI("CreateCompletionResponse", JSON.parse(JSON.stringify(completion)));
    assert.equal(mock.requests.length, 4);
    for (const request of mock.requests) {
      assert.equal(request.path, "/generate");
      assert.equal(request.headers.authorization, "Bearer hf_abc");
    }
    assert.deepEqual(
      completion.choices.map((choice) => [choice.index, choice.text, choice.finish_reason, choice.logprobs]),
      ["A", "A", "B", "B"].map((prompt, index) => [
        index,
        `${prompt} there`,
        "length",
        {
          tokens: [prompt, " there"],
          token_logprobs: [null, -0.5],
          top_logprobs: [null, { " there": -0.5 }],
          text_offset: [0, 1],
        },
      ]),
    );
    assert.deepEqual(completion.usage, { prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });
    mock.always((_req, res) => json(res, 500, { error: "no handler scripted" }));
  });

  test("a text stream, and chat", async () => {
    mock.enqueue((_req, res) => tgiStream(res));
    const stream = await client().completions.create({ model: "llama", prompt: "Hi", stream: true });
    let text = "";
    for await (const chunk of stream) {
      assertOpenAI("CreateCompletionStreamChunk", JSON.parse(JSON.stringify(chunk)));
      text += chunk.choices[0]?.text ?? "";
    }
    assert.equal(text, " there!");
    mock.enqueue((_req, res) =>
      json(res, 200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: MODEL,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "yo", refusal: null },
            logprobs: null,
            finish_reason: "stop",
          },
        ],
      }),
    );
    const chat = await client().chat.completions.create({
      model: "llama",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(chat.choices[0]?.message.content, "yo");
    assert.equal(mock.requests[1]?.path, "/v1/chat/completions");
    assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(chat)));
  });
});
