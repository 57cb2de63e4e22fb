/**
 * Bedrock Converse: SigV4 against AWS's published test vector and, on every request the
 * mock receives, re-derived independently (test/helpers/aws.ts); bearer API keys; the
 * exact Converse body (system, inferenceConfig, tools, images, tool results); answers,
 * usage and stop reasons in OpenAI's shape; AWS's binary event stream built by the test,
 * read at odd split points, with exceptions mid-stream; error types to statuses; secrets
 * never in an error.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import OpenAI from "openai";
import { EventStreamFramer } from "../../src/http/eventstream.js";
import { chatCompletion } from "../../src/index.js";
import { bedrockRuntimeUrl } from "../../src/providers/aws/credentials.js";
import { sigV4Headers } from "../../src/providers/aws/sigv4.js";
import { bedrock } from "../../src/providers/bedrock/index.js";
import type { Target } from "../../src/providers/types.js";
import type { ChatCompletion, ChatCompletionChunk } from "../../src/wire/chat.js";
import {
  type APIError,
  AuthenticationError,
  BadGatewayError,
  BadRequestError,
  ContextWindowExceededError,
  PermissionDeniedError,
  RateLimitError,
} from "../../src/wire/errors.js";
import { converseEvent, converseException, eventMessage, expectedAuthorization } from "../helpers/aws.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { json, MockUpstream, type RecordedRequest } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

const KEYS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const SESSION_TOKEN = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789";
const MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0";
const MODEL_PATH = "/model/anthropic.claude-3-haiku-20240307-v1%3A0";

let mock: MockUpstream;
before(async () => {
  mock = await MockUpstream.start();
});
after(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

function target(overrides: Partial<Target> = {}): Target {
  return { model: MODEL_ID, options: {}, env: {}, dropParams: false, ...overrides };
}

/** The SDK's call options for a signed request to the mock. */
function signed(extra: Record<string, unknown> = {}) {
  return {
    api_base: mock.url,
    aws_access_key_id: KEYS.accessKeyId,
    aws_secret_access_key: KEYS.secretAccessKey,
    aws_region_name: "us-east-1",
    ...extra,
  };
}

function assertSigned(request: RecordedRequest): void {
  assert.equal(
    request.headers.authorization,
    expectedAuthorization(request, KEYS, { region: "us-east-1", service: "bedrock" }),
  );
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(request.headers.authorization))?.[1];
  assert.ok(signedHeaders?.split(";").includes("host"));
  assert.ok(signedHeaders?.split(";").includes("content-type"));
  assert.match(String(request.headers["x-amz-date"]), /^\d{8}T\d{6}Z$/);
}

const converseAnswer = {
  output: {
    message: {
      role: "assistant",
      content: [
        { text: "Let me look." },
        { toolUse: { toolUseId: "tooluse_1", name: "weather", input: { city: "Paris" } } },
      ],
    },
  },
  stopReason: "tool_use",
  usage: { inputTokens: 12, outputTokens: 7, totalTokens: 29, cacheReadInputTokens: 10 },
  metrics: { latencyMs: 100 },
};

describe("SigV4", () => {
  test("AWS's get-vanilla test vector signs to its published signature", async () => {
    const headers = await sigV4Headers(
      { method: "GET", url: "https://example.amazonaws.com/", headers: {} },
      KEYS,
      { region: "us-east-1", service: "service" },
      new Date("2015-08-30T12:36:00Z"),
    );
    assert.deepEqual(headers, {
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, " +
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
      "x-amz-date": "20150830T123600Z",
    });
  });

  test("a Converse request is signed over its exact path, headers and body; the mock re-derives the signature", async () => {
    mock.enqueue((_req, res) => json(res, 200, converseAnswer, { "x-amzn-requestid": "req-1" }));
    const answer = (await chatCompletion({
      model: `bedrock/${MODEL_ID}`,
      messages: [{ role: "user", content: "Weather in Paris?" }],
      ...signed(),
    })) as ChatCompletion;
    const request = mock.requests[0] as RecordedRequest;
    assert.equal(request.method, "POST");
    assert.equal(request.path, `${MODEL_PATH}/converse`);
    assert.equal(request.headers["content-type"], "application/json");
    assert.equal(request.headers["x-amz-security-token"], undefined);
    assertSigned(request);
    assert.equal(answer.model, MODEL_ID);
    assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(answer)));
  });

  test("temporary keys send their session token, signed; a retry is signed afresh and verifies too", async () => {
    mock.enqueue(
      (_req, res) =>
        json(
          res,
          429,
          { message: "Too many requests" },
          { "x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/" },
        ),
      (_req, res) => json(res, 200, converseAnswer),
    );
    const answer = await chatCompletion({
      model: `bedrock/converse/${MODEL_ID}`,
      messages: [{ role: "user", content: "hi" }],
      num_retries: 1,
      ...signed({ aws_session_token: SESSION_TOKEN }),
    });
    assert.equal((answer as ChatCompletion).model, MODEL_ID);
    assert.equal(mock.requests.length, 2);
    for (const request of mock.requests) {
      assert.equal(request.path, `${MODEL_PATH}/converse`);
      assert.equal(request.headers["x-amz-security-token"], SESSION_TOKEN);
      assert.ok(String(request.headers.authorization).includes("x-amz-security-token"));
      assertSigned(request);
    }
  });

  test("keys come from the AWS_* environment when litellm_params have none", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: KEYS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey,
      AWS_REGION_NAME: "us-east-1",
    });
    try {
      mock.enqueue((_req, res) => json(res, 200, converseAnswer));
      await chatCompletion({
        model: `bedrock/${MODEL_ID}`,
        messages: [{ role: "user", content: "hi" }],
        api_base: mock.url,
      });
      assertSigned(mock.requests[0] as RecordedRequest);
    } finally {
      for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION_NAME"]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  test("a Bedrock API key is sent as a bearer token, with no signature", () => {
    const request = bedrock.buildChatRequest(
      { model: "m", messages: [{ role: "user", content: "hi" }] },
      target({ options: { api_key: "bedrock-api-key-123" } }),
    );
    assert.equal(request.headers.authorization, "Bearer bedrock-api-key-123");
    assert.equal(request.signedHeaders, undefined);
    const fromEnv = bedrock.buildChatRequest(
      { model: "m", messages: [{ role: "user", content: "hi" }] },
      target({ env: { AWS_BEARER_TOKEN_BEDROCK: "env-token" } }),
    );
    assert.equal(fromEnv.headers.authorization, "Bearer env-token");
  });

  test("no credentials at all is a 401 naming what to set, before any request", () => {
    assert.throws(
      () => bedrock.buildChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }] }, target()),
      (error: unknown) =>
        error instanceof AuthenticationError &&
        error.status === 401 &&
        /aws_access_key_id and aws_secret_access_key/.test(error.message) &&
        /AWS_BEARER_TOKEN_BEDROCK/.test(error.message),
    );
  });
});

describe("where requests go (LiteLLM's order)", () => {
  test("api_base, then aws_bedrock_runtime_endpoint, then AWS_BEDROCK_RUNTIME_ENDPOINT, then the region's host", () => {
    assert.equal(
      bedrockRuntimeUrl(
        target({ options: { api_base: "https://a.example/", aws_bedrock_runtime_endpoint: "https://b.example" } }),
        "/model/x/converse",
      ),
      "https://a.example/model/x/converse",
    );
    assert.equal(
      bedrockRuntimeUrl(
        target({
          options: { aws_bedrock_runtime_endpoint: "https://vpce.example" },
          env: { AWS_BEDROCK_RUNTIME_ENDPOINT: "https://c.example" },
        }),
        "/p",
      ),
      "https://vpce.example/p",
    );
    assert.equal(
      bedrockRuntimeUrl(target({ env: { AWS_BEDROCK_RUNTIME_ENDPOINT: "https://c.example" } }), "/p"),
      "https://c.example/p",
    );
    assert.equal(
      bedrockRuntimeUrl(target({ options: { aws_region_name: "eu-central-1" } }), "/p"),
      "https://bedrock-runtime.eu-central-1.amazonaws.com/p",
    );
    assert.equal(
      bedrockRuntimeUrl(target({ env: { AWS_REGION: "ap-south-1" } }), "/p"),
      "https://bedrock-runtime.ap-south-1.amazonaws.com/p",
    );
    assert.equal(bedrockRuntimeUrl(target(), "/p"), "https://bedrock-runtime.us-west-2.amazonaws.com/p");
    // The region goes into a host name: anything but a region name is refused.
    assert.throws(
      () => bedrockRuntimeUrl(target({ options: { aws_region_name: "evil.example/x#" } }), "/p"),
      (error: unknown) => error instanceof BadRequestError && error.param === "aws_region_name",
    );
  });

  test("bedrock/converse/ID and ARNs: the id is one encoded path segment; streams go to converse-stream", () => {
    const auth = { options: { api_key: "k", aws_region_name: "us-east-1" } };
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0";
    const request = bedrock.buildChatRequest(
      { model: "m", messages: [{ role: "user", content: "hi" }], stream: true },
      target({ model: `converse/${arn}`, ...auth }),
    );
    assert.equal(
      request.url,
      "https://bedrock-runtime.us-east-1.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream",
    );
  });
});

describe("the Converse body", () => {
  const body = (params: Record<string, unknown>, t: Target = target({ options: { api_key: "k" } })): unknown =>
    JSON.parse(bedrock.buildChatRequest({ model: "m", messages: [], ...params }, t).body ?? "null");

  test("system, alternating turns, images as bytes, tool use and results, inferenceConfig and toolConfig", () => {
    assert.deepEqual(
      body({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "developer", content: [{ type: "text", text: "Use tools." }] },
          {
            role: "user",
            content: [
              { type: "text", text: "What is this and the weather?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            ],
          },
          {
            role: "assistant",
            content: "",
            tool_calls: [{ id: "t1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }],
          },
          { role: "tool", tool_call_id: "t1", content: "sunny" },
          { role: "user", content: "Thanks" },
        ],
        max_tokens: 100,
        temperature: 0.5,
        top_p: 0.9,
        stop: ["END"],
        tools: [
          {
            type: "function",
            function: {
              name: "weather",
              description: "Weather now",
              parameters: { type: "object", properties: { city: { type: "string" } } },
            },
          },
        ],
        tool_choice: { type: "function", function: { name: "weather" } },
      }),
      {
        messages: [
          {
            role: "user",
            content: [
              { text: "What is this and the weather?" },
              { image: { format: "png", source: { bytes: "iVBORw0KGgo=" } } },
            ],
          },
          { role: "assistant", content: [{ toolUse: { toolUseId: "t1", name: "weather", input: { city: "Paris" } } }] },
          {
            role: "user",
            content: [{ toolResult: { toolUseId: "t1", content: [{ text: "sunny" }] } }, { text: "Thanks" }],
          },
        ],
        system: [{ text: "Be brief." }, { text: "Use tools." }],
        inferenceConfig: { maxTokens: 100, temperature: 0.5, topP: 0.9, stopSequences: ["END"] },
        toolConfig: {
          tools: [
            {
              toolSpec: {
                name: "weather",
                description: "Weather now",
                inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } },
              },
            },
          ],
          toolChoice: { tool: { name: "weather" } },
        },
      },
    );
  });

  test("max_completion_tokens, required tools; a bare conversation has no inferenceConfig", () => {
    assert.deepEqual(body({ messages: [{ role: "user", content: "hi" }] }), {
      messages: [{ role: "user", content: [{ text: "hi" }] }],
    });
    assert.deepEqual(
      body({
        messages: [{ role: "user", content: "hi" }],
        max_completion_tokens: 5,
        stop: "x",
        tools: [{ type: "function", function: { name: "f" } }],
        tool_choice: "required",
      }),
      {
        messages: [{ role: "user", content: [{ text: "hi" }] }],
        inferenceConfig: { maxTokens: 5, stopSequences: ["x"] },
        toolConfig: {
          tools: [{ toolSpec: { name: "f", inputSchema: { json: { type: "object", properties: {} } } } }],
          toolChoice: { any: {} },
        },
      },
    );
  });

  test("what Converse cannot take is a 400 naming the field", () => {
    const t = target({ options: { api_key: "k" } });
    const refuse = (params: Record<string, unknown>, param: string) =>
      assert.throws(
        () => body(params, t),
        (error: unknown) => error instanceof BadRequestError && error.param === param,
      );
    refuse(
      { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://x/cat.png" } }] }] },
      "messages[0].content[0].image_url.url",
    );
    refuse({ messages: [{ role: "system", content: "only system" }] }, "messages");
    refuse(
      {
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "function", function: { name: "f" } }],
        tool_choice: "none",
      },
      "tool_choice",
    );
    // drop_params sends tool_choice 'none' as auto.
    assert.deepEqual(
      body(
        {
          messages: [{ role: "user", content: "hi" }],
          tools: [{ type: "function", function: { name: "f" } }],
          tool_choice: "none",
        },
        target({ options: { api_key: "k" }, dropParams: true }),
      ),
      {
        messages: [{ role: "user", content: [{ text: "hi" }] }],
        toolConfig: { tools: [{ toolSpec: { name: "f", inputSchema: { json: { type: "object", properties: {} } } } }] },
      },
    );
  });
});

describe("Converse answers", () => {
  test("text and tool calls, stopReason, usage with cache reads", () => {
    const completion = bedrock.parseChatResponse(converseAnswer, MODEL_ID);
    assert.match(completion.id, /^chatcmpl-[0-9a-f]{32}$/);
    assert.deepEqual(completion.choices, [
      {
        index: 0,
        message: {
          role: "assistant",
          content: "Let me look.",
          refusal: null,
          tool_calls: [
            { id: "tooluse_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ]);
    assert.deepEqual(completion.usage, {
      prompt_tokens: 22,
      completion_tokens: 7,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 10, cache_write_tokens: 0 },
    });
    assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(completion)));
    const reasons = [
      "end_turn",
      "stop_sequence",
      "max_tokens",
      "model_context_window_exceeded",
      "guardrail_intervened",
      "content_filtered",
    ].map((stopReason) => bedrock.parseChatResponse({ ...converseAnswer, stopReason }, "m").choices[0]?.finish_reason);
    assert.deepEqual(reasons, ["stop", "stop", "length", "length", "content_filter", "content_filter"]);
    assert.throws(() => bedrock.parseChatResponse({ nope: 1 }, "m"), BadGatewayError);
  });
});

/** Writes an event-stream response, each message in its own write. */
function eventStream(res: ServerResponse, messages: Buffer[]): void {
  res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "req-s" });
  for (const message of messages) res.write(message);
  res.end();
}

const STREAM = [
  converseEvent("messageStart", { role: "assistant", p: "abc" }),
  converseEvent("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hel" }, p: "a" }),
  converseEvent("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "lo ✓" }, p: "a" }),
  converseEvent("contentBlockStop", { contentBlockIndex: 0 }),
  converseEvent("contentBlockStart", {
    contentBlockIndex: 1,
    start: { toolUse: { toolUseId: "tu1", name: "weather" } },
  }),
  converseEvent("contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } }),
  converseEvent("contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: '"Paris"}' } } }),
  converseEvent("contentBlockStop", { contentBlockIndex: 1 }),
  converseEvent("contentBlockStart", { contentBlockIndex: 2, start: { toolUse: { toolUseId: "tu2", name: "now" } } }),
  converseEvent("contentBlockStop", { contentBlockIndex: 2 }),
  converseEvent("messageStop", { stopReason: "tool_use" }),
  converseEvent("metadata", {
    usage: { inputTokens: 5, outputTokens: 9, totalTokens: 14 },
    metrics: { latencyMs: 10 },
  }),
];

function deltas(chunks: ChatCompletionChunk[]): unknown[] {
  return chunks.map((chunk) =>
    chunk.choices.length === 0
      ? { usage: chunk.usage }
      : { delta: chunk.choices[0]?.delta, finish: chunk.choices[0]?.finish_reason },
  );
}

const EXPECTED_DELTAS = [
  { delta: { role: "assistant", content: "" }, finish: null },
  { delta: { content: "Hel" }, finish: null },
  { delta: { content: "lo ✓" }, finish: null },
  {
    delta: { tool_calls: [{ index: 0, id: "tu1", type: "function", function: { name: "weather", arguments: "" } }] },
    finish: null,
  },
  { delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, finish: null },
  { delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, finish: null },
  {
    delta: { tool_calls: [{ index: 1, id: "tu2", type: "function", function: { name: "now", arguments: "" } }] },
    finish: null,
  },
  { delta: { tool_calls: [{ index: 1, function: { arguments: "{}" } }] }, finish: null },
  { delta: {}, finish: "tool_calls" },
  { usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } },
];

describe("ConverseStream", () => {
  test("the event stream read at every split point gives the same chunks", () => {
    const bytes = Buffer.concat(STREAM);
    for (const size of [1, 3, 7, 64, bytes.length]) {
      const reader = bedrock.chatStream(MODEL_ID);
      const chunks: ChatCompletionChunk[] = [];
      for (let start = 0; start < bytes.length; start += size) {
        for (const event of reader.framer.push(bytes.subarray(start, start + size))) {
          const result = reader.parseEvent(event);
          if (result.type === "chunk") chunks.push(result.chunk);
        }
      }
      assert.deepEqual(reader.framer.end(), []);
      assert.deepEqual(deltas(chunks), EXPECTED_DELTAS, `split every ${size} bytes`);
      assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, 1);
    }
  });

  test("through the SDK: the signed converse-stream request and OpenAI chunks", async () => {
    mock.enqueue((_req, res) => eventStream(res, STREAM));
    const stream = await chatCompletion({
      model: `bedrock/${MODEL_ID}`,
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
      ...signed(),
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      assertOpenAIChat("CreateChatCompletionStreamResponse", JSON.parse(JSON.stringify(chunk)));
      chunks.push(chunk);
    }
    const request = mock.requests[0] as RecordedRequest;
    assert.equal(request.path, `${MODEL_PATH}/converse-stream`);
    assertSigned(request);
    assert.deepEqual(deltas(chunks), EXPECTED_DELTAS);
    assert.equal(chunks[0]?.model, MODEL_ID);
  });

  const midStream: [string, number, typeof APIError][] = [
    ["throttlingException", 429, RateLimitError],
    ["validationException", 400, BadRequestError],
    ["modelStreamErrorException", 502, BadGatewayError],
  ];
  for (const [type, status, ErrorClass] of midStream) {
    test(`${type} mid-stream: the chunks before it, then a ${status}`, async () => {
      mock.enqueue((_req, res) =>
        eventStream(res, [...STREAM.slice(0, 2), converseException(type, `${type} happened`)]),
      );
      const stream = await chatCompletion({
        model: `bedrock/${MODEL_ID}`,
        messages: [{ role: "user", content: "hi" }],
        stream: true,
        ...signed(),
      });
      const seen: string[] = [];
      await assert.rejects(
        async () => {
          for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>)
            seen.push(String(chunk.choices[0]?.delta.content));
        },
        (error: unknown) =>
          error instanceof ErrorClass &&
          (error as RateLimitError).status === status &&
          (error as Error).message === `${type} happened`,
      );
      assert.deepEqual(seen, ["", "Hel"]);
    });
  }

  test("a message whose CRC does not match is a 502, never a chunk", async () => {
    const broken = Buffer.from(converseEvent("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" } }));
    broken.writeUInt8((broken.readUInt8(broken.length - 6) ^ 0xff) & 0xff, broken.length - 6);
    mock.enqueue((_req, res) => eventStream(res, [STREAM[0] as Buffer, broken]));
    // Both messages may arrive in one read: the failure comes at the first chunk or after it.
    await assert.rejects(
      async () => {
        const stream = await chatCompletion({
          model: `bedrock/${MODEL_ID}`,
          messages: [{ role: "user", content: "hi" }],
          stream: true,
          ...signed(),
        });
        for await (const _ of stream as AsyncIterable<ChatCompletionChunk>);
      },
      (error: unknown) => error instanceof BadGatewayError && /checksum/i.test(error.message),
    );
  });

  test("a length prefix out of bounds is refused at once, before its bytes arrive", () => {
    const prelude = (length: number) => {
      const bytes = Buffer.alloc(8);
      bytes.writeUInt32BE(length, 0);
      return bytes;
    };
    assert.throws(() => new EventStreamFramer().push(prelude(8)), /at least 16/);
    assert.throws(() => new EventStreamFramer(1024).push(prelude(4096)), /longer than 1024/);
    // Several messages in one chunk all come out, in order.
    const events = new EventStreamFramer().push(Buffer.concat(STREAM.slice(0, 3)));
    assert.deepEqual(
      events.map((event) => event.event),
      ["messageStart", "contentBlockDelta", "contentBlockDelta"],
    );
  });

  test("a stream cut inside a message is an error; error messages (:message-type error) too", () => {
    const framer = new EventStreamFramer();
    assert.deepEqual(framer.push((STREAM[0] as Buffer).subarray(0, 10)), []);
    assert.throws(() => framer.end(), /inside a message/);
    const errorFramer = new EventStreamFramer();
    const [event] = errorFramer.push(
      eventMessage({ ":message-type": "error", ":error-code": "InternalFailure", ":error-message": "boom" }, undefined),
    );
    assert.deepEqual(event, { event: "InternalFailure", data: '{"message":"boom"}', id: undefined, exception: true });
  });
});

describe("Bedrock errors", () => {
  const cases: [string, number, string, typeof APIError, number][] = [
    ["ValidationException", 400, "Malformed input request", BadRequestError, 400],
    ["ValidationException", 400, "Input is too long for requested model.", ContextWindowExceededError, 400],
    [
      "UnrecognizedClientException",
      403,
      "The security token included in the request is invalid.",
      AuthenticationError,
      401,
    ],
    [
      "AccessDeniedException",
      403,
      "You don't have access to the model with the specified model ID.",
      PermissionDeniedError,
      403,
    ],
    ["ThrottlingException", 429, "Too many requests, please wait before trying again.", RateLimitError, 429],
  ];
  for (const [type, httpStatus, message, ErrorClass, status] of cases) {
    test(`${type} (HTTP ${httpStatus}): ${ErrorClass.name} ${status} with Bedrock's message`, async () => {
      mock.enqueue((_req, res) =>
        json(
          res,
          httpStatus,
          { message },
          { "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` },
        ),
      );
      await assert.rejects(
        chatCompletion({ model: `bedrock/${MODEL_ID}`, messages: [{ role: "user", content: "hi" }], ...signed() }),
        (error: unknown) =>
          error instanceof ErrorClass &&
          (error as AuthenticationError).status === status &&
          (error as Error).message === message &&
          (error as AuthenticationError).provider === "bedrock",
      );
    });
  }

  test("the secret key and session token are scrubbed from an error that echoes them", async () => {
    mock.enqueue((_req, res) =>
      json(
        res,
        403,
        { message: `bad ${KEYS.secretAccessKey} and ${SESSION_TOKEN}` },
        { "x-amzn-errortype": "InvalidSignatureException" },
      ),
    );
    await assert.rejects(
      chatCompletion({
        model: `bedrock/${MODEL_ID}`,
        messages: [{ role: "user", content: "hi" }],
        ...signed({ aws_session_token: SESSION_TOKEN }),
      }),
      (error: unknown) => error instanceof AuthenticationError && error.message === "bad [redacted] and [redacted]",
    );
  });
});

describe("bedrock/ through the proxy with the official client", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({
      modelList: [
        {
          model_name: "claude-bedrock",
          litellm_params: {
            model: `bedrock/${MODEL_ID}`,
            api_base: mock.url,
            aws_access_key_id: KEYS.accessKeyId,
            aws_secret_access_key: KEYS.secretAccessKey,
            aws_region_name: "us-east-1",
          },
        },
      ],
    });
  });
  after(async () => {
    await gateway.close();
  });
  const client = () => new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const textAnswer = (text: string) => ({
    ...converseAnswer,
    output: { message: { role: "assistant", content: [{ text }] } },
    stopReason: "end_turn",
  });

  test("text completions: prompt arrays and n fan out to signed Converse calls; echo prefixes the prompt", async () => {
    let calls = 0;
    mock.always((_req, res) => {
      calls += 1;
      json(res, 200, textAnswer(`answer${calls}`));
    });
    const completion = await client().completions.create({
      model: "claude-bedrock",
      prompt: ["A", "B"],
      n: 2,
      echo: true,
      max_tokens: 5,
    });
    assertOpenAI("CreateCompletionResponse", JSON.parse(JSON.stringify(completion)));
    assert.equal(completion.choices.length, 4);
    assert.deepEqual(
      completion.choices.map((choice) => choice.index),
      [0, 1, 2, 3],
    );
    for (const [i, choice] of completion.choices.entries())
      assert.match(choice.text, new RegExp(`^${i < 2 ? "A" : "B"}answer\\d$`));
    assert.equal(mock.requests.length, 4);
    for (const request of mock.requests) {
      assertSigned(request);
      assert.equal(request.path, `${MODEL_PATH}/converse`);
      assert.deepEqual((request.json as { inferenceConfig: unknown }).inferenceConfig, { maxTokens: 5 });
    }
    mock.always((_req, res) => json(res, 500, { message: "no handler scripted" }));
  });

  test("chat, and a chat stream, in OpenAI's format", async () => {
    mock.enqueue((_req, res) => json(res, 200, textAnswer("hello")));
    const chat = await client().chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(chat.choices[0]?.message.content, "hello");
    assertOpenAIChat("CreateChatCompletionResponse", JSON.parse(JSON.stringify(chat)));
    mock.enqueue((_req, res) => eventStream(res, STREAM.slice(0, 3).concat(STREAM.slice(10))));
    const stream = await client().chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) {
      assertOpenAIChat("CreateChatCompletionStreamResponse", JSON.parse(JSON.stringify(chunk)));
      text += chunk.choices[0]?.delta.content ?? "";
    }
    assert.equal(text, "Hello ✓");
  });

  test("the secret key shows nowhere: not in /model/info, not in a log line", async () => {
    const info = await (await fetch(`${gateway.url}/model/info`)).text();
    assert.ok(info.includes("claude-bedrock"));
    assert.ok(!info.includes(KEYS.secretAccessKey));
    assert.ok(!gateway.rawLogs.some((line) => line.includes(KEYS.secretAccessKey)));
  });
});
