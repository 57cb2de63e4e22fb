/**
 * AWS test doubles built without the code under test: a SigV4 verifier re-deriving the
 * signature with node:crypto (AWS's published algorithm), and an event-stream encoder
 * computing the CRC32s with node:zlib, so a signer or framer bug cannot hide behind itself.
 */
import { createHash, createHmac } from "node:crypto";
import { crc32 } from "node:zlib";
import type { RecordedRequest } from "./mock-upstream.js";

const hmac = (key: Buffer | string, text: string): Buffer => createHmac("sha256", key).update(text, "utf8").digest();
const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** RFC 3986 encoding of a path segment, as SigV4 applies it (once more to an already encoded path). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The signature SigV4 gives `request` (as the server received it) for the secret key. */
export function expectedSignature(
  request: RecordedRequest,
  secretKey: string,
  scope: { region: string; service: string },
): string {
  const authorization = String(request.headers.authorization ?? "");
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1] ?? "";
  const amzDate = String(request.headers["x-amz-date"] ?? "");
  const canonicalHeaders = signedHeaders
    .split(";")
    .map(
      (name) =>
        `${name}:${String(request.headers[name] ?? "")
          .trim()
          .replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const canonicalQuery = Object.entries(request.query)
    .map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`)
    .sort()
    .join("&");
  const canonicalUri = request.path.split("/").map(encodeSegment).join("/");
  const canonicalRequest = [
    request.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    sha256(request.body),
  ].join("\n");
  const day = amzDate.slice(0, 8);
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, credentialScope, sha256(canonicalRequest)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, day), scope.region), scope.service), "aws4_request");
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
}

/** The Authorization header a correct signer sends for `request`. */
export function expectedAuthorization(
  request: RecordedRequest,
  keys: { accessKeyId: string; secretAccessKey: string },
  scope: { region: string; service: string },
): string {
  const authorization = String(request.headers.authorization ?? "");
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1] ?? "";
  const day = String(request.headers["x-amz-date"] ?? "").slice(0, 8);
  return (
    `AWS4-HMAC-SHA256 Credential=${keys.accessKeyId}/${day}/${scope.region}/${scope.service}/aws4_request, ` +
    `SignedHeaders=${signedHeaders}, Signature=${expectedSignature(request, keys.secretAccessKey, scope)}`
  );
}

function stringHeader(name: string, value: string): Buffer {
  const nameBytes = Buffer.from(name, "utf8");
  const valueBytes = Buffer.from(value, "utf8");
  const out = Buffer.alloc(1 + nameBytes.length + 1 + 2 + valueBytes.length);
  out.writeUInt8(nameBytes.length, 0);
  nameBytes.copy(out, 1);
  out.writeUInt8(7, 1 + nameBytes.length); // 7: string
  out.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
  valueBytes.copy(out, 4 + nameBytes.length);
  return out;
}

/** One event-stream message: prelude, prelude CRC, headers, payload, message CRC. */
export function eventMessage(headers: Record<string, string>, payload: unknown): Buffer {
  const headerBytes = Buffer.concat(Object.entries(headers).map(([name, value]) => stringHeader(name, value)));
  const body = Buffer.from(payload === undefined ? "" : JSON.stringify(payload), "utf8");
  const total = 12 + headerBytes.length + body.length + 4;
  const out = Buffer.alloc(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(headerBytes.length, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  headerBytes.copy(out, 12);
  body.copy(out, 12 + headerBytes.length);
  out.writeUInt32BE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}

/** A ConverseStream event of `type`. */
export function converseEvent(type: string, payload: unknown): Buffer {
  return eventMessage({ ":event-type": type, ":content-type": "application/json", ":message-type": "event" }, payload);
}

/** A ConverseStream exception of `type`. */
export function converseException(type: string, message: string): Buffer {
  return eventMessage(
    { ":exception-type": type, ":content-type": "application/json", ":message-type": "exception" },
    { message },
  );
}
