/**
 * Who may call the gateway: with a master key configured, requests must carry it as
 * `Authorization: Bearer <key>` or `api-key: <key>`; without one the gateway is open.
 * The comparison takes the same time whatever the key, so it leaks nothing by timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { AuthenticationError } from "../wire/errors.js";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** The key a client presented, if any. */
export function presentedKey(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined && /^bearer /i.test(authorization)) return authorization.slice(7).trim();
  const apiKey = req.headers["api-key"];
  if (typeof apiKey === "string") return apiKey.trim();
  return authorization?.trim();
}

export type Authenticate = (req: IncomingMessage) => void;

export function masterKeyAuth(masterKey: string | undefined, missingVariable?: string): Authenticate {
  if (missingVariable !== undefined) {
    // Configured but unset: refusing is safe, running open by accident is not.
    return () => {
      throw new AuthenticationError(
        `The gateway's master key is read from ${missingVariable}, which is not set; set it and restart the gateway.`,
        { code: "master_key_not_set" },
      );
    };
  }
  if (masterKey === undefined || masterKey === "") return () => undefined;
  const expected = digest(masterKey);
  return (req) => {
    const key = presentedKey(req);
    if (key === undefined || key === "") {
      throw new AuthenticationError(
        "No API key: send your key as 'Authorization: Bearer <key>' (or the 'api-key' header).",
        { code: "missing_api_key" },
      );
    }
    // Hashing first makes both sides the same length, as timingSafeEqual requires.
    if (!timingSafeEqual(digest(key), expected)) {
      throw new AuthenticationError("Invalid API key: the key sent is not one this gateway accepts.", { code: "invalid_api_key" });
    }
  };
}
