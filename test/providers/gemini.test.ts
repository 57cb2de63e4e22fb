/**
 * The Gemini API adapter (`gemini/M`) against a mock Google: the exact generateContent request
 * (path, headers, body) for chat and text completions with every mapped param, tools, images,
 * safety blocks and streams, and the answers in OpenAI's shape.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  AuthenticationError,
  BadRequestError,
  type ChatCompletion,
  type ChatCompletionChunk,
  chatCompletion,
  ContentPolicyViolationError,
  ContextWindowExceededError,
  RateLimitError,
  type TextCompletion,
  type TextCompletionChunk,
  textCompletion,
  UnsupportedParamsError,
} from "../../src/index.js";
import { geminiSchema } from "../../src/providers/google/request.js";
import { collect, rejection } from "../helpers/fixtures.js";
import { json, MockUpstream, sse } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(() => mock.close());
beforeEach(() => mock.reset());

const MODEL = "gemini-2.0-flash";
const PATH = `/v1beta/models/${MODEL}:generateContent`;
const STREAM_PATH = `/v1beta/models/${MODEL}:streamGenerateContent`;

const call = () => ({ model: `gemini/${MODEL}`, api_key: "gm-key", api_base: mock.url });

/** The generationConfig of the first request the mock saw. */
function generationConfigSent(): unknown {
  const body = mock.requests[0]?.json;
  return body !== null && typeof body === "object" && "generationConfig" in body ? body.generationConfig : undefined;
}

function answer(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 },
    modelVersion: "gemini-2.0-flash-001",
    responseId: "resp-1",
    ...extra,
  };
}

describe("gemini/ chat", () => {
  test("every mapped param reaches generateContent under Gemini's names, with the key in x-goog-api-key", async () => {
    mock.enqueue((_req, res) =>
      json(res, 200, {
        candidates: [
          {
            content: { role: "model", parts: [{ text: "thinking...", thought: true }, { text: "Hi" }] },
            finishReason: "STOP",
            index: 0,
            logprobsResult: {
              topCandidates: [
                {
                  candidates: [
                    { token: "Hi", logProbability: -0.1 },
                    { token: "Hey", logProbability: -2.5 },
                  ],
                },
              ],
              chosenCandidates: [{ token: "Hi", logProbability: -0.1 }],
            },
          },
          { content: { role: "model", parts: [{ text: "Hello" }] }, finishReason: "MAX_TOKENS", index: 1 },
        ],
        usageMetadata: {
          promptTokenCount: 10,
          candidatesTokenCount: 4,
          thoughtsTokenCount: 3,
          cachedContentTokenCount: 6,
          totalTokenCount: 17,
        },
        modelVersion: "gemini-2.0-flash-001",
        responseId: "abc",
      }),
    );
    const result = (await chatCompletion({
      ...call(),
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Answer in English." }] },
        { role: "user", content: "Say hi" },
        { role: "assistant", content: "Hi!" },
        { role: "user", content: "Again" },
      ],
      max_tokens: 20,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop: ["\n", "END"],
      n: 2,
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      logprobs: true,
      top_logprobs: 2,
      response_format: { type: "json_object" },
      safety_settings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
    })) as ChatCompletion;
    const [request] = mock.requests;
    assert.equal(request?.path, PATH);
    assert.deepEqual(request?.query, {});
    assert.equal(request?.headers["x-goog-api-key"], "gm-key");
    assert.equal(request?.headers["content-type"], "application/json");
    assert.equal(request?.headers.authorization, undefined);
    assert.deepEqual(request?.json, {
      contents: [
        { role: "user", parts: [{ text: "Say hi" }] },
        { role: "model", parts: [{ text: "Hi!" }] },
        { role: "user", parts: [{ text: "Again" }] },
      ],
      systemInstruction: { parts: [{ text: "Be brief." }, { text: "Answer in English." }] },
      safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
      generationConfig: {
        maxOutputTokens: 20,
        temperature: 0.5,
        topP: 0.9,
        topK: 40,
        stopSequences: ["\n", "END"],
        candidateCount: 2,
        seed: 7,
        presencePenalty: 0.5,
        frequencyPenalty: -0.5,
        responseLogprobs: true,
        logprobs: 2,
        responseMimeType: "application/json",
      },
    });
    assert.equal(result.id, "chatcmpl-abc");
    assert.equal(result.model, "gemini-2.0-flash-001");
    assert.deepEqual(result.choices, [
      {
        index: 0,
        message: { role: "assistant", content: "Hi", refusal: null, reasoning_content: "thinking..." },
        logprobs: {
          content: [
            {
              token: "Hi",
              logprob: -0.1,
              bytes: [72, 105],
              top_logprobs: [
                { token: "Hi", logprob: -0.1, bytes: [72, 105] },
                { token: "Hey", logprob: -2.5, bytes: [72, 101, 121] },
              ],
            },
          ],
          refusal: null,
        },
        finish_reason: "stop",
      },
      {
        index: 1,
        message: { role: "assistant", content: "Hello", refusal: null },
        logprobs: null,
        finish_reason: "length",
      },
    ]);
    // Thoughts are output (LiteLLM's count); cached tokens are part of the prompt.
    assert.deepEqual(result.usage, {
      prompt_tokens: 10,
      completion_tokens: 7,
      total_tokens: 17,
      prompt_tokens_details: { cached_tokens: 6 },
      completion_tokens_details: { reasoning_tokens: 3 },
    });
    assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(result)));
  });

  test("a candidates count that already includes the thoughts is not counted twice", async () => {
    mock.enqueue((_req, res) =>
      json(
        res,
        200,
        answer("x", {
          usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 9, thoughtsTokenCount: 5, totalTokenCount: 13 },
        }),
      ),
    );
    const result = (await chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }] })) as ChatCompletion;
    assert.deepEqual(result.usage, {
      prompt_tokens: 4,
      completion_tokens: 9,
      total_tokens: 13,
      completion_tokens_details: { reasoning_tokens: 5 },
    });
  });

  test("tools, tool_choice, tool calls and results, images: Gemini's functionDeclarations, functionCall/functionResponse and inlineData", async () => {
    mock.enqueue((_req, res) =>
      json(res, 200, {
        candidates: [
          {
            content: {
              role: "model",
              parts: [
                { functionCall: { name: "get_weather", args: { city: "Oslo" } } },
                { functionCall: { id: "fc-2", name: "get_time", args: {} } },
              ],
            },
            finishReason: "STOP",
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 30, candidatesTokenCount: 8, totalTokenCount: 38 },
        modelVersion: MODEL,
        responseId: "r2",
      }),
    );
    const result = (await chatCompletion({
      ...call(),
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather here?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/photo.JPG" } },
            { type: "image_url", image_url: { url: "gs://bucket/doc.pdf" } },
          ],
        },
        {
          role: "assistant",
          content: "",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            { id: "call_2", type: "function", function: { name: "get_time", arguments: "" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "noon" }] },
        { role: "user", content: "And in Oslo?" },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Weather in a city",
            parameters: {
              type: "object",
              properties: { city: { type: "string" } },
              required: ["city"],
              additionalProperties: false,
            },
            strict: true,
          },
        },
        { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
      ],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    })) as ChatCompletion;
    assert.deepEqual(mock.requests[0]?.json, {
      contents: [
        {
          role: "user",
          parts: [
            { text: "Weather here?" },
            { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
            { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/photo.JPG" } },
            { fileData: { mimeType: "application/pdf", fileUri: "gs://bucket/doc.pdf" } },
          ],
        },
        {
          role: "model",
          parts: [
            { functionCall: { name: "get_weather", args: { city: "Paris" } } },
            { functionCall: { name: "get_time", args: {} } },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { content: "sunny" } } },
            { functionResponse: { name: "get_time", response: { content: "noon" } } },
            { text: "And in Oslo?" },
          ],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            {
              name: "get_weather",
              description: "Weather in a city",
              parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
            },
            { name: "get_time" },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } },
    });
    const choice = result.choices[0];
    assert.equal(choice?.finish_reason, "tool_calls");
    assert.equal(choice?.message.content, null);
    const calls = choice?.message.tool_calls ?? [];
    assert.equal(calls.length, 2);
    assert.match(calls[0]?.id ?? "", /^call_[0-9a-f]{32}$/);
    assert.deepEqual(calls[0]?.function, { name: "get_weather", arguments: '{"city":"Oslo"}' });
    assert.deepEqual(calls[1], { id: "fc-2", type: "function", function: { name: "get_time", arguments: "{}" } });
    assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(result)));
  });

  test("tool_choice none, auto and required are Gemini's NONE, AUTO and ANY", async () => {
    const tools = [
      {
        type: "function" as const,
        function: { name: "f", parameters: { type: "object", properties: { a: { type: "number" } } } },
      },
    ];
    for (const [choice, mode] of [
      ["none", "NONE"],
      ["auto", "AUTO"],
      ["required", "ANY"],
    ] as const) {
      mock.enqueue((_req, res) => json(res, 200, answer("ok")));
      await chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }], tools, tool_choice: choice });
      const body = mock.requests.at(-1)?.json as { toolConfig: unknown };
      assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode } });
    }
  });

  test("reasoning_effort is a thinkingConfig with LiteLLM's budgets; none turns thinking off; others are a 400", async () => {
    for (const [effort, config] of [
      ["low", { thinkingBudget: 1024, includeThoughts: true }],
      ["medium", { thinkingBudget: 2048, includeThoughts: true }],
      ["high", { thinkingBudget: 4096, includeThoughts: true }],
      ["none", { thinkingBudget: 0 }],
    ] as const) {
      mock.reset();
      mock.enqueue((_req, res) => json(res, 200, answer("ok")));
      await chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }], reasoning_effort: effort });
      assert.deepEqual(generationConfigSent(), { thinkingConfig: config }, effort);
    }
    const error = await rejection(
      chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }], reasoning_effort: "extreme" }),
    );
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.param, "reasoning_effort");
  });

  test("response_format json_schema becomes responseSchema, with $refs inlined and the keywords Gemini refuses left out", async () => {
    mock.enqueue((_req, res) => json(res, 200, answer('{"a":1}')));
    await chatCompletion({
      ...call(),
      messages: [{ role: "user", content: "q" }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "thing",
          strict: true,
          schema: {
            $schema: "https://json-schema.org/draft/2020-12/schema",
            type: "object",
            properties: { item: { $ref: "#/$defs/Item" }, additionalProperties: { type: "string" } },
            required: ["item"],
            additionalProperties: false,
            $defs: { Item: { type: "object", properties: { a: { type: "integer" } }, additionalProperties: false } },
          },
        },
      },
    });
    assert.deepEqual(generationConfigSent(), {
      responseMimeType: "application/json",
      responseSchema: {
        type: "object",
        // A property may be named like a keyword: only keywords are left out.
        properties: {
          item: { type: "object", properties: { a: { type: "integer" } } },
          additionalProperties: { type: "string" },
        },
        required: ["item"],
      },
    });
    assert.deepEqual(
      geminiSchema({ type: "array", items: { $ref: "#/definitions/X" }, definitions: { X: { type: "string" } } }),
      {
        type: "array",
        items: { type: "string" },
      },
    );
  });

  test("an image URL Gemini cannot fetch is a 400 naming the part, before any request", async () => {
    const error = await rejection(
      chatCompletion({
        ...call(),
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/image?id=3" } }] },
        ],
      }),
    );
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.param, "messages[0].content[0].image_url.url");
    assert.match(error.message, /data URL/);
    assert.equal(mock.requests.length, 0);
  });

  test("a tool result whose id matches no call is a 400 (Gemini needs the function's name)", async () => {
    const error = await rejection(
      chatCompletion({
        ...call(),
        messages: [
          { role: "user", content: "q" },
          { role: "tool", tool_call_id: "nope", content: "x" },
        ],
      }),
    );
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.param, "messages[1].tool_call_id");
  });

  test("params Gemini lacks are refused, or dropped with drop_params", async () => {
    const error = await rejection(
      chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }], logit_bias: { "1": 5 } }),
    );
    assert.ok(error instanceof UnsupportedParamsError);
    assert.equal(error.param, "logit_bias");
    mock.enqueue((_req, res) => json(res, 200, answer("ok")));
    await chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }], user: "u1", drop_params: true });
    assert.deepEqual(mock.requests[0]?.json, { contents: [{ role: "user", parts: [{ text: "q" }] }] });
  });

  test("finishReason SAFETY and RECITATION are content_filter", async () => {
    for (const reason of ["SAFETY", "RECITATION"]) {
      mock.enqueue((_req, res) =>
        json(
          res,
          200,
          answer("", { candidates: [{ content: { role: "model", parts: [] }, finishReason: reason, index: 0 }] }),
        ),
      );
      const result = (await chatCompletion({
        ...call(),
        messages: [{ role: "user", content: "q" }],
      })) as ChatCompletion;
      assert.equal(result.choices[0]?.finish_reason, "content_filter");
      assert.equal(result.choices[0]?.message.content, null);
    }
  });

  test("a blocked prompt (promptFeedback.blockReason) is a 400 ContentPolicyViolationError with Google's reason", async () => {
    mock.enqueue((_req, res) =>
      json(res, 200, {
        promptFeedback: { blockReason: "PROHIBITED_CONTENT", blockReasonMessage: "The prompt was blocked." },
        usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 },
      }),
    );
    const error = await rejection(chatCompletion({ ...call(), messages: [{ role: "user", content: "bad" }] }));
    assert.ok(error instanceof ContentPolicyViolationError);
    assert.equal(error.status, 400);
    assert.equal(error.message, "Gemini blocked the prompt (blockReason: PROHIBITED_CONTENT). The prompt was blocked.");
    assert.equal(error.code, "content_filter");
  });

  test("Google's errors are typed: 429 RESOURCE_EXHAUSTED, 400 INVALID_ARGUMENT, a too-long prompt, a bad key", async () => {
    const google = (code: number, status: string, message: string) => ({ error: { code, message, status } });
    mock.enqueue((_req, res) => json(res, 429, google(429, "RESOURCE_EXHAUSTED", "Quota exceeded for model.")));
    const limited = await rejection(chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }] }));
    assert.ok(limited instanceof RateLimitError);
    assert.equal(limited.message, "Quota exceeded for model.");
    assert.equal(limited.code, "RESOURCE_EXHAUSTED");
    // OpenAI's family in `type`, as its clients read it; Google's own name stays in `code`.
    assert.equal((limited as RateLimitError).type, "rate_limit_error");

    mock.enqueue((_req, res) =>
      json(res, 400, google(400, "INVALID_ARGUMENT", "Invalid value at 'generation_config'.")),
    );
    const invalid = await rejection(chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }] }));
    assert.ok(invalid instanceof BadRequestError);
    assert.equal(invalid.message, "Invalid value at 'generation_config'.");
    assert.equal(invalid.type, "invalid_request_error");
    assert.equal(invalid.code, "INVALID_ARGUMENT");

    const long = "The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).";
    mock.enqueue((_req, res) => json(res, 400, google(400, "INVALID_ARGUMENT", long)));
    const window = await rejection(chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }] }));
    assert.ok(window instanceof ContextWindowExceededError);

    mock.enqueue((_req, res) =>
      json(res, 400, google(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")),
    );
    const key = await rejection(chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }] }));
    assert.equal((key as BadRequestError).message, "API key not valid. Please pass a valid API key.");

    // A provider that quotes the key back: the key never reaches the caller.
    mock.enqueue((req, res) =>
      json(res, 400, google(400, "INVALID_ARGUMENT", `API key not valid: ${String(req.headers["x-goog-api-key"])}`)),
    );
    const quoted = await rejection(chatCompletion({ ...call(), messages: [{ role: "user", content: "q" }] }));
    assert.equal((quoted as BadRequestError).message, "API key not valid: [redacted]");
  });

  test("no key is an AuthenticationError naming GEMINI_API_KEY, before any request", async () => {
    const error = await rejection(
      chatCompletion({ model: `gemini/${MODEL}`, api_base: mock.url, messages: [{ role: "user", content: "q" }] }),
    );
    assert.ok(error instanceof AuthenticationError);
    assert.match(error.message, /GEMINI_API_KEY/);
    assert.equal(mock.requests.length, 0);
  });

  test("api_base with a path is used as LiteLLM uses it: `{api_base}:generateContent`", async () => {
    mock.enqueue((_req, res) => json(res, 200, answer("ok")));
    await chatCompletion({
      ...call(),
      api_base: `${mock.url}/gateway/google-ai-studio/v1beta/models/${MODEL}`,
      messages: [{ role: "user", content: "q" }],
    });
    assert.equal(mock.requests[0]?.path, `/gateway/google-ai-studio/v1beta/models/${MODEL}:generateContent`);
  });

  test("a stream: streamGenerateContent?alt=sse, chunks per event, tool calls numbered, usage when the body ends", async () => {
    mock.enqueue((_req, res) =>
      sse(res, [
        {
          candidates: [{ content: { role: "model", parts: [{ text: "Hel" }] }, index: 0 }],
          modelVersion: MODEL,
          responseId: "s1",
          usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 },
        },
        {
          candidates: [
            {
              content: {
                role: "model",
                parts: [{ text: "lo" }, { functionCall: { id: "c1", name: "f", args: { a: 1 } } }],
              },
              index: 0,
            },
          ],
          modelVersion: MODEL,
          responseId: "s1",
        },
        {
          candidates: [
            {
              content: { role: "model", parts: [{ functionCall: { id: "c2", name: "g", args: {} } }] },
              finishReason: "STOP",
              index: 0,
            },
          ],
          usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 6, totalTokenCount: 10 },
          modelVersion: MODEL,
          responseId: "s1",
        },
      ]),
    );
    const stream = (await chatCompletion({
      ...call(),
      messages: [{ role: "user", content: "q" }],
      stream: true,
      stream_options: { include_usage: true },
    })) as AsyncIterable<ChatCompletionChunk>;
    const chunks = await collect(stream);
    const request = mock.requests[0];
    assert.equal(request?.path, STREAM_PATH);
    assert.deepEqual(request?.query, { alt: "sse" });
    assert.deepEqual(request?.json, { contents: [{ role: "user", parts: [{ text: "q" }] }] });
    const created = chunks[0]?.created;
    const head = { id: "chatcmpl-s1", object: "chat.completion.chunk", created, model: MODEL };
    assert.deepEqual(JSON.parse(JSON.stringify(chunks)), [
      {
        ...head,
        choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, logprobs: null, finish_reason: null }],
      },
      {
        ...head,
        choices: [
          {
            index: 0,
            delta: {
              content: "lo",
              tool_calls: [{ index: 0, id: "c1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
            },
            logprobs: null,
            finish_reason: null,
          },
        ],
      },
      {
        ...head,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 1, id: "c2", type: "function", function: { name: "g", arguments: "{}" } }] },
            logprobs: null,
            finish_reason: "tool_calls",
          },
        ],
      },
      { ...head, choices: [], usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 } },
    ]);
    for (const chunk of chunks)
      assertOpenAIChat("CreateChatCompletionStreamResponse", JSON.parse(JSON.stringify(chunk)));
  });

  test("a blocked prompt mid-stream and an error event end the stream with typed errors", async () => {
    mock.enqueue((_req, res) => sse(res, [{ promptFeedback: { blockReason: "SAFETY" } }]));
    const streamOf = async () =>
      collect(
        (await chatCompletion({
          ...call(),
          messages: [{ role: "user", content: "q" }],
          stream: true,
        })) as AsyncIterable<unknown>,
      );
    const blocked = await rejection(streamOf());
    assert.ok(blocked instanceof ContentPolicyViolationError);
    assert.equal(blocked.message, "Gemini blocked the prompt (blockReason: SAFETY).");

    mock.enqueue((_req, res) =>
      sse(res, [
        { candidates: [{ content: { role: "model", parts: [{ text: "a" }] }, index: 0 }] },
        { error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } },
      ]),
    );
    const failed = await rejection(streamOf());
    assert.equal((failed as RateLimitError).status, 503);
    assert.equal(failed.message, "The model is overloaded.");
  });
});

describe("gemini/ text completions (through chat)", () => {
  test("a prompt list, n, echo: one call per prompt with candidateCount, choices indexed prompt*n + j", async () => {
    mock.always((req, res) => {
      const body = req.json as { contents: { parts: { text: string }[] }[] };
      const prompt = body.contents[0]?.parts[0]?.text ?? "";
      json(res, 200, {
        candidates: [0, 1].map((index) => ({
          content: { role: "model", parts: [{ text: ` ${prompt}-${index}` }] },
          finishReason: "STOP",
          index,
        })),
        usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 4, totalTokenCount: 6 },
        modelVersion: MODEL,
        responseId: `r-${prompt}`,
      });
    });
    const result = (await textCompletion({
      ...call(),
      prompt: ["a", "b"],
      n: 2,
      echo: true,
      max_tokens: 5,
    })) as TextCompletion;
    assert.equal(mock.requests.length, 2);
    for (const [i, prompt] of ["a", "b"].entries()) {
      assert.deepEqual(
        mock.requests.find(
          (r) => (r.json as { contents: { parts: { text: string }[] }[] }).contents[0]?.parts[0]?.text === prompt,
        )?.json,
        {
          contents: [{ role: "user", parts: [{ text: prompt }] }],
          generationConfig: { maxOutputTokens: 5, candidateCount: 2 },
        },
        `prompt ${i}`,
      );
    }
    assert.equal(result.object, "text_completion");
    assert.deepEqual(
      result.choices.map((choice) => [choice.index, choice.text, choice.finish_reason]),
      [
        [0, "a a-0", "stop"],
        [1, "a a-1", "stop"],
        [2, "b b-0", "stop"],
        [3, "b b-1", "stop"],
      ],
    );
    assert.deepEqual(result.usage, { prompt_tokens: 4, completion_tokens: 8, total_tokens: 12 });
    assertOpenAI("CreateCompletionResponse", JSON.parse(JSON.stringify(result)));
    mock.always((_req, res) => json(res, 500, { error: { message: "no handler scripted" } }));
  });

  test("logprobs: N asks Gemini for responseLogprobs and N candidates, and maps them to the text shape", async () => {
    mock.enqueue((_req, res) =>
      json(res, 200, {
        candidates: [
          {
            content: { role: "model", parts: [{ text: "Hi there" }] },
            finishReason: "MAX_TOKENS",
            index: 0,
            logprobsResult: {
              topCandidates: [
                {
                  candidates: [
                    { token: "Hi", logProbability: -0.5 },
                    { token: "Yo", logProbability: -1.5 },
                  ],
                },
                {
                  candidates: [
                    { token: " there", logProbability: -0.25 },
                    { token: " you", logProbability: -2 },
                  ],
                },
              ],
              chosenCandidates: [
                { token: "Hi", logProbability: -0.5 },
                { token: " there", logProbability: -0.25 },
              ],
            },
          },
        ],
        usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 2, totalTokenCount: 3 },
        modelVersion: MODEL,
        responseId: "lp",
      }),
    );
    const result = (await textCompletion({ ...call(), prompt: "Say", logprobs: 2, max_tokens: 2 })) as TextCompletion;
    assert.deepEqual(generationConfigSent(), {
      maxOutputTokens: 2,
      responseLogprobs: true,
      logprobs: 2,
    });
    assert.deepEqual(result.choices[0]?.logprobs, {
      tokens: ["Hi", " there"],
      token_logprobs: [-0.5, -0.25],
      top_logprobs: [
        { Hi: -0.5, Yo: -1.5 },
        { " there": -0.25, " you": -2 },
      ],
      text_offset: [0, 2],
    });
    assert.equal(result.choices[0]?.finish_reason, "length");
    assertOpenAI("CreateCompletionResponse", JSON.parse(JSON.stringify(result)));
  });

  test("a text stream with n: every choice streams and finishes", async () => {
    mock.enqueue((_req, res) =>
      sse(res, [
        {
          candidates: [
            { content: { parts: [{ text: "x" }] }, index: 0 },
            { content: { parts: [{ text: "y" }] }, index: 1 },
          ],
          responseId: "t",
        },
        {
          candidates: [
            { content: { parts: [{ text: "1" }] }, index: 0, finishReason: "STOP" },
            { content: { parts: [{ text: "2" }] }, index: 1, finishReason: "MAX_TOKENS" },
          ],
          usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 4, totalTokenCount: 5 },
          responseId: "t",
        },
      ]),
    );
    const chunks = await collect(
      (await textCompletion({
        ...call(),
        prompt: "p",
        n: 2,
        stream: true,
        stream_options: { include_usage: true },
      })) as AsyncIterable<TextCompletionChunk>,
    );
    const texts = new Map<number, string>();
    const finishes = new Map<number, string | null>();
    for (const chunk of chunks) {
      assertOpenAI("CreateCompletionStreamChunk", JSON.parse(JSON.stringify(chunk)));
      for (const choice of chunk.choices) {
        texts.set(choice.index, (texts.get(choice.index) ?? "") + choice.text);
        if (choice.finish_reason !== null) finishes.set(choice.index, choice.finish_reason);
      }
    }
    assert.deepEqual([...texts.entries()].sort(), [
      [0, "x1"],
      [1, "y2"],
    ]);
    assert.deepEqual([...finishes.entries()].sort(), [
      [0, "stop"],
      [1, "length"],
    ]);
    assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 1, completion_tokens: 4, total_tokens: 5 });
  });
});
