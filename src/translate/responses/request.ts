/**
 * A Responses API request as a chat completion request, for providers that only chat: the
 * conversation (an earlier response's items, then this request's input) becomes chat
 * messages, function tools keep their meaning under chat's names, and `text.format` becomes
 * `response_format`. Pure: what the provider takes (`supported`) decides only whether params
 * that merely tune the answer are sent.
 */
import type { ChatCompletionParams, ChatMessage, ChatTool, ContentPart, ToolChoice } from "../../wire/chat.js";
import { BadRequestError } from "../../wire/errors.js";
import {
  RESPONSES_PARAMS,
  type ResponseContentPart,
  type ResponseFunctionTool,
  type ResponseItem,
  type ResponsesParams,
  type ResponseToolChoice,
} from "../../wire/responses.js";

/** The request's `input` as items: a string is one user message. */
export function inputItems(input: ResponsesParams["input"]): ResponseItem[] {
  if (input === undefined || input === null) return [];
  if (typeof input === "string") return [{ role: "user", content: input }];
  return input;
}

function bridgeError(message: string, param: string): BadRequestError {
  return new BadRequestError(message, { param, code: "unsupported_value" });
}

/** Content parts as chat's: text and images; `where` names them in errors. */
function chatParts(parts: readonly ResponseContentPart[], where: string): ContentPart[] {
  return parts.map((part, index): ContentPart => {
    switch (part.type) {
      case "input_text":
      case "output_text":
        return { type: "text", text: String(part.text) };
      case "refusal":
        return { type: "text", text: String(part.refusal) };
      case "input_image": {
        const url = part.image_url;
        if (typeof url !== "string") {
          throw bridgeError(
            `Invalid 'input' (at ${where}.${index}): an image given by file_id is only served by OpenAI and Azure deployments; give its URL (https or data:) in 'image_url'.`,
            "input",
          );
        }
        const detail = part.detail;
        return {
          type: "image_url",
          image_url: detail === "low" || detail === "high" || detail === "auto" ? { url, detail } : { url },
        };
      }
      default:
        throw bridgeError(
          `Invalid 'input' (at ${where}.${index}): content parts of type '${String(part.type)}' are only served by OpenAI and Azure deployments; use input_text and input_image.`,
          "input",
        );
    }
  });
}

/** The text of content given as a string or parts (assistant, system and tool messages take text). */
function textOf(content: string | readonly ResponseContentPart[], where: string): string {
  if (typeof content === "string") return content;
  return chatParts(content, where)
    .map((part) => (part.type === "text" ? String(part.text) : ""))
    .join("");
}

/**
 * The conversation as chat messages. Function calls that follow an assistant message (or each
 * other) join it as its tool_calls, as chat expects one assistant turn per answer.
 */
export function chatMessages(instructions: string | null | undefined, items: readonly ResponseItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (typeof instructions === "string" && instructions !== "") messages.push({ role: "system", content: instructions });
  // The assistant turn function calls may still join (none once another message came).
  let open: Extract<ChatMessage, { role: "assistant" }> | undefined;
  items.forEach((item, index) => {
    const where = `input.${index}`;
    const type = item.type ?? "message";
    if (type === "message") {
      const message = item as Extract<ResponseItem, { role: string }>;
      const content = message.content as string | ResponseContentPart[];
      if (message.role === "assistant") {
        open = { role: "assistant", content: textOf(content, `${where}.content`) };
        messages.push(open);
        return;
      }
      open = undefined;
      if (message.role === "user") {
        messages.push({
          role: "user",
          content: typeof content === "string" ? content : chatParts(content, `${where}.content`),
        });
      } else
        messages.push({ role: message.role as "system" | "developer", content: textOf(content, `${where}.content`) });
      return;
    }
    if (type === "function_call") {
      const call = item as Extract<ResponseItem, { type: "function_call" }>;
      if (open === undefined) {
        open = { role: "assistant", content: null };
        messages.push(open);
      }
      open.tool_calls ??= [];
      open.tool_calls.push({
        id: call.call_id,
        type: "function",
        function: { name: call.name, arguments: call.arguments },
      });
      return;
    }
    open = undefined;
    if (type === "function_call_output") {
      const output = item as Extract<ResponseItem, { type: "function_call_output" }>;
      messages.push({ role: "tool", tool_call_id: output.call_id, content: textOf(output.output, `${where}.output`) });
      return;
    }
    // Reasoning the provider wrote earlier is its own; another provider cannot read it.
    if (type === "reasoning") return;
    throw bridgeError(
      `Invalid 'input' (at ${where}): items of type '${String(type)}' are only served by OpenAI and Azure deployments; send messages, function_call and function_call_output items${type === "item_reference" ? " (or continue with previous_response_id)" : ""}.`,
      "input",
    );
  });
  return messages;
}

function chatTools(tools: NonNullable<ResponsesParams["tools"]>): ChatTool[] {
  return tools.map((tool, index) => {
    if (tool.type !== "function") {
      throw bridgeError(
        `Invalid 'tools' (at tools.${index}): the built-in tool '${String(tool.type)}' is only served by OpenAI and Azure deployments; this model is reached through chat completions, which takes function tools only.`,
        "tools",
      );
    }
    const fn = tool as ResponseFunctionTool;
    const definition: ChatTool["function"] = { name: fn.name };
    if (typeof fn.description === "string") definition.description = fn.description;
    if (fn.parameters != null) definition.parameters = fn.parameters;
    if (fn.strict != null) definition.strict = fn.strict;
    return { type: "function", function: definition };
  });
}

function chatToolChoice(choice: ResponseToolChoice): ToolChoice {
  if (typeof choice === "string") return choice;
  if (choice.type === "function" && typeof choice.name === "string") {
    return { type: "function", function: { name: choice.name } };
  }
  throw bridgeError(
    `Invalid 'tool_choice': {"type": "${String(choice.type)}"} names a built-in tool, which only OpenAI and Azure deployments serve; use "auto", "required", "none" or {"type": "function", "name": ...}.`,
    "tool_choice",
  );
}

/**
 * The chat request for `params` on a provider taking `supported` chat params, continuing
 * `history` (the items of the response named by previous_response_id: its input, then its
 * output). `user`, `parallel_tool_calls` and `reasoning` are sent only to providers that take
 * them (they tune the answer, and another provider refusing them would fail the request);
 * `metadata` stays with the gateway (it is echoed in the response). Params that are not the
 * Responses API's (a provider's own, such as `top_k`, from the body, `extra_body` or the
 * deployment) go on as they are, as on chat.
 */
export function toChatParams(
  params: ResponsesParams,
  model: string,
  history: readonly ResponseItem[],
  supported: ReadonlySet<string>,
): ChatCompletionParams {
  const chat: ChatCompletionParams = {
    model,
    messages: chatMessages(params.instructions, [...history, ...inputItems(params.input)]),
  };
  for (const key in params) {
    if (key !== "model" && key !== "messages" && !RESPONSES_PARAMS.has(key)) chat[key] = params[key];
  }
  if (params.tools != null && params.tools.length > 0) chat.tools = chatTools(params.tools);
  const choice = params.tool_choice;
  // "auto" is what chat does anyway with tools: sent only where the provider takes tool_choice.
  if (choice != null && (choice !== "auto" || supported.has("tool_choice"))) chat.tool_choice = chatToolChoice(choice);
  const format = params.text?.format;
  if (format?.type === "json_object") chat.response_format = { type: "json_object" };
  else if (format?.type === "json_schema") {
    const schema: Record<string, unknown> = { name: format.name, schema: format.schema };
    if (format.description != null) schema.description = format.description;
    if (format.strict != null) schema.strict = format.strict;
    chat.response_format = { type: "json_schema", json_schema: schema };
  }
  if (params.max_output_tokens != null) chat.max_tokens = params.max_output_tokens;
  if (params.temperature != null) chat.temperature = params.temperature;
  if (params.top_p != null) chat.top_p = params.top_p;
  if (params.user != null && supported.has("user")) chat.user = params.user;
  if (params.parallel_tool_calls != null && chat.tools !== undefined && supported.has("parallel_tool_calls"))
    chat.parallel_tool_calls = params.parallel_tool_calls;
  const effort = params.reasoning?.effort;
  if (effort != null && supported.has("reasoning_effort")) chat.reasoning_effort = effort;
  if (params.stream === true) {
    chat.stream = true;
    // The response.completed event carries usage: the provider's, or counted.
    chat.stream_options = { include_usage: true };
  }
  return chat;
}
