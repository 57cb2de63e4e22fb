/**
 * An OpenAI message's content as a provider's blocks: the walk every adapter with its own
 * content shape (Anthropic, Bedrock, Gemini) shares. Each adapter says how to make a text
 * and an image block and how to refuse anything else; the walk itself, and what it leaves
 * out, is the same for all of them.
 */
import type { ContentPart } from "../wire/chat.js";
import { isRecord } from "../wire/validate.js";

/** How an adapter makes its blocks. `param` names the part in the request, for its errors. */
export interface BlockMaker<B> {
  text(text: string): B;
  image(url: string, param: string): B;
  /** The error for a part the provider cannot take (`type` as the caller sent it). */
  refused(type: string, param: string): Error;
}

/**
 * The content's text and image parts, in order. Empty text is left out: providers refuse blank
 * text blocks, which OpenAI clients send freely (`content: ""` beside tool_calls).
 */
export function contentBlocks<B>(
  content: string | readonly ContentPart[] | null | undefined,
  param: string,
  make: BlockMaker<B>,
): B[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return content === "" ? [] : [make.text(content)];
  const blocks: B[] = [];
  content.forEach((part, index) => {
    if (part.type === "text" && typeof part.text === "string") {
      if (part.text !== "") blocks.push(make.text(part.text));
    } else if (part.type === "image_url" && isRecord(part.image_url) && typeof part.image_url.url === "string") {
      blocks.push(make.image(part.image_url.url, `${param}[${index}].image_url.url`));
    } else {
      throw make.refused(part.type, `${param}[${index}]`);
    }
  });
  return blocks;
}

const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*);base64,(.*)$/is;

/** A base64 data URL's media type and data; undefined for anything else. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = DATA_URL.exec(url);
  return match === null ? undefined : { mediaType: match[1] as string, data: match[3] as string };
}
