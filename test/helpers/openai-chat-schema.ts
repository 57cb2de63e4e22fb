/**
 * Validators for OpenAI's chat wire format, from test/fixtures/openai-spec/openai-chat.schema.json
 * (extracted from OpenAI's OpenAPI spec; see test/fixtures/openai-spec/SOURCE.md).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const schemaFile = fileURLToPath(
  new URL("../../../test/fixtures/openai-spec/openai-chat.schema.json", import.meta.url),
);
const ajv = new Ajv2020({ strict: true, allErrors: true });
// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
(addFormatsModule as unknown as { default: (ajv: Ajv2020) => void }).default(ajv);
ajv.addSchema(JSON.parse(readFileSync(schemaFile, "utf8")));

export type ChatDefinition =
  | "CreateChatCompletionRequest"
  | "CreateChatCompletionResponse"
  | "CreateChatCompletionStreamResponse"
  | "ErrorResponse";

/** Asserts that `value` is a valid OpenAI chat `definition`, listing every violation if not. */
export function assertOpenAIChat(definition: ChatDefinition, value: unknown): void {
  const validate = ajv.getSchema(`urn:llm-gateway:spec:openai-chat#/$defs/${definition}`);
  assert.ok(validate, `schema ${definition} not found`);
  const valid = validate(value);
  assert.ok(valid, `${definition} invalid: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}
