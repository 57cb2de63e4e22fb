/**
 * POST /utils/token_counter, LiteLLM's: the tokens of a prompt or of chat messages in the
 * encoding of the model a model group calls, counted off the event loop like usage is.
 * Chat messages are framed as OpenAI counts them (3 tokens a message, 1 a name, 3 to prime
 * the reply), so the answer matches what the provider bills for the prompt.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { messageText } from "../../sdk/usage.js";
import { countTokens } from "../../usage/tokens.js";
import { BadRequestError } from "../../wire/errors.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { readBody } from "../management/bodies.js";
import { sendJson } from "../respond.js";

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;

const message = z.looseObject({ role: z.string(), content: z.unknown().optional(), name: z.string().optional() });

/** LiteLLM's request: `contents` (Gemini's form) is accepted but not counted here, so it is refused by name. */
const tokenCounterBody = z.strictObject({
  model: z.string().min(1),
  prompt: z.string().optional(),
  messages: z.array(message).optional(),
});

async function messagesTokens(model: string, messages: readonly z.infer<typeof message>[]): Promise<number> {
  const texts: string[] = [];
  let framing = REPLY_PRIMING_TOKENS;
  for (const item of messages) {
    texts.push(item.role, messageText(item.content));
    framing += TOKENS_PER_MESSAGE;
    if (item.name !== undefined) {
      texts.push(item.name);
      framing += TOKENS_PER_NAME;
    }
  }
  return framing + (await countTokens(model, texts));
}

export async function tokenCounter(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  // Any key may count: LiteLLM lists the route with the completion routes.
  ctx.principal = await gateway.access.authenticate(req);
  const input = await readBody(gateway, req, tokenCounterBody, "/utils/token_counter");
  if (input.prompt === undefined && input.messages === undefined) {
    throw new BadRequestError("Send the text to count as 'prompt' (a string) or 'messages' (chat messages).", {
      param: "prompt",
      code: "invalid_request",
    });
  }
  // A model group counts in the encoding of the model it calls, named without its provider prefix.
  const upstream = gateway.router.upstreamModelOf(input.model);
  const modelUsed = upstream === undefined ? input.model : upstream.slice(upstream.indexOf("/") + 1);
  const total =
    input.messages !== undefined
      ? await messagesTokens(modelUsed, input.messages)
      : await countTokens(modelUsed, [input.prompt ?? ""]);
  sendJson(
    res,
    200,
    {
      total_tokens: total,
      request_model: input.model,
      model_used: modelUsed,
      tokenizer_type: "openai_tokenizer",
      original_response: null,
      error: false,
      error_message: null,
      status_code: null,
    },
    ctx.headers(),
  );
}
