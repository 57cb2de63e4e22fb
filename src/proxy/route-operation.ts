/**
 * What a model route does, named once for every view of it: OpenTelemetry's GenAI
 * `gen_ai.operation.name` (traces) and LiteLLM's `call_type` (webhook payloads).
 */
export interface RouteOperation {
  /** `chat`, `text_completion`, `embeddings` (the convention's names), `responses` (litegate's). */
  genAi: string;
  /** LiteLLM's call type: `acompletion`, `atext_completion`, `aembedding`, `aresponses`. */
  callType: string;
}

const CHAT: RouteOperation = { genAi: "chat", callType: "acompletion" };
const TEXT: RouteOperation = { genAi: "text_completion", callType: "atext_completion" };
const EMBEDDINGS: RouteOperation = { genAi: "embeddings", callType: "aembedding" };
const RESPONSES: RouteOperation = { genAi: "responses", callType: "aresponses" };

/** The operation of a model route's pattern (`/v1/chat/completions`, `/openai/deployments/{model}/embeddings`, ...). */
export function routeOperation(route: string): RouteOperation {
  if (route.endsWith("/chat/completions")) return CHAT;
  if (route.endsWith("/completions")) return TEXT;
  if (route.endsWith("/embeddings")) return EMBEDDINGS;
  return RESPONSES;
}
