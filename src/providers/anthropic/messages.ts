/**
 * An OpenAI conversation as Anthropic's: system and developer messages become the one
 * `system` beside the turns, the rest strictly alternating user / assistant turns of
 * content blocks (text, images, tool_use, tool_result).
 */
import type { ChatMessage, ContentPart, ToolCall } from "../../wire/chat.js";
import { contentBlocks, parseDataUrl } from "../content-parts.js";
import type { Target } from "../types.js";
import { invalidValue } from "./errors.js";

type AnthropicTextBlock = { type: "text"; text: string };
type AnthropicImageBlock = {
  type: "image";
  source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };
};
type AnthropicToolUseBlock = { type: "tool_use"; id: string; name: string; input: unknown };
type AnthropicToolResultBlock = {
  type: "tool_result";
  tool_use_id: string;
  content: string | AnthropicTextBlock[];
};
type AnthropicBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicToolUseBlock | AnthropicToolResultBlock;

interface AnthropicMessage {
  role: "user" | "assistant";
  content: string | AnthropicBlock[];
}

const IMAGE_FORMS = "Anthropic takes images as base64 data URLs (data:image/png;base64,...) or http(s) URLs.";

function imageBlock(url: string, param: string, target: Target): AnthropicImageBlock {
  if (url.startsWith("data:")) {
    const image = parseDataUrl(url);
    if (image === undefined) throw invalidValue(IMAGE_FORMS, param, target);
    return { type: "image", source: { type: "base64", media_type: image.mediaType, data: image.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  throw invalidValue(IMAGE_FORMS, param, target);
}

function anthropicBlocks(
  content: string | readonly ContentPart[] | null | undefined,
  param: string,
  target: Target,
): AnthropicBlock[] {
  return contentBlocks<AnthropicBlock>(content, param, {
    text: (text) => ({ type: "text", text }),
    image: (url, at) => imageBlock(url, at, target),
    refused: (type, at) => invalidValue(`Anthropic does not take content parts of type '${type}'.`, at, target),
  });
}

function toolUseBlock(call: ToolCall, param: string, target: Target): AnthropicToolUseBlock {
  const args = call.function.arguments;
  let input: unknown;
  try {
    // Some clients send "" for a call without arguments; Anthropic needs an object.
    input = args.trim() === "" ? {} : JSON.parse(args);
  } catch {
    const message = `The arguments of tool call '${call.id}' are not valid JSON; Anthropic needs them as an object.`;
    throw invalidValue(message, param, target);
  }
  return { type: "tool_use", id: call.id, name: call.function.name, input };
}

function toolResultContent(content: ChatMessage["content"]): string | AnthropicTextBlock[] {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  return content.flatMap((part): AnthropicTextBlock[] =>
    part.type === "text" && typeof part.text === "string" && part.text !== ""
      ? [{ type: "text", text: part.text }]
      : [],
  );
}

/** System and developer messages, wherever they stand: Anthropic has one `system` beside the turns. */
export function systemPrompt(messages: readonly ChatMessage[]): string | AnthropicTextBlock[] | undefined {
  const blocks: AnthropicTextBlock[] = [];
  let strings = 0;
  for (const message of messages) {
    if (message.role !== "system" && message.role !== "developer") continue;
    if (typeof message.content === "string") {
      strings += 1;
      if (message.content !== "") blocks.push({ type: "text", text: message.content });
    } else {
      for (const part of message.content) if (part.text !== "") blocks.push({ type: "text", text: part.text });
    }
  }
  if (blocks.length === 0) return undefined;
  return blocks.length === 1 && strings === 1 ? (blocks[0] as AnthropicTextBlock).text : blocks;
}

/** The conversation as Anthropic's strictly alternating user / assistant turns. */
export function anthropicMessages(messages: readonly ChatMessage[], target: Target): AnthropicMessage[] {
  const turns: { role: "user" | "assistant"; blocks: AnthropicBlock[] }[] = [];
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    let role: "user" | "assistant";
    let blocks: AnthropicBlock[];
    switch (message.role) {
      case "system":
      case "developer":
        return;
      case "user":
        role = "user";
        blocks = anthropicBlocks(message.content, `${param}.content`, target);
        break;
      case "assistant":
        role = "assistant";
        blocks = [
          ...anthropicBlocks(message.content, `${param}.content`, target),
          ...(message.tool_calls ?? []).map((call, j) =>
            toolUseBlock(call, `${param}.tool_calls[${j}].function.arguments`, target),
          ),
        ];
        break;
      case "tool":
        role = "user";
        blocks = [
          { type: "tool_result", tool_use_id: message.tool_call_id, content: toolResultContent(message.content) },
        ];
        break;
      default: {
        const unknown: { role?: unknown } = message;
        const text = `Anthropic does not take messages with role '${String(unknown.role)}'.`;
        throw invalidValue(text, `${param}.role`, target);
      }
    }
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    // Anthropic refuses two turns of one role in a row: parallel tool results, or a
    // tool result followed by the user's text, become one user turn.
    if (last !== undefined && last.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  });
  return turns.map(({ role, blocks }) => {
    const only = blocks.length === 1 ? blocks[0] : undefined;
    return { role, content: only !== undefined && only.type === "text" ? only.text : blocks };
  });
}
