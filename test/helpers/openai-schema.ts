/**
 * Validators for OpenAI's wire format, from the schemas copied into test/fixtures
 * (extracted from OpenAI's OpenAPI spec; see test/fixtures/openai-spec/SOURCE.md).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const fixtures = fileURLToPath(new URL("../../../test/fixtures/openai-spec/", import.meta.url));
const ajv = new Ajv2020({ strict: true, allErrors: true });
// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as { default: (ajv: Ajv2020) => void };
addFormats.default(ajv);
for (const file of ["openai-completions.schema.json", "openai-chat.schema.json", "openai-embeddings.schema.json"]) {
  ajv.addSchema(JSON.parse(readFileSync(fixtures + file, "utf8")));
}

type Definition =
  | "CreateCompletionRequest"
  | "CreateCompletionResponse"
  | "CreateCompletionStreamChunk"
  | "ErrorResponse";

/** Asserts that `value` is a valid OpenAI `definition`, listing every violation if not. */
export function assertOpenAI(definition: Definition, value: unknown): void {
  const validate = ajv.getSchema(`urn:llm-gateway:spec:openai-completions#/$defs/${definition}`);
  assert.ok(validate, `schema ${definition} not found`);
  const valid = validate(value);
  assert.ok(valid, `${definition} invalid: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}

export type EmbeddingsDefinition =
  | "CreateEmbeddingRequest"
  | "CreateEmbeddingResponse"
  | "CreateEmbeddingResponseBase64";

/** Asserts that `value` is a valid OpenAI embeddings `definition`, listing every violation if not. */
export function assertOpenAIEmbeddings(definition: EmbeddingsDefinition, value: unknown): void {
  const validate = ajv.getSchema(`urn:llm-gateway:spec:openai-embeddings#/$defs/${definition}`);
  assert.ok(validate, `schema ${definition} not found`);
  const valid = validate(value);
  assert.ok(valid, `${definition} invalid: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}
