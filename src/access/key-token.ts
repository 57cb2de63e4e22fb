/**
 * Virtual keys as clients hold them and as the store keeps them. A key is `sk-` and 43
 * base62 characters (256 bits from the OS's CSPRNG); the store only ever sees its
 * SHA-256, so a leaked database leaks no usable key.
 */
import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** 43 base62 characters carry 256.05 bits: at least 32 random bytes' worth. */
const KEY_CHARS = 43;
/** Bytes at or above this are skipped, so every character is equally likely (248 = 4 x 62). */
const UNBIASED_BELOW = 248;

export function generateKeyToken(): string {
  let key = "sk-";
  while (key.length < 3 + KEY_CHARS) {
    for (const byte of randomBytes(64)) {
      if (byte >= UNBIASED_BELOW) continue;
      key += ALPHABET[byte % 62];
      if (key.length === 3 + KEY_CHARS) break;
    }
  }
  return key;
}

const KEY_TOKEN = /^sk-[0-9A-Za-z]{43}$/;

/** True for text shaped like a key this gateway generates: anything else is refused before any lookup. */
export function isKeyToken(text: string): boolean {
  return KEY_TOKEN.test(text);
}

/** The store's id of a key: SHA-256 hex of the plaintext. */
export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** How a key is shown after generation: enough to recognise it, useless to anyone who reads it. */
export function keyName(key: string): string {
  return `sk-...${key.slice(-4)}`;
}

const HASH = /^[0-9a-f]{64}$/;

/**
 * The hash a management request means: the API takes either the plaintext key (as LiteLLM's
 * does) or its hash (what /key/list and /key/info answer with, since the plaintext is gone).
 */
export function keyHashOf(keyOrHash: string): string {
  return HASH.test(keyOrHash) ? keyOrHash : hashKey(keyOrHash);
}
