/**
 * Property: every invalid body, on every route that takes one, is answered with a 4xx in
 * OpenAI's error JSON of bounded size, and nothing reaches the upstream. fast-check builds the
 * bodies: wrong types for every known param (nested ones too), JSON nested up to 100,000
 * levels, huge strings and arrays, non-object JSON, text that is not JSON, wrong content
 * types, model names of 5 MB. Run on a gateway with a master key and an SQLite store (usage
 * counting on, spend recorded) and on an open one.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { newTeamBody, newUserBody, updateTeamBody, updateUserBody } from "../../src/proxy/management/bodies.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { chatAnswer, completionAnswer } from "../helpers/fixtures.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { MASTER_KEY } from "../helpers/keys.js";
import { json, MockUpstream } from "../helpers/mock-upstream.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";

/** Bodies per gateway, sent by this many concurrent senders. */
const BODIES = { counting: 10_000, open: 3_000 };
const SENDERS = 4;

// ---------------------------------------------------------------- values of the wrong type

type Kind = "string" | "integer" | "number" | "boolean" | "null" | "array" | "object";
const KINDS: Kind[] = ["string", "integer", "number", "boolean", "null", "array", "object"];
const SAMPLE: Record<Kind, fc.Arbitrary<unknown>> = {
  string: fc.oneof(fc.string({ maxLength: 12 }), fc.string({ maxLength: 6, unit: "binary" })),
  integer: fc.integer(),
  number: fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
  boolean: fc.boolean(),
  null: fc.constant(null),
  array: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constant(null)), { maxLength: 3 }),
  object: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), {
    maxKeys: 2,
  }),
};

/** A value of none of the `allowed` kinds (a "number" allows integers too). */
function wrong(...allowed: Kind[]): fc.Arbitrary<unknown> {
  const excluded = new Set<Kind>(allowed);
  if (excluded.has("number")) excluded.add("integer");
  return fc.oneof(...KINDS.filter((kind) => !excluded.has(kind)).map((kind) => SAMPLE[kind]));
}

/** A number outside [min, max], as the client sends it: -0 is written "0", which is inside. */
const outside = (min: number, max: number) =>
  fc
    .oneof(
      fc.double({ min: max, max: 1e12, minExcluded: true, noNaN: true }),
      fc.double({ min: -1e12, max: min, maxExcluded: true, noNaN: true }),
    )
    .filter((value) => {
      const sent = Number(JSON.stringify(value));
      return sent < min || sent > max;
    });
const intOutside = (min: number, max: number) => fc.oneof(fc.integer({ min: max + 1 }), fc.integer({ max: min - 1 }));
const longString = (min: number) => fc.nat(300).map((extra) => "l".repeat(min + extra));

// ---------------------------------------------------------------- completions

const badModel = fc.oneof(
  wrong("string"),
  fc.constant(""),
  longString(257),
  fc.string({ minLength: 1, maxLength: 30 }).map((name) => `unknown-${name}`),
);
const badStop = fc.oneof(
  wrong("string", "array", "null"),
  fc.constantFrom([], [1], [null], ["a", "b", "c", "d", "e"], [["a"]], [{}]),
);
const badLogitBias = fc.oneof(
  wrong("object", "null"),
  fc.constantFrom({ abc: 1 }, { "1": 101 }, { "1": -101 }, { "1": "5" }, { "1": null }, { "-1": 1 }, { "1.5": 1 }),
);
const badStreamOptions = fc.oneof(
  wrong("object", "null"),
  wrong("boolean").map((include_usage) => ({ include_usage })),
  wrong("boolean").map((include_obfuscation) => ({ include_obfuscation })),
);
const penalty = fc.oneof(wrong("number", "null"), outside(-2, 2));

const TEXT_INVALID: Record<string, fc.Arbitrary<unknown>> = {
  model: badModel,
  prompt: fc.oneof(
    wrong("string", "array"),
    fc.constantFrom([], [1, "a"], [-1], [1.5], [[]], [[-1]], ["a", [1]], [null], [{}], [true], [[1], []]),
  ),
  best_of: fc.oneof(wrong("integer", "null"), intOutside(0, 20)),
  echo: wrong("boolean", "null"),
  frequency_penalty: penalty,
  presence_penalty: penalty,
  logit_bias: badLogitBias,
  logprobs: fc.oneof(wrong("integer", "null"), intOutside(0, 5)),
  max_tokens: fc.oneof(wrong("integer", "null"), fc.integer({ max: -1 })),
  n: fc.oneof(wrong("integer", "null"), intOutside(1, 128)),
  seed: wrong("integer", "null"),
  stop: badStop,
  stream: wrong("boolean", "null"),
  stream_options: badStreamOptions,
  suffix: wrong("string", "null"),
  temperature: fc.oneof(wrong("number", "null"), outside(0, 2)),
  top_p: fc.oneof(wrong("number", "null"), outside(0, 1)),
  user: wrong("string"),
};

const TOOL_CALL = { id: "call_1", type: "function", function: { name: "f", arguments: "{}" } };
const VALID_MESSAGES = [
  { role: "user", content: "hi" },
  { role: "system", content: "Be brief." },
  { role: "assistant", content: null, tool_calls: [TOOL_CALL] },
  { role: "tool", tool_call_id: "call_1", content: "ok" },
  {
    role: "user",
    content: [
      { type: "text", text: "a" },
      { type: "image_url", image_url: { url: "https://example.com/a.png" } },
    ],
  },
];

const badPart = fc.oneof(
  wrong("object"),
  fc.oneof(wrong("string"), fc.constant(undefined)).map((type) => ({ type, text: "x" })),
  fc.oneof(wrong("string"), fc.constant(undefined)).map((text) => ({ type: "text", text })),
  wrong("object").map((image_url) => ({ type: "image_url", image_url })),
  fc.oneof(wrong("string"), fc.constant(undefined)).map((url) => ({ type: "image_url", image_url: { url } })),
  wrong("string").map((detail) => ({ type: "image_url", image_url: { url: "https://example.com/a.png", detail } })),
  wrong("object").map((input_audio) => ({ type: "input_audio", input_audio })),
  wrong("string").map((data) => ({ type: "input_audio", input_audio: { data, format: "wav" } })),
  wrong("string").map((format) => ({ type: "input_audio", input_audio: { data: "AA==", format } })),
  wrong("object").map((file) => ({ type: "file", file })),
  fc
    .tuple(fc.constantFrom("file_id", "file_data", "filename"), wrong("string"))
    .map(([field, value]) => ({ type: "file", file: { [field]: value } })),
  wrong("string").map((refusal) => ({ type: "refusal", refusal })),
);
const badToolCall = fc.oneof(
  wrong("object"),
  fc.constant({ type: "function", function: TOOL_CALL.function }),
  wrong("string").map((id) => ({ ...TOOL_CALL, id })),
  fc.oneof(wrong("string"), fc.constant("custom")).map((type) => ({ ...TOOL_CALL, type })),
  wrong("object").map((fn) => ({ ...TOOL_CALL, function: fn })),
  wrong("string").map((name) => ({ ...TOOL_CALL, function: { name, arguments: "{}" } })),
  wrong("string").map((args) => ({ ...TOOL_CALL, function: { name: "f", arguments: args } })),
);
const badMessage = fc.oneof(
  wrong("object"),
  fc.constant({ content: "hi" }),
  fc.oneof(wrong("string"), fc.constantFrom("bogus", "USER", "")).map((role) => ({ role, content: "hi" })),
  wrong("string", "array", "null").map((content) => ({ role: "user", content })),
  fc
    .tuple(fc.subarray(VALID_MESSAGES[4]?.content as unknown[]), badPart)
    .map(([good, bad]) => ({ role: "user", content: [...good, bad] })),
  wrong("string", "null").map((name) => ({ role: "user", content: "hi", name })),
  wrong("string", "null").map((tool_call_id) => ({ role: "tool", content: "ok", tool_call_id })),
  wrong("string", "null").map((refusal) => ({ role: "assistant", content: "x", refusal })),
  fc
    .oneof(
      wrong("array", "null"),
      badToolCall.map((call) => [TOOL_CALL, call]),
    )
    .map((tool_calls) => ({ role: "assistant", content: null, tool_calls })),
  fc
    .oneof(
      wrong("object", "null"),
      fc.constant({ name: "f" }),
      wrong("string").map((args) => ({ name: "f", arguments: args })),
    )
    .map((function_call) => ({ role: "assistant", function_call })),
  fc.oneof(wrong("object", "null"), fc.constant({})).map((audio) => ({ role: "assistant", audio })),
);
const TOOL = { type: "function", function: { name: "f", parameters: { type: "object" } } };
const badTool = fc.oneof(
  wrong("object"),
  fc.constantFrom({ type: "custom", custom: { name: "x" } }, { type: "function" }),
  wrong("string").map((type) => ({ type, function: { name: "f" } })),
  wrong("object").map((fn) => ({ type: "function", function: fn })),
  fc.oneof(wrong("string"), fc.constant("")).map((name) => ({ type: "function", function: { name } })),
  wrong("string").map((description) => ({ type: "function", function: { name: "f", description } })),
  wrong("object").map((parameters) => ({ type: "function", function: { name: "f", parameters } })),
  wrong("boolean", "null").map((strict) => ({ type: "function", function: { name: "f", strict } })),
);
const nullableString = wrong("string", "null");

const CHAT_INVALID: Record<string, fc.Arbitrary<unknown>> = {
  model: badModel,
  messages: fc.oneof(
    wrong("array"),
    fc.constant([]),
    fc
      .tuple(fc.subarray(VALID_MESSAGES), badMessage, fc.subarray(VALID_MESSAGES))
      .map(([before, bad, after]) => [...before, bad, ...after]),
  ),
  frequency_penalty: penalty,
  presence_penalty: penalty,
  logit_bias: badLogitBias,
  logprobs: wrong("boolean", "null"),
  // 0 to 20 is in range, but needs logprobs: true, which these bodies never set.
  top_logprobs: fc.oneof(wrong("integer", "null"), fc.integer()),
  max_tokens: fc.oneof(wrong("integer", "null"), fc.integer({ max: 0 })),
  max_completion_tokens: fc.oneof(wrong("integer", "null"), fc.integer({ max: 0 })),
  n: fc.oneof(wrong("integer", "null"), intOutside(1, 128)),
  seed: wrong("integer", "null"),
  stop: badStop,
  stream: wrong("boolean", "null"),
  stream_options: badStreamOptions,
  temperature: fc.oneof(wrong("number", "null"), outside(0, 2)),
  top_p: fc.oneof(wrong("number", "null"), outside(0, 1)),
  tools: fc.oneof(
    wrong("array"),
    badTool.map((bad) => [TOOL, bad]),
  ),
  tool_choice: fc.oneof(
    wrong("string", "object"),
    fc.constantFrom("any", "None", "", { type: "function" }, { type: "allowed_tools", function: { name: "f" } }),
    wrong("string").map((name) => ({ type: "function", function: { name } })),
    wrong("object").map((fn) => ({ type: "function", function: fn })),
  ),
  parallel_tool_calls: wrong("boolean"),
  response_format: fc.oneof(
    wrong("object"),
    fc.constantFrom({ type: "xml" }, {}, { type: "json_schema" }),
    wrong("string").map((type) => ({ type })),
    wrong("object").map((schema) => ({ type: "json_schema", json_schema: schema })),
    wrong("string").map((name) => ({ type: "json_schema", json_schema: { name } })),
    wrong("object").map((schema) => ({ type: "json_schema", json_schema: { name: "a", schema } })),
    wrong("boolean", "null").map((strict) => ({ type: "json_schema", json_schema: { name: "a", strict } })),
  ),
  user: wrong("string"),
  audio: fc.oneof(
    wrong("object", "null"),
    fc.constant({ voice: "alloy" }),
    wrong("string", "object").map((voice) => ({ voice, format: "wav" })),
    wrong("string").map((format) => ({ voice: "alloy", format })),
  ),
  modalities: fc.oneof(
    wrong("array", "null"),
    wrong("string").map((modality) => ["text", modality]),
  ),
  prediction: fc.oneof(
    wrong("object", "null"),
    fc.constantFrom({ type: "content" }, { type: "x", content: "a" }),
    wrong("string", "array").map((content) => ({ type: "content", content })),
  ),
  reasoning_effort: nullableString,
  service_tier: nullableString,
  verbosity: nullableString,
  prompt_cache_key: nullableString,
  safety_identifier: nullableString,
  store: wrong("boolean", "null"),
  web_search_options: wrong("object"),
  functions: fc.oneof(
    wrong("array"),
    wrong("string").map((name) => [{ name }]),
  ),
  function_call: fc.oneof(
    wrong("string", "object"),
    fc.constant("any"),
    wrong("string").map((name) => ({ name })),
  ),
};

// ---------------------------------------------------------------- the Responses API

const badResponsePart = fc.oneof(
  wrong("object"),
  fc.constantFrom({}, { type: "bogus" }, { type: "input_image", image_url: 5 }),
  wrong("string").map((text) => ({ type: "input_text", text })),
);
const badItem = fc.oneof(
  wrong("object"),
  fc.constantFrom({ role: "user" }, { content: "hi" }, { type: "function_call", name: "f", arguments: "{}" }),
  fc.oneof(wrong("string"), fc.constantFrom("bogus", "tool", "")).map((role) => ({ role, content: "hi" })),
  wrong("string", "array").map((content) => ({ role: "user", content })),
  badResponsePart.map((part) => ({ role: "user", content: [{ type: "input_text", text: "a" }, part] })),
  wrong("string").map((type) => ({ type, role: "user", content: "hi" })),
  wrong("string").map((call_id) => ({ type: "function_call", call_id, name: "f", arguments: "{}" })),
  wrong("string").map((args) => ({ type: "function_call", call_id: "c", name: "f", arguments: args })),
  wrong("string", "array").map((output) => ({ type: "function_call_output", call_id: "c", output })),
);
const badResponseTool = fc.oneof(
  wrong("object"),
  fc.constantFrom({ type: "function" }, { type: "function", name: "" }, {}),
  wrong("string").map((type) => ({ type, name: "f" })),
  wrong("object", "null").map((parameters) => ({ type: "function", name: "f", parameters })),
  wrong("boolean", "null").map((strict) => ({ type: "function", name: "f", strict })),
);

const RESPONSES_INVALID: Record<string, fc.Arbitrary<unknown>> = {
  model: badModel,
  input: fc.oneof(
    wrong("string", "array", "null"),
    badItem.map((bad) => [{ role: "user", content: "hi" }, bad]),
  ),
  instructions: nullableString,
  tools: fc.oneof(
    wrong("array", "null"),
    badResponseTool.map((bad) => [{ type: "function", name: "f" }, bad]),
  ),
  tool_choice: fc.oneof(wrong("string", "object", "null"), fc.constantFrom("any", "", {}, { type: 5 })),
  text: fc.oneof(
    wrong("object", "null"),
    wrong("object", "null").map((format) => ({ format })),
    fc.constantFrom({ format: { type: "xml" } }, { format: { type: "json_schema" } }),
    wrong("object").map((schema) => ({ format: { type: "json_schema", name: "a", schema } })),
  ),
  max_output_tokens: fc.oneof(wrong("integer", "null"), fc.integer({ max: 0 })),
  temperature: fc.oneof(wrong("number", "null"), outside(0, 2)),
  top_p: fc.oneof(wrong("number", "null"), outside(0, 1)),
  reasoning: fc.oneof(
    wrong("object", "null"),
    wrong("string", "null").map((effort) => ({ effort })),
  ),
  metadata: fc.oneof(
    wrong("object", "null"),
    wrong("string").map((value) => ({ a: value })),
  ),
  user: nullableString,
  parallel_tool_calls: wrong("boolean", "null"),
  store: wrong("boolean", "null"),
  previous_response_id: fc.oneof(wrong("string", "null"), fc.constant("")),
  stream: wrong("boolean", "null"),
};

const RESPONSES_FILLER = fc.subarray<Entry>([
  ["stream", true],
  ["top_k", 40],
  ["include", ["reasoning.encrypted_content"]],
  ["extra_body", { a: [1, { b: null }] }],
]);

// ---------------------------------------------------------------- management

const KEY_FIELDS = [
  "models",
  "max_budget",
  "budget_duration",
  "metadata",
  "rpm_limit",
  "tpm_limit",
  "max_parallel_requests",
  "duration",
  "expires",
  "key_alias",
  "user_id",
  "team_id",
  "blocked",
];
const BUDGET_FIELDS = ["models", "max_budget", "budget_duration", "metadata"];

interface ManagementRoute {
  fields: string[];
  /** The fields the route requires, with valid values (invalid bodies add a bad field to them). */
  base: Record<string, unknown>;
  /** user_id and team_id may be null (on keys). */
  nullableIds?: boolean;
  /** Every field the route takes, checked or not (LiteLLM's fields it accepts and ignores): never "unknown". */
  accepts?: readonly string[];
}

const USER_FIELDS = [
  ...BUDGET_FIELDS,
  "user_id",
  "user_email",
  "user_role",
  "rpm_limit",
  "tpm_limit",
  "max_parallel_requests",
];
const TEAM_FIELDS = [...BUDGET_FIELDS, "team_id", "team_alias", "blocked", "rpm_limit", "tpm_limit"];

const MANAGEMENT: Record<string, ManagementRoute> = {
  "/key/generate": { fields: KEY_FIELDS, base: {}, nullableIds: true },
  "/key/update": { fields: [...KEY_FIELDS, "key"], base: { key: "sk-no-such-key" }, nullableIds: true },
  "/key/delete": { fields: ["keys"], base: { keys: ["sk-no-such-key"] } },
  "/key/regenerate": { fields: ["key"], base: { key: "sk-no-such-key" } },
  "/key/block": { fields: ["key"], base: { key: "sk-no-such-key" } },
  "/key/unblock": { fields: ["key"], base: { key: "sk-no-such-key" } },
  "/user/new": {
    fields: [...USER_FIELDS, "auto_create_key", "duration"],
    base: {},
    accepts: Object.keys(newUserBody.shape),
  },
  "/user/update": {
    fields: USER_FIELDS,
    base: { user_id: "no-such-user" },
    accepts: Object.keys(updateUserBody.shape),
  },
  "/team/new": { fields: TEAM_FIELDS, base: {}, accepts: Object.keys(newTeamBody.shape) },
  "/team/update": {
    fields: TEAM_FIELDS,
    base: { team_id: "no-such-team" },
    accepts: Object.keys(updateTeamBody.shape),
  },
};

function managementInvalid(route: ManagementRoute): Record<string, fc.Arbitrary<unknown>> {
  const badId = fc.oneof(
    route.nullableIds === true ? wrong("string", "null") : wrong("string"),
    fc.constant(""),
    longString(257),
  );
  const badLimit = fc.oneof(wrong("integer", "null"), fc.integer({ max: -1 }));
  const badDuration = fc.oneof(wrong("string", "null"), fc.constantFrom("30x", "abc", "999999999d"));
  const badName = fc.oneof(wrong("string", "null"), longString(257));
  const all: Record<string, fc.Arbitrary<unknown>> = {
    key: fc.oneof(wrong("string"), fc.constant(""), longString(257)),
    keys: fc.oneof(
      wrong("array"),
      fc.constant([]),
      fc.oneof(wrong("string"), fc.constant("")).map((key) => ["sk-a", key]),
    ),
    models: fc.oneof(
      wrong("array"),
      fc.oneof(wrong("string"), fc.constant("")).map((model) => ["gpt-instruct", model]),
    ),
    max_budget: fc.oneof(wrong("number", "null"), fc.double({ max: -0.001, noNaN: true, noDefaultInfinity: true })),
    budget_duration: badDuration,
    duration: badDuration,
    expires: fc.oneof(wrong("string", "null"), fc.constantFrom("tomorrow", "31/01/2027")),
    rpm_limit: badLimit,
    tpm_limit: badLimit,
    max_parallel_requests: badLimit,
    key_alias: badName,
    team_alias: badName,
    user_id: badId,
    team_id: badId,
    metadata: wrong("object"),
    blocked: wrong("boolean"),
    auto_create_key: wrong("boolean"),
    user_email: fc.oneof(wrong("string", "null"), fc.constant("")),
    user_role: fc.oneof(wrong("string", "null"), fc.constantFrom("admin", "owner")),
  };
  return Object.fromEntries(route.fields.map((field) => [field, all[field] as fc.Arbitrary<unknown>]));
}

// ---------------------------------------------------------------- bodies and cases

interface Case {
  path: string;
  body: string | Uint8Array;
  /** undefined: no Content-Type header at all. */
  contentType: string | undefined;
  label: string;
}

type Entry = [key: string, value: unknown];

/** A JSON object from entries in order (a later entry wins, as JSON.parse reads it); undefined values are left out. */
function objectText(entries: Entry[]): string {
  return `{${entries
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`)
    .join(",")}}`;
}

interface Family {
  kind: "text" | "chat" | "responses" | "management";
  /** A valid body for the route, as entries. */
  base: Entry[];
  /** Params and how to make each invalid. */
  invalid: Record<string, fc.Arbitrary<unknown>>;
  /** Params a valid body may also carry (unknown ones included). */
  filler: fc.Arbitrary<Entry[]>;
  /** The route takes the model from its path (the body's model is overwritten). */
  pathModel: boolean;
  /** Field names the route takes without checking them: not "unknown". */
  accepted?: readonly string[];
}

const COMPLETION_FILLER = fc.subarray<Entry>([
  ["stream", true],
  ["top_k", 40],
  ["metadata", { tags: ["fuzz"] }],
  ["extra_body", { a: [1, { b: null }] }],
]);

function familyOf(path: string): Family {
  const management = MANAGEMENT[path];
  if (management !== undefined) {
    return {
      kind: "management",
      base: Object.entries(management.base),
      invalid: managementInvalid(management),
      accepted: management.accepts ?? [],
      filler: fc.constant([]),
      pathModel: false,
    };
  }
  const pathModel = path.startsWith("/engines/") || path.startsWith("/openai/");
  if (path.endsWith("/responses")) {
    return {
      kind: "responses",
      base: [
        ["model", "chat-model"],
        ["input", "hi"],
      ],
      invalid: RESPONSES_INVALID,
      filler: RESPONSES_FILLER,
      pathModel: false,
    };
  }
  if (path.endsWith("/chat/completions")) {
    return {
      kind: "chat",
      base: [
        ["model", "chat-model"],
        ["messages", [{ role: "user", content: "hi" }]],
      ],
      invalid: CHAT_INVALID,
      filler: COMPLETION_FILLER,
      pathModel,
    };
  }
  return {
    kind: "text",
    base: [
      ["model", "gpt-instruct"],
      ["prompt", "hi"],
    ],
    invalid: TEXT_INVALID,
    filler: COMPLETION_FILLER,
    pathModel,
  };
}

/** Fields of `family` that make a body invalid whatever else it holds (the path's model overwrites the body's). */
function invalidFields(family: Family): string[] {
  return Object.keys(family.invalid).filter((field) => !(family.pathModel && field === "model"));
}

/** A field name a management route does not take. */
function unknownField(family: Family): fc.Arbitrary<string> {
  const taken = new Set([...Object.keys(family.invalid), ...(family.accepted ?? [])]);
  return fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.constantFrom("soft_budget", "model_max_budget", "__proto__", "constructor", "toString", "Models"),
    )
    .filter((name) => !taken.has(name));
}

/** A body of right shape with 1 to 3 params made invalid (or, on management routes, fields they do not take). */
function mutatedCase(path: string, family: Family): fc.Arbitrary<Case> {
  const fields = invalidFields(family);
  const mutation: fc.Arbitrary<Entry> = fc.oneof(
    ...fields.map((field) => (family.invalid[field] as fc.Arbitrary<unknown>).map((value): Entry => [field, value])),
    ...(family.kind === "management"
      ? [fc.tuple(unknownField(family), SAMPLE.integer).map(([name, value]): Entry => [name, value])]
      : []),
  );
  return fc.tuple(family.filler, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([filler, mutations]) => ({
    path,
    body: objectText([...family.base, ...filler, ...mutations]),
    contentType: "application/json",
    label: `invalid ${mutations.map(([field]) => field).join(", ")}`,
  }));
}

const depth = fc.oneof(
  fc.integer({ min: 65, max: 200 }),
  fc.integer({ min: 201, max: 5000 }),
  fc.integer({ min: 5001, max: 100_000 }),
);

function nested(levels: number, arrays: boolean): string {
  return arrays ? "[".repeat(levels) + "]".repeat(levels) : `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
}

/** JSON nested deeper than 64 levels: the whole body, or one param of an otherwise valid body. */
function deepCase(path: string, family: Family): fc.Arbitrary<Case> {
  return fc.tuple(depth, fc.boolean(), fc.boolean()).map(([levels, arrays, whole]) => ({
    path,
    body: whole
      ? nested(levels, arrays)
      : objectText(family.base).replace(/}$/, `${family.base.length > 0 ? "," : ""}"stop":${nested(levels, arrays)}}`),
    contentType: "application/json",
    label: `nested ${levels} levels${whole ? "" : " in a param"}`,
  }));
}

/** Nesting within the limit, in a place that must not hold it. */
function shallowCase(path: string, family: Family): fc.Arbitrary<Case> {
  // The Responses API takes params it does not know (native providers do): its nesting goes in `input`.
  const field = family.kind === "management" ? "nested_field" : family.kind === "responses" ? "input" : "stop";
  return fc.integer({ min: 2, max: 62 }).map((levels) => ({
    path,
    body: objectText([...family.base, [field, JSON.parse(nested(levels, true)) as unknown]]),
    contentType: "application/json",
    label: `${field} nested ${levels} levels`,
  }));
}

function nonObjectCase(path: string): fc.Arbitrary<Case> {
  return fc
    .oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 20 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }),
    )
    .map((value) => ({ path, body: JSON.stringify(value), contentType: "application/json", label: "not an object" }));
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function invalidJsonCase(path: string, family: Family): fc.Arbitrary<Case> {
  const valid = objectText([...family.base, ["temperature", 0.5], ["metadata", { a: [1, 2] }]]);
  return fc
    .oneof(
      fc.string({ maxLength: 40 }).filter((text) => !parses(text)),
      fc
        .nat(valid.length - 1)
        .map((cut) => valid.slice(0, cut))
        .filter((text) => !parses(text)),
      fc.constantFrom(
        "{",
        "[",
        '{"model":',
        "nul",
        "{'model': 'x'}",
        '{"a":1,}',
        "\u0000",
        `\uFEFF${valid}`,
        '{"a":01}',
        "NaN",
        '{"a": Infinity}',
        "// a comment\n{}",
        "",
        " ",
        "\n\t ",
      ),
    )
    .map((body) => ({ path, body, contentType: "application/json", label: "not JSON" }));
}

const WRONG_TYPES = [
  "text/plain",
  "text/plain;charset=UTF-8",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/jsonx",
  "application/json+foo",
  "application/xml",
  "text/json",
  "json",
  "*/*",
  "",
  `text/${"x".repeat(4000)}`,
];

/** A valid body sent as something other than JSON (or with no Content-Type): never read as JSON. */
function contentTypeCase(path: string, family: Family): fc.Arbitrary<Case> {
  const body = objectText(family.base);
  return fc.oneof(
    fc
      .constantFrom(...WRONG_TYPES)
      .map((contentType) => ({ path, body, contentType, label: `Content-Type ${contentType.slice(0, 40)}` })),
    fc.constant({ path, body: new TextEncoder().encode(body), contentType: undefined, label: "no Content-Type" }),
  );
}

/** The huge values, built once: a 5 MB model name and arrays of hundreds of thousands of items. */
const HUGE = {
  model: `unknown-${"m".repeat(5 * 1024 * 1024)}`,
  stop: Array.from({ length: 200_000 }, () => "s"),
  prompt: [...Array.from({ length: 300_000 }, () => 1), -1],
  messages: Array.from({ length: 100_000 }, () => 5),
  numbers: Array.from({ length: 200_000 }, (_, i) => i),
};
const megabytes = fc.integer({ min: 1, max: 5 }).map((mb) => "h".repeat(mb * 1024 * 1024));

/** Megabytes: a 5 MB model name, megabyte strings and hundred-thousand-item arrays in bad places. */
function hugeCase(path: string, family: Family): fc.Arbitrary<Case> {
  const options: fc.Arbitrary<[string, Entry[]]>[] = [];
  if (family.kind === "management") {
    options.push(megabytes.map((text) => ["a field named with megabytes", [[text, 1]]]));
    options.push(megabytes.map((text) => ["megabytes in a field it does not take", [["blob", text]]]));
    const list =
      family.invalid.models === undefined ? (family.invalid.keys === undefined ? undefined : "keys") : "models";
    if (list !== undefined) options.push(fc.constant(["200,000 numbers", [[list, HUGE.numbers]]]));
  } else {
    if (!family.pathModel) options.push(fc.constant(["an unknown 5 MB model", [["model", HUGE.model]]]));
    options.push(
      fc.constant(
        family.kind === "responses"
          ? ["200,000 input items that are numbers", [["input", HUGE.numbers]]]
          : ["200,000 stop strings", [["stop", HUGE.stop]]],
      ),
    );
    options.push(
      megabytes.map((text) => [
        "a megabyte param and a bad temperature",
        [
          ["blob", text],
          ["temperature", 5],
        ],
      ]),
    );
    options.push(
      fc.constant(
        family.kind === "text"
          ? ["300,000 token ids, the last one negative", [["prompt", HUGE.prompt]]]
          : family.kind === "responses"
            ? ["200,000 tools that are numbers", [["tools", HUGE.numbers]]]
            : ["100,000 messages that are numbers", [["messages", HUGE.messages]]],
      ),
    );
  }
  return fc.oneof(...options).map(([label, entries]) => ({
    path,
    body: objectText([...family.base, ...entries]),
    contentType: "application/json",
    label,
  }));
}

function caseFor(path: string): fc.Arbitrary<Case> {
  const family = familyOf(path);
  return fc.oneof(
    { arbitrary: mutatedCase(path, family), weight: 60 },
    { arbitrary: deepCase(path, family), weight: 12 },
    { arbitrary: shallowCase(path, family), weight: 3 },
    { arbitrary: nonObjectCase(path), weight: 5 },
    { arbitrary: invalidJsonCase(path, family), weight: 7 },
    { arbitrary: contentTypeCase(path, family), weight: 6 },
    { arbitrary: hugeCase(path, family), weight: 1 },
  );
}

const BODY_ROUTES = [
  "/v1/completions",
  "/completions",
  "/engines/gpt-instruct/completions",
  "/openai/deployments/gpt-instruct/completions",
  "/v1/chat/completions",
  "/chat/completions",
  "/engines/chat-model/chat/completions",
  "/openai/deployments/chat-model/chat/completions",
  "/v1/responses",
  "/responses",
  ...Object.keys(MANAGEMENT),
];

const anyCase = fc.oneof(...BODY_ROUTES.map(caseFor));

// ---------------------------------------------------------------- the gateways and the property

const CHAT_ANSWER = chatAnswer("hi");

const dir = mkdtempSync(join(tmpdir(), "litegate-fuzz-"));
const store = SqliteStore.open({ path: join(dir, "fuzz.db") });
let mock: MockUpstream;
let counting: TestGateway;
let open: TestGateway;

before(async () => {
  mock = await MockUpstream.start();
  // Anything that gets through is answered, so a leak shows as a 200 as well as a recorded request.
  mock.always((req, res) => json(res, 200, req.path.endsWith("/chat/completions") ? CHAT_ANSWER : completionAnswer()));
  const modelList = [
    {
      model_name: "gpt-instruct",
      litellm_params: {
        model: "text-completion-openai/gpt-instruct",
        api_key: "sk-upstream",
        api_base: `${mock.url}/v1`,
      },
    },
    {
      model_name: "chat-model",
      litellm_params: { model: "openai/chat-model", api_key: "sk-upstream", api_base: `${mock.url}/v1` },
    },
  ];
  counting = await startGateway({ modelList, masterKey: MASTER_KEY, store, spendWriter: { intervalMs: 50 } });
  open = await startGateway({ modelList });
});
after(async () => {
  await counting.close();
  await open.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The case as a failure message shows it. */
function shown(c: Case): string {
  const body = typeof c.body === "string" ? c.body : new TextDecoder().decode(c.body);
  return `POST ${c.path} (${c.label}) ${body.length > 200 ? `${body.slice(0, 200)}... (${body.length} characters)` : body}`;
}

/** Sends `c` and asserts the answer: a 4xx, JSON, OpenAI's error body, bounded. Returns the status. */
async function sendAndCheck(base: string, key: string | undefined, c: Case): Promise<number> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (c.contentType !== undefined) headers["content-type"] = c.contentType;
  const response = await fetch(`${base}${c.path}`, { method: "POST", headers, body: c.body });
  const text = await response.text();
  assert.ok(
    response.status >= 400 && response.status < 500,
    `${response.status} ${text.slice(0, 300)} for ${shown(c)}`,
  );
  assert.equal(response.headers.get("content-type"), "application/json", shown(c));
  assert.ok(text.length <= 2000, `a ${text.length}-character answer for ${shown(c)}`);
  const body = JSON.parse(text) as { error: { message: string; param: string | null } };
  assertOpenAIChat("ErrorResponse", body);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  assert.ok(
    body.error.message.length > 0 && body.error.message.length <= 1000,
    `a ${body.error.message.length}-character message for ${shown(c)}`,
  );
  assert.ok(body.error.param === null || body.error.param.length <= 100, shown(c));
  return response.status;
}

/** Runs the property on `total` bodies split over SENDERS concurrent senders; the statuses seen. */
async function fuzz(base: string, key: string | undefined, total: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  const sender = (runs: number) =>
    fc.assert(
      fc.asyncProperty(anyCase, async (c) => {
        const status = await sendAndCheck(base, key, c);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
      { numRuns: runs },
    );
  await Promise.all(
    Array.from({ length: SENDERS }, (_, i) => sender(Math.floor(total / SENDERS) + (i < total % SENDERS ? 1 : 0))),
  );
  return statuses;
}

function summary(statuses: Map<number, number>): string {
  return [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${count} × ${status}`)
    .join(", ");
}

test(`${BODIES.counting} invalid bodies with a master key and a store (usage counting on): bounded 4xx, nothing upstream`, async (t) => {
  const started = performance.now();
  const statuses = await fuzz(counting.url, MASTER_KEY, BODIES.counting);
  const sent = [...statuses.values()].reduce((sum, count) => sum + count, 0);
  t.diagnostic(
    `sent ${sent} bodies in ${Math.round(performance.now() - started)} ms over ${BODY_ROUTES.length} routes: ${summary(statuses)}`,
  );
  assert.equal(sent, BODIES.counting);
  assert.equal(mock.requests.length, 0);

  // The log lines and spend records of all those requests stay bounded too.
  assert.ok(!counting.logs.some((line) => (line.level as number) >= 50), "an unexpected failure was logged");
  assert.ok(counting.rawLogs.every((line) => line.length < 2000));
  assert.ok(counting.logs.every((line) => line.model === undefined || (line.model as string).length <= 256));
  assert.equal(await counting.server.access.flushSpend(10_000), true);
  const records = await store.spendLogs({ limit: 1_000_000 });
  assert.ok(records.length > 0);
  assert.ok(records.every((record) => record.model_group.length <= 256));
  t.diagnostic(
    `${records.length} spend records, the longest model_group ${Math.max(...records.map((record) => record.model_group.length))} characters`,
  );
});

test(`${BODIES.open} invalid bodies on an open gateway: bounded 4xx, nothing upstream`, async (t) => {
  const started = performance.now();
  const statuses = await fuzz(open.url, undefined, BODIES.open);
  const sent = [...statuses.values()].reduce((sum, count) => sum + count, 0);
  t.diagnostic(
    `sent ${sent} bodies in ${Math.round(performance.now() - started)} ms over ${BODY_ROUTES.length} routes: ${summary(statuses)}`,
  );
  assert.equal(sent, BODIES.open);
  assert.equal(mock.requests.length, 0);
  assert.ok(!open.logs.some((line) => (line.level as number) >= 50), "an unexpected failure was logged");
});
