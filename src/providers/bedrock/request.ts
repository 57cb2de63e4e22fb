/**
 * The Converse API body for an OpenAI chat request: system and developer messages become
 * `system`, the rest alternating user / assistant turns of content blocks (text, image
 * bytes, toolUse, toolResult); sampling goes into `inferenceConfig` and tools into `toolConfig`.
 */
import type { ChatCompletionParams, ChatMessage, ContentPart, ToolCall } from "../../wire/chat.js";
import { isRecord } from "../../wire/validate.js";
import { contentBlocks, parseDataUrl } from "../content-parts.js";
import type { Target } from "../types.js";
import { invalidValue } from "./errors.js";

type TextBlock = { text: string };
type ImageBlock = { image: { format: string; source: { bytes: string } } };
type ToolUseBlock = { toolUse: { toolUseId: string; name: string; input: unknown } };
type ToolResultBlock = { toolResult: { toolUseId: string; content: TextBlock[] } };
type ContentBlock = TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock;

interface ConverseMessage {
  role: "user" | "assistant";
  content: ContentBlock[];
}

/** The image formats Converse takes, by the MIME subtype of a data URL. */
const IMAGE_FORMATS: Readonly<Record<string, string>> = {
  png: "png",
  jpeg: "jpeg",
  jpg: "jpeg",
  gif: "gif",
  webp: "webp",
};
const IMAGE_FORMS =
  "Bedrock takes images as base64 data URLs (data:image/png;base64,...) of png, jpeg, gif or webp; it cannot fetch http(s) URLs.";

function imageBlock(url: string, param: string, target: Target): ImageBlock {
  const image = parseDataUrl(url);
  const [kind, subtype] = image?.mediaType.toLowerCase().split("/", 2) ?? [];
  const format = kind === "image" && subtype !== undefined ? IMAGE_FORMATS[subtype] : undefined;
  if (image === undefined || format === undefined) throw invalidValue(IMAGE_FORMS, param, target);
  return { image: { format, source: { bytes: image.data } } };
}

function converseBlocks(
  content: string | readonly ContentPart[] | null | undefined,
  param: string,
  target: Target,
): ContentBlock[] {
  return contentBlocks<ContentBlock>(content, param, {
    text: (text) => ({ text }),
    image: (url, at) => imageBlock(url, at, target),
    refused: (type, at) => invalidValue(`Bedrock does not take content parts of type '${type}'.`, at, target),
  });
}

function toolUseBlock(call: ToolCall, param: string, target: Target): ToolUseBlock {
  const args = call.function.arguments;
  let input: unknown;
  try {
    input = args.trim() === "" ? {} : JSON.parse(args);
  } catch {
    throw invalidValue(
      `The arguments of tool call '${call.id}' are not valid JSON; Bedrock needs them as an object.`,
      param,
      target,
    );
  }
  return { toolUse: { toolUseId: call.id, name: call.function.name, input } };
}

function texts(content: ChatMessage["content"]): TextBlock[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  if (content === null || content === undefined) return [];
  return content.flatMap((part): TextBlock[] =>
    part.type === "text" && typeof part.text === "string" && part.text !== "" ? [{ text: part.text }] : [],
  );
}

export function systemBlocks(messages: readonly ChatMessage[]): TextBlock[] {
  return messages.flatMap((message) =>
    message.role === "system" || message.role === "developer" ? texts(message.content) : [],
  );
}

/** The conversation as Converse's alternating turns; tool results are user turns, as Bedrock wants. */
export function converseMessages(messages: readonly ChatMessage[], target: Target): ConverseMessage[] {
  const turns: ConverseMessage[] = [];
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    let role: "user" | "assistant";
    let blocks: ContentBlock[];
    switch (message.role) {
      case "system":
      case "developer":
        return;
      case "user":
        role = "user";
        blocks = converseBlocks(message.content, `${param}.content`, target);
        break;
      case "assistant":
        role = "assistant";
        blocks = [
          ...converseBlocks(message.content, `${param}.content`, target),
          ...(message.tool_calls ?? []).map((call, j) =>
            toolUseBlock(call, `${param}.tool_calls[${j}].function.arguments`, target),
          ),
        ];
        break;
      case "tool": {
        role = "user";
        const content = texts(message.content);
        // A tool result needs content; an empty one is sent as empty text, as the tool returned.
        blocks = [
          { toolResult: { toolUseId: message.tool_call_id, content: content.length === 0 ? [{ text: "" }] : content } },
        ];
        break;
      }
      default: {
        const unknown: { role?: unknown } = message;
        throw invalidValue(
          `Bedrock does not take messages with role '${String(unknown.role)}'.`,
          `${param}.role`,
          target,
        );
      }
    }
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    // Converse refuses two turns of one role in a row (parallel tool results, a result then text).
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  });
  return turns;
}

function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

function toolConfig(params: ChatCompletionParams, target: Target): Record<string, unknown> | undefined {
  const tools = (params.tools ?? []).map((tool, index) => {
    if (tool.type !== "function" || !isRecord(tool.function)) {
      throw invalidValue(
        `Bedrock takes only function tools (got type '${String(tool.type)}').`,
        `tools[${index}]`,
        target,
      );
    }
    const fn = tool.function;
    return {
      toolSpec: {
        name: fn.name,
        ...(fn.description === undefined ? {} : { description: fn.description }),
        inputSchema: { json: fn.parameters ?? { type: "object", properties: {} } },
      },
    };
  });
  if (tools.length === 0) return undefined;
  const choice = params.tool_choice;
  if (choice === undefined || choice === null || choice === "auto") return { tools };
  if (choice === "required") return { tools, toolChoice: { any: {} } };
  if (choice === "none") {
    // Converse has no "none"; a conversation with tool blocks still needs the tools declared.
    if (target.dropParams) return { tools };
    throw invalidValue(
      "Bedrock's Converse API cannot forbid tool calls (tool_choice 'none'). Leave tool_choice out, or set drop_params: true to send it as 'auto'.",
      "tool_choice",
      target,
    );
  }
  const name = isRecord(choice) && choice.type === "function" && isRecord(choice.function) && choice.function.name;
  if (typeof name === "string") return { tools, toolChoice: { tool: { name } } };
  throw invalidValue(`Bedrock cannot express tool_choice ${JSON.stringify(choice)}.`, "tool_choice", target);
}

export function converseBody(params: ChatCompletionParams, target: Target): Record<string, unknown> {
  const messages = converseMessages(params.messages, target);
  if (messages.length === 0) {
    throw invalidValue(
      "Bedrock needs at least one user or assistant message besides the system prompt.",
      "messages",
      target,
    );
  }
  const body: Record<string, unknown> = { messages };
  const system = systemBlocks(params.messages);
  if (system.length > 0) body.system = system;
  const inference: Record<string, unknown> = {};
  const maxTokens = params.max_completion_tokens ?? params.max_tokens;
  if (present(maxTokens)) inference.maxTokens = maxTokens;
  if (present(params.temperature)) inference.temperature = params.temperature;
  if (present(params.top_p)) inference.topP = params.top_p;
  if (present(params.stop)) {
    const stops = typeof params.stop === "string" ? [params.stop] : params.stop;
    if (stops.length > 0) inference.stopSequences = stops;
  }
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  const tools = toolConfig(params, target);
  if (tools !== undefined) body.toolConfig = tools;
  return body;
}
