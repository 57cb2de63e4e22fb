/**
 * Reading a JSON request body with the checks a public endpoint needs: a JSON content
 * type, a size limit enforced while reading (a large body is refused without being
 * held in memory), a nesting limit checked on the text before it is parsed, and parse
 * errors reported as 400s.
 */
import type { IncomingMessage } from "node:http";
import { AbortError, APIError, BadRequestError } from "../wire/errors.js";
import { clip } from "../wire/validate.js";

/**
 * The deepest nesting of arrays and objects a body may have. OpenAI's requests nest a few
 * levels (a JSON Schema in a tool, some more); every walk of a value after parsing (schemas,
 * logging, forwarding) can then rely on a bounded depth.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether JSON `text` nests arrays and objects deeper than `limit`: one pass over the text, no
 * recursion, skipping strings with indexOf. On text that is not JSON the answer does not matter
 * (the parse refuses it) but the pass stays linear.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      // The string ends at the next quote not escaped by an odd run of backslashes.
      let end = text.indexOf('"', i + 1);
      while (end !== -1) {
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end === -1) return false;
      i = end;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return false;
}

function tooLarge(limit: number): APIError {
  return new APIError(
    `The request body is larger than the gateway's limit of ${limit / 1048576} MB; raise general_settings.max_request_size_mb to allow it.`,
    { status: 413, type: "invalid_request_error", code: "request_too_large" },
  );
}

function isJsonType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(";");
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** The body as text; events rather than `for await`, whose async iterator costs a few µs per request. */
function readText(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (part: Buffer) => {
      size += part.length;
      if (size > limitBytes) {
        req.off("data", onData);
        req.pause();
        reject(tooLarge(limitBytes));
        return;
      }
      parts.push(part);
    };
    let ended = false;
    req.on("data", onData);
    req.once("end", () => {
      ended = true;
      resolve(parts.length === 1 ? (parts[0] as Buffer).toString("utf8") : Buffer.concat(parts).toString("utf8"));
    });
    // A client gone mid-body is no failure of the gateway: nothing to answer, nothing to log as one.
    const gone = () => reject(new AbortError("The client closed the connection before its request body arrived."));
    req.once("error", gone);
    req.once("close", () => {
      if (!ended) gone();
    });
  });
}

export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const contentType = req.headers["content-type"];
  if (!isJsonType(contentType)) {
    throw new BadRequestError(
      contentType === undefined
        ? "The request has no Content-Type; send the JSON body with 'Content-Type: application/json'."
        : `The request's Content-Type is '${clip(contentType)}'; send the JSON body with 'Content-Type: application/json'.`,
      { code: "invalid_content_type" },
    );
  }
  const declared = Number(req.headers["content-length"]);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const text = await readText(req, limitBytes);
  if (text.trim() === "")
    throw new BadRequestError("The request body is empty; send a JSON object.", { code: "invalid_body" });
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new BadRequestError(
      `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; send a flatter body.`,
      {
        code: "invalid_body",
      },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new BadRequestError(`The request body is not valid JSON (${detail}).`, { code: "invalid_json" });
  }
}
