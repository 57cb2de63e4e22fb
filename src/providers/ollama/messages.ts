/**
 * OpenAI chat messages as Ollama's: text joined, images as bare base64, tool calls with
 * their arguments as objects, tool results named by the tool they answer.
 */
import type { ChatMessage, ContentPart, ToolCall } from "../../wire/chat.js";
import { BadRequestError } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import type { Target } from "../types.js";

interface OllamaMessage {
  role: string;
  content: string;
  images?: string[];
  tool_calls?: { id?: string; function: { name: string; arguments: Record<string, unknown> } }[];
  tool_name?: string;
}

const DATA_URL = /^data:[^,]*?;base64,/i;

function chatError(message: string, param: string, target: Target): BadRequestError {
  return new BadRequestError(message, {
    provider: "ollama_chat",
    model: target.model,
    param,
    code: "unsupported_content",
  });
}

/** A message's text and images; Ollama takes images only as base64, never as URLs it would fetch. */
function contentOf(
  content: string | ContentPart[] | null | undefined,
  where: string,
  target: Target,
): { text: string; images: string[] } {
  if (content === null || content === undefined) return { text: "", images: [] };
  if (typeof content === "string") return { text: content, images: [] };
  const texts: string[] = [];
  const images: string[] = [];
  for (const part of content) {
    if (part.type === "text" && typeof part.text === "string") {
      texts.push(part.text);
    } else if (part.type === "image_url") {
      const image = part.image_url;
      const url = typeof image === "string" ? image : isRecord(image) && typeof image.url === "string" ? image.url : "";
      const match = DATA_URL.exec(url);
      if (match === null) {
        const message = "Ollama takes images as base64 data: URLs (data:image/png;base64,...); ";
        throw chatError(`${message}${where} has an image URL that is not one.`, where, target);
      }
      images.push(url.slice(match[0].length));
    } else {
      throw chatError(`Ollama does not take '${part.type}' content parts (${where}).`, where, target);
    }
  }
  // OpenAI reads text parts as one text; a line break keeps their words apart.
  return { text: texts.join("\n"), images };
}

function toolArguments(call: ToolCall, where: string, target: Target): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.function.arguments === "" ? "{}" : call.function.arguments) as unknown;
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) {
    throw new BadRequestError(
      `Ollama takes tool call arguments as a JSON object; ${where}.function.arguments is not one.`,
      {
        provider: "ollama_chat",
        model: target.model,
        param: where,
        code: "invalid_tool_arguments",
      },
    );
  }
  return parsed;
}

export function toOllamaMessages(messages: ChatMessage[], target: Target): OllamaMessage[] {
  // Ollama names the tool a result is for; OpenAI gives the id of the call, so names are looked up.
  const toolNames = new Map<string, string>();
  return messages.map((message, i) => {
    const where = `messages[${i}]`;
    switch (message.role) {
      case "assistant": {
        const { text, images } = contentOf(message.content, `${where}.content`, target);
        const out: OllamaMessage = { role: "assistant", content: text };
        if (images.length > 0) out.images = images;
        if (message.tool_calls !== undefined && message.tool_calls.length > 0) {
          out.tool_calls = message.tool_calls.map((call, j) => {
            toolNames.set(call.id, call.function.name);
            const converted: NonNullable<OllamaMessage["tool_calls"]>[number] = {
              function: {
                name: call.function.name,
                arguments: toolArguments(call, `${where}.tool_calls[${j}]`, target),
              },
            };
            if (call.id !== "") converted.id = call.id;
            return converted;
          });
        }
        return out;
      }
      case "tool": {
        const { text } = contentOf(message.content, `${where}.content`, target);
        const out: OllamaMessage = { role: "tool", content: text };
        const name = toolNames.get(message.tool_call_id);
        if (name !== undefined) out.tool_name = name;
        return out;
      }
      default: {
        const role = message.role === "developer" ? "system" : message.role;
        const { text, images } = contentOf(message.content, `${where}.content`, target);
        const out: OllamaMessage = { role, content: text };
        if (images.length > 0) out.images = images;
        return out;
      }
    }
  });
}
