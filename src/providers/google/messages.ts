/**
 * An OpenAI conversation as Gemini's: system and developer messages become the one
 * `systemInstruction`, the rest `user` / `model` turns of parts (text, inlineData, fileData,
 * functionCall, functionResponse), consecutive turns of one role merged as Gemini wants.
 */
import type { ChatMessage, ContentPart, ToolCall } from "../../wire/chat.js";
import { contentBlocks, parseDataUrl } from "../content-parts.js";
import { invalidValue } from "./errors.js";

export type GeminiPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: unknown } }
  | { functionResponse: { name: string; response: { content: string } } };

export interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

/** Who is asking, for the errors: the prefix the caller used and the model. */
export interface Caller {
  provider: string;
  model: string;
}

/** Media types of the URLs Gemini fetches itself (LiteLLM's list: it sends these as fileData). */
const URL_MEDIA_TYPES: readonly (readonly [extension: string, mimeType: string])[] = [
  [".jpg", "image/jpeg"],
  [".jpeg", "image/jpeg"],
  [".png", "image/png"],
  [".webp", "image/webp"],
  [".mp4", "video/mp4"],
  [".pdf", "application/pdf"],
];

function urlMediaType(url: string): string | undefined {
  const path = url.split(/[?#]/, 1)[0]?.toLowerCase() ?? "";
  return URL_MEDIA_TYPES.find(([extension]) => path.endsWith(extension))?.[1];
}

const IMAGE_FORMS =
  "Gemini takes images as base64 data URLs (data:image/png;base64,...), gs:// URIs, or http(s) URLs ending in " +
  ".jpg, .jpeg, .png, .webp, .mp4 or .pdf (litegate does not download other URLs: send the image as a data URL).";

function imagePart(url: string, param: string, caller: Caller): GeminiPart {
  if (url.startsWith("data:")) {
    const image = parseDataUrl(url);
    if (image === undefined) throw invalidValue(IMAGE_FORMS, param, caller.provider, caller.model);
    return { inlineData: { mimeType: image.mediaType, data: image.data } };
  }
  const mimeType = urlMediaType(url);
  if (mimeType !== undefined && /^(gs|https?):\/\//i.test(url)) return { fileData: { mimeType, fileUri: url } };
  throw invalidValue(IMAGE_FORMS, param, caller.provider, caller.model);
}

function contentParts(
  content: string | readonly ContentPart[] | null | undefined,
  param: string,
  caller: Caller,
): GeminiPart[] {
  return contentBlocks<GeminiPart>(content, param, {
    text: (text) => ({ text }),
    image: (url, at) => imagePart(url, at, caller),
    refused: (type, at) =>
      invalidValue(`Gemini does not take content parts of type '${type}'.`, at, caller.provider, caller.model),
  });
}

function functionCallPart(call: ToolCall, param: string, caller: Caller): GeminiPart {
  const text = call.function.arguments;
  let args: unknown;
  try {
    // Some clients send "" for a call without arguments; Gemini needs an object.
    args = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    const message = `The arguments of tool call '${call.id}' are not valid JSON; Gemini needs them as an object.`;
    throw invalidValue(message, param, caller.provider, caller.model);
  }
  return { functionCall: { name: call.function.name, args } };
}

function textOf(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  return content.map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : "")).join("");
}

/** System and developer messages, wherever they stand: Gemini has one `systemInstruction`. */
export function systemInstruction(messages: readonly ChatMessage[]): { parts: { text: string }[] } | undefined {
  const parts: { text: string }[] = [];
  for (const message of messages) {
    if (message.role !== "system" && message.role !== "developer") continue;
    const text = textOf(message.content);
    if (text !== "") parts.push({ text });
  }
  return parts.length === 0 ? undefined : { parts };
}

/**
 * The conversation as Gemini's turns. A tool result names the function it answers (Gemini
 * matches results by name, OpenAI by id): the name is found from the call with that id.
 */
export function geminiContents(messages: readonly ChatMessage[], caller: Caller): GeminiContent[] {
  const turns: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    let role: GeminiContent["role"];
    let parts: GeminiPart[];
    switch (message.role) {
      case "system":
      case "developer":
        return;
      case "user":
        role = "user";
        parts = contentParts(message.content, `${param}.content`, caller);
        break;
      case "assistant":
        role = "model";
        for (const call of message.tool_calls ?? []) callNames.set(call.id, call.function.name);
        parts = [
          ...contentParts(message.content, `${param}.content`, caller),
          ...(message.tool_calls ?? []).map((call, j) =>
            functionCallPart(call, `${param}.tool_calls[${j}].function.arguments`, caller),
          ),
        ];
        break;
      case "tool": {
        const name = callNames.get(message.tool_call_id);
        if (name === undefined) {
          const text = `The tool result's tool_call_id '${message.tool_call_id}' matches no earlier assistant tool call; Gemini needs the function's name.`;
          throw invalidValue(text, `${param}.tool_call_id`, caller.provider, caller.model);
        }
        role = "user";
        parts = [{ functionResponse: { name, response: { content: textOf(message.content) } } }];
        break;
      }
      default: {
        const unknown: { role?: unknown } = message;
        const text = `Gemini does not take messages with role '${String(unknown.role)}'.`;
        throw invalidValue(text, `${param}.role`, caller.provider, caller.model);
      }
    }
    if (parts.length === 0) return;
    const last = turns[turns.length - 1];
    // Parallel tool results, or a tool result followed by the user's text, become one user turn.
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else turns.push({ role, parts });
  });
  return turns;
}
