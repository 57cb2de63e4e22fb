/**
 * The nested checks of validateChatCompletion (message contents and parts, tool calls, tools,
 * tool_choice, response_format and the newer params) and the bounds both validators share
 * (the model-name length, arrays a client can make huge): for each, a valid request passes
 * as it is and an invalid one gets the exact BadRequestError.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BadRequestError } from "../../src/wire/errors.js";
import { validateChatCompletion } from "../../src/wire/validate-chat.js";
import { validateTextCompletion } from "../../src/wire/validate.js";

const HI = { role: "user", content: "hi" };
const chat = (extra: Record<string, unknown>) => ({ model: "gpt-4o", messages: [HI], ...extra });
const withContent = (content: unknown) => chat({ messages: [HI, { role: "user", content }] });
const withMessage = (message: Record<string, unknown>) => chat({ messages: [HI, HI, message] });

function rejection(validate: (body: unknown) => unknown, body: unknown): BadRequestError {
  try {
    validate(body);
  } catch (error) {
    assert.ok(error instanceof BadRequestError, `expected BadRequestError, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.equal(error.code, "invalid_value");
    return error;
  }
  assert.fail("expected the body to be rejected");
}

/** [name, body, param, message] */
type Rejected = [string, Record<string, unknown>, string, string];

function assertRejections(validate: (body: unknown) => unknown, cases: Rejected[]): void {
  for (const [name, body, param, message] of cases) {
    test(`rejects ${name}`, () => {
      const error = rejection(validate, body);
      assert.equal(error.param, param);
      assert.equal(error.message, message);
    });
  }
}

function assertAccepted(validate: (body: unknown) => unknown, cases: [string, Record<string, unknown>][]): void {
  for (const [name, body] of cases) {
    test(`accepts ${name}`, () => {
      const snapshot = structuredClone(body);
      assert.equal(validate(body), body);
      assert.deepStrictEqual(body, snapshot);
    });
  }
}

const PART = 'It must be a content part: an object with a string \'type\' such as "text" or "image_url".';

describe("chat: message contents and their parts", () => {
  assertAccepted(validateChatCompletion, [
    ["a string content", withContent("hello")],
    ["null content", withContent(null)],
    [
      "every part OpenAI defines",
      withContent([
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "low" } },
        { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
        { type: "file", file: { file_id: "file-1" } },
        { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } },
        { type: "refusal", refusal: "No." },
      ]),
    ],
    ["a part of a provider's own type (passed through)", withContent([{ type: "document", source: { data: "x" } }])],
    [
      "extra fields on a part (Anthropic's cache_control)",
      withContent([{ type: "text", text: "a", cache_control: { type: "ephemeral" } }]),
    ],
  ]);
  assertRejections(validateChatCompletion, [
    [
      "a number content",
      withContent(5),
      "messages",
      "Invalid 'messages' (at messages.1.content): got 5. It must be a string, an array of content parts, or null.",
    ],
    [
      "a part that is not an object",
      withContent(["hi"]),
      "messages",
      `Invalid 'messages' (at messages.1.content.0): got "hi". ${PART}`,
    ],
    [
      "a part without a type",
      withContent([{ text: "hi" }]),
      "messages",
      'Invalid \'messages\' (at messages.1.content.0.type): \'messages.1.content.0.type\' is required. It must be a string such as "text", "image_url", "input_audio" or "file".',
    ],
    [
      "a text part whose text is a number (the second part of the third message)",
      withMessage({
        role: "user",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: 5 },
        ],
      }),
      "messages",
      "Invalid 'messages' (at messages.2.content.1.text): got 5. It must be a string.",
    ],
    [
      "a text part without text",
      withContent([{ type: "text" }]),
      "messages",
      "Invalid 'messages' (at messages.1.content.0.text): 'messages.1.content.0.text' is required. It must be a string.",
    ],
    [
      "an image_url given as a string",
      withContent([{ type: "image_url", image_url: "https://example.com/a.png" }]),
      "messages",
      "Invalid 'messages' (at messages.1.content.0.image_url): got \"https://example.com/a.png\". It must be an object with a string 'url'.",
    ],
    [
      "an image url that is not a string",
      withContent([{ type: "image_url", image_url: { url: ["https://example.com/a.png"] } }]),
      "messages",
      "Invalid 'messages' (at messages.1.content.0.image_url.url): got [\"https://example.com/a.png\"]. It must be a string (an https: or data: URL).",
    ],
    [
      "an image detail that is not a string",
      withContent([{ type: "image_url", image_url: { url: "https://example.com/a.png", detail: 1 } }]),
      "messages",
      'Invalid \'messages\' (at messages.1.content.0.image_url.detail): got 1. It must be a string such as "auto", "low" or "high".',
    ],
    [
      "an input_audio part without input_audio",
      withContent([{ type: "input_audio" }]),
      "messages",
      "Invalid 'messages' (at messages.1.content.0.input_audio): 'messages.1.content.0.input_audio' is required. It must be an object with a string 'data' (base64 audio) and a string 'format'.",
    ],
    [
      "input_audio data that is not a string",
      withContent([{ type: "input_audio", input_audio: { data: 5, format: "wav" } }]),
      "messages",
      "Invalid 'messages' (at messages.1.content.0.input_audio.data): got 5. It must be a string of base64-encoded audio.",
    ],
    [
      "an input_audio format that is not a string",
      withContent([{ type: "input_audio", input_audio: { data: "UklGRg==", format: null } }]),
      "messages",
      'Invalid \'messages\' (at messages.1.content.0.input_audio.format): got null. It must be a string such as "wav" or "mp3".',
    ],
    [
      "a file part whose file is not an object",
      withContent([{ type: "file", file: "file-1" }]),
      "messages",
      "Invalid 'messages' (at messages.1.content.0.file): got \"file-1\". It must be an object with a string 'file_id' or 'file_data', and optionally a string 'filename'.",
    ],
    [
      "a file id that is not a string",
      withContent([{ type: "file", file: { file_id: 7 } }]),
      "messages",
      "Invalid 'messages' (at messages.1.content.0.file.file_id): got 7. It must be a string.",
    ],
    [
      "a refusal part whose refusal is not a string",
      withContent([{ type: "refusal", refusal: false }]),
      "messages",
      "Invalid 'messages' (at messages.1.content.0.refusal): got false. It must be a string.",
    ],
  ]);
});

describe("chat: message fields", () => {
  const TOOL_CALL = {
    id: "call_1",
    type: "function",
    function: { name: "get_weather", arguments: '{"city":"Paris"}' },
  };
  assertAccepted(validateChatCompletion, [
    [
      "an assistant turn with tool calls, then the tool's answer",
      chat({
        messages: [
          HI,
          { role: "assistant", content: null, tool_calls: [TOOL_CALL] },
          { role: "tool", tool_call_id: "call_1", content: "18 C" },
        ],
      }),
    ],
    [
      "an assistant message sent back as OpenAI's SDKs write it (absent fields as null)",
      chat({
        messages: [
          HI,
          {
            role: "assistant",
            content: "hi",
            refusal: null,
            tool_calls: null,
            function_call: null,
            audio: null,
            name: null,
          },
        ],
      }),
    ],
    ["a name", chat({ messages: [{ role: "user", content: "hi", name: "ann" }] })],
  ]);
  assertRejections(validateChatCompletion, [
    [
      "a name that is not a string",
      withMessage({ role: "user", content: "hi", name: 5 }),
      "messages",
      "Invalid 'messages' (at messages.2.name): got 5. It must be a string.",
    ],
    [
      "a tool_call_id that is not a string",
      withMessage({ role: "tool", content: "18 C", tool_call_id: ["call_1"] }),
      "messages",
      "Invalid 'messages' (at messages.2.tool_call_id): got [\"call_1\"]. It must be a string.",
    ],
    [
      "a refusal that is not a string",
      withMessage({ role: "assistant", content: null, refusal: 1 }),
      "messages",
      "Invalid 'messages' (at messages.2.refusal): got 1. It must be a string or null.",
    ],
    [
      "tool_calls that are not an array",
      withMessage({ role: "assistant", tool_calls: TOOL_CALL }),
      "messages",
      'Invalid \'messages\' (at messages.2.tool_calls): got {"id":"call_1","type":"function","function":{"name":"get_weather","arguments".... It must be an array of tool calls, or null.',
    ],
    [
      "a tool call of another type",
      withMessage({ role: "assistant", tool_calls: [{ ...TOOL_CALL, type: "custom" }] }),
      "messages",
      'Invalid \'messages\' (at messages.2.tool_calls.0): got {"id":"call_1","type":"custom","function":{"name":"get_weather","arguments":".... It must be a tool call: {"id": ..., "type": "function", "function": {"name": ..., "arguments": ...}}.',
    ],
    [
      "a tool call without an id",
      withMessage({ role: "assistant", tool_calls: [{ type: "function", function: TOOL_CALL.function }] }),
      "messages",
      "Invalid 'messages' (at messages.2.tool_calls.0.id): 'messages.2.tool_calls.0.id' is required. It must be a string.",
    ],
    [
      "tool call arguments given as an object",
      withMessage({
        role: "assistant",
        tool_calls: [TOOL_CALL, { ...TOOL_CALL, function: { name: "f", arguments: { city: "Paris" } } }],
      }),
      "messages",
      'Invalid \'messages\' (at messages.2.tool_calls.1.function.arguments): got {"city":"Paris"}. It must be a string (the arguments as JSON text).',
    ],
    [
      "a function_call without arguments",
      withMessage({ role: "assistant", function_call: { name: "f" } }),
      "messages",
      "Invalid 'messages' (at messages.2.function_call): got {\"name\":\"f\"}. It must be an object with a string 'name' and a string 'arguments', or null.",
    ],
    [
      "an audio reference without an id",
      withMessage({ role: "assistant", audio: {} }),
      "messages",
      "Invalid 'messages' (at messages.2.audio): got {}. It must be an object with a string 'id', or null.",
    ],
  ]);
});

describe("chat: tools and tool_choice", () => {
  const TOOL = {
    type: "function",
    function: {
      name: "get_weather",
      description: "Weather now",
      parameters: { type: "object", properties: {} },
      strict: true,
    },
  };
  assertAccepted(validateChatCompletion, [
    ["a full function tool", chat({ tools: [TOOL] })],
    [
      "a tool with only a name, strict null",
      chat({ tools: [{ type: "function", function: { name: "now", strict: null } }] }),
    ],
    ["every tool_choice string", chat({ tools: [TOOL], tool_choice: "required" })],
    [
      "a named tool_choice",
      chat({ tools: [TOOL], tool_choice: { type: "function", function: { name: "get_weather" } } }),
    ],
  ]);
  const TOOL_RULE = 'It must be a tool: {"type": "function", "function": {"name": ...}}.';
  assertRejections(validateChatCompletion, [
    [
      "a tool of another type",
      chat({ tools: [TOOL, { type: "custom", custom: { name: "x" } }] }),
      "tools",
      `Invalid 'tools' (at tools.1): got {"type":"custom","custom":{"name":"x"}}. ${TOOL_RULE}`,
    ],
    [
      "a tool without its function",
      chat({ tools: [{ type: "function" }] }),
      "tools",
      `Invalid 'tools' (at tools.0): got {"type":"function"}. ${TOOL_RULE}`,
    ],
    [
      "an empty function name",
      chat({ tools: [{ type: "function", function: { name: "" } }] }),
      "tools",
      "Invalid 'tools' (at tools.0.function.name): got \"\". It must be a non-empty string.",
    ],
    [
      "a description that is not a string",
      chat({ tools: [{ type: "function", function: { name: "f", description: ["a"] } }] }),
      "tools",
      "Invalid 'tools' (at tools.0.function.description): got [\"a\"]. It must be a string.",
    ],
    [
      "parameters given as an array",
      chat({ tools: [{ type: "function", function: { name: "f", parameters: [] } }] }),
      "tools",
      "Invalid 'tools' (at tools.0.function.parameters): got []. It must be an object (a JSON Schema).",
    ],
    [
      "strict given as a string",
      chat({ tools: [{ type: "function", function: { name: "f", strict: "yes" } }] }),
      "tools",
      "Invalid 'tools' (at tools.0.function.strict): got \"yes\". It must be a boolean or null.",
    ],
    [
      "an unknown tool_choice string",
      chat({ tool_choice: "any" }),
      "tool_choice",
      'Invalid \'tool_choice\': got "any". It must be "none", "auto", "required" or {"type": "function", "function": {"name": ...}}.',
    ],
    [
      "a named tool_choice without its name",
      chat({ tool_choice: { type: "function", function: {} } }),
      "tool_choice",
      "Invalid 'tool_choice' (at tool_choice.function.name): 'tool_choice.function.name' is required. It must be a string.",
    ],
  ]);
});

describe("chat: response_format", () => {
  assertAccepted(validateChatCompletion, [
    ["text", chat({ response_format: { type: "text" } })],
    ["json_object", chat({ response_format: { type: "json_object" } })],
    [
      "json_schema with its json_schema object",
      chat({
        response_format: {
          type: "json_schema",
          json_schema: { name: "age", description: "An age", schema: { type: "object" }, strict: true },
        },
      }),
    ],
  ]);
  assertRejections(validateChatCompletion, [
    [
      "an unknown type",
      chat({ response_format: { type: "xml" } }),
      "response_format",
      'Invalid \'response_format\' (at response_format.type): got "xml". It must be "text", "json_object" or "json_schema".',
    ],
    [
      "a string",
      chat({ response_format: "json" }),
      "response_format",
      'Invalid \'response_format\': got "json". It must be {"type": "text"}, {"type": "json_object"} or {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}.',
    ],
    [
      "json_schema without its json_schema object",
      chat({ response_format: { type: "json_schema" } }),
      "response_format",
      "Invalid 'response_format' (at response_format.json_schema): 'response_format.json_schema' is required. It must be an object with a string 'name' and a 'schema' object.",
    ],
    [
      "a json_schema name that is not a string",
      chat({ response_format: { type: "json_schema", json_schema: { name: 1, schema: {} } } }),
      "response_format",
      "Invalid 'response_format' (at response_format.json_schema.name): got 1. It must be a string.",
    ],
    [
      "a schema that is not an object",
      chat({ response_format: { type: "json_schema", json_schema: { name: "a", schema: "{}" } } }),
      "response_format",
      "Invalid 'response_format' (at response_format.json_schema.schema): got \"{}\". It must be an object (a JSON Schema).",
    ],
    [
      "strict that is not a boolean",
      chat({ response_format: { type: "json_schema", json_schema: { name: "a", strict: 1 } } }),
      "response_format",
      "Invalid 'response_format' (at response_format.json_schema.strict): got 1. It must be a boolean or null.",
    ],
  ]);
});

describe("chat: stream_options, logit_bias and the newer params", () => {
  assertAccepted(validateChatCompletion, [
    [
      "stream_options with both booleans",
      chat({ stream: true, stream_options: { include_usage: false, include_obfuscation: true } }),
    ],
    ["logit_bias", chat({ logit_bias: { "50256": -100, "1": 2.5 } })],
    [
      "the newer params with their types",
      chat({
        audio: { voice: "alloy", format: "wav" },
        modalities: ["text", "audio"],
        prediction: { type: "content", content: [{ type: "text", text: "draft" }] },
        reasoning_effort: "minimal",
        service_tier: "auto",
        verbosity: "low",
        store: false,
        prompt_cache_key: "k",
        safety_identifier: "user-1",
        web_search_options: { search_context_size: "low" },
        functions: [{ name: "f", parameters: {} }],
        function_call: { name: "f" },
        metadata: { tags: ["a"], nested: { litellm: true } },
      }),
    ],
    [
      "the newer params as null",
      chat({ audio: null, modalities: null, prediction: null, reasoning_effort: null, store: null, verbosity: null }),
    ],
  ]);
  const OPTIONS = 'It must be an object such as {"include_usage": true}.';
  assertRejections(validateChatCompletion, [
    [
      'include_usage "yes"',
      chat({ stream: true, stream_options: { include_usage: "yes" } }),
      "stream_options",
      `Invalid 'stream_options' (at stream_options.include_usage): got {"include_usage":"yes"}. ${OPTIONS}`,
    ],
    [
      "include_usage null",
      chat({ stream: true, stream_options: { include_usage: null } }),
      "stream_options",
      `Invalid 'stream_options' (at stream_options.include_usage): got {"include_usage":null}. ${OPTIONS}`,
    ],
    [
      "include_obfuscation 1",
      chat({ stream_options: { include_obfuscation: 1 } }),
      "stream_options",
      `Invalid 'stream_options' (at stream_options.include_obfuscation): got {"include_obfuscation":1}. ${OPTIONS}`,
    ],
    [
      "a logit_bias value that is a string",
      chat({ logit_bias: { "1": "5" } }),
      "logit_bias",
      'Invalid \'logit_bias\': got {"1":"5"}. It must be an object mapping token ids (strings of digits) to numbers from -100 to 100.',
    ],
    [
      "audio without a format",
      chat({ audio: { voice: "alloy" } }),
      "audio",
      "Invalid 'audio' (at audio.format): got {\"voice\":\"alloy\"}. It must be an object with a 'voice' and a 'format', or null.",
    ],
    [
      "modalities with a number",
      chat({ modalities: ["text", 1] }),
      "modalities",
      'Invalid \'modalities\' (at modalities.1): got ["text",1]. It must be an array of strings such as ["text"] or ["text", "audio"], or null.',
    ],
    [
      "prediction content with a bad part",
      chat({ prediction: { type: "content", content: [{ type: "text", text: 1 }] } }),
      "prediction",
      'Invalid \'prediction\' (at prediction.content): got [{"type":"text","text":1}]. It must be a string or an array of text parts.',
    ],
    [
      "reasoning_effort as a number",
      chat({ reasoning_effort: 2 }),
      "reasoning_effort",
      'Invalid \'reasoning_effort\': got 2. It must be a string such as "low", "medium" or "high", or null.',
    ],
    [
      "store as a string",
      chat({ store: "true" }),
      "store",
      "Invalid 'store': got \"true\". It must be a boolean or null.",
    ],
    [
      "web_search_options as an array",
      chat({ web_search_options: [] }),
      "web_search_options",
      "Invalid 'web_search_options': got []. It must be an object.",
    ],
    [
      "a function without a name",
      chat({ functions: [{ parameters: {} }] }),
      "functions",
      "Invalid 'functions' (at functions.0.name): 'functions.0.name' is required. It must be a string.",
    ],
    [
      'function_call "any"',
      chat({ function_call: "any" }),
      "function_call",
      'Invalid \'function_call\': got "any". It must be "none", "auto" or {"name": ...}.',
    ],
  ]);
});

describe("both validators: the model-name bound", () => {
  const long = "m".repeat(257);
  const cut = `"${"m".repeat(76)}...`;
  const message = `Invalid 'model': got a name of 257 characters, ${cut}. It must be a model name of at most 256 characters.`;
  assertAccepted(validateTextCompletion, [["a 256-character model name", { model: "m".repeat(256), prompt: "hi" }]]);
  assertAccepted(validateChatCompletion, [["a 256-character model name", chat({ model: "m".repeat(256) })]]);
  assertRejections(validateTextCompletion, [
    ["a 257-character model name", { model: long, prompt: "hi" }, "model", message],
  ]);
  assertRejections(validateChatCompletion, [["a 257-character model name", chat({ model: long }), "model", message]]);
  assertRejections(validateTextCompletion, [
    [
      "a 5 MB model name, quoted in 80 characters",
      { model: "m".repeat(5 * 1024 * 1024), prompt: "hi" },
      "model",
      `Invalid 'model': got a name of 5242880 characters, ${cut}. It must be a model name of at most 256 characters.`,
    ],
  ]);
});

describe("text: stream_options.include_obfuscation and huge arrays", () => {
  assertRejections(validateTextCompletion, [
    [
      "include_obfuscation as a string",
      { model: "m", prompt: "hi", stream_options: { include_obfuscation: "yes" } },
      "stream_options",
      'Invalid \'stream_options\': got {"include_obfuscation":"yes"}. It must be an object such as {"include_usage": true}.',
    ],
  ]);

  test("a million-item prompt with one bad token at the end is refused in one quick pass", () => {
    const prompt: number[] = Array.from({ length: 1_000_000 }, () => 1);
    prompt.push(-1);
    const started = performance.now();
    const error = rejection(validateTextCompletion, { model: "m", prompt });
    assert.equal(error.param, "prompt");
    // zod's union over four shapes took seconds here and ran out of memory on larger arrays.
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
  });

  test("a million-string stop is refused by its length, and a million messages by their first bad one", () => {
    assert.equal(
      rejection(validateTextCompletion, {
        model: "m",
        prompt: "hi",
        stop: Array.from({ length: 1_000_000 }, () => "x"),
      }).param,
      "stop",
    );
    const error = rejection(validateChatCompletion, {
      model: "m",
      messages: Array.from({ length: 1_000_000 }, () => 5),
    });
    assert.equal(
      error.message,
      "Invalid 'messages' (at messages.0): got [5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,.... It must be a non-empty array of messages, each an object with a 'role' of system, developer, user, assistant or tool.",
    );
  });
});
