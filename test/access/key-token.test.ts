import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { addDuration, isDuration } from "../../src/access/duration.js";
import { generateKeyToken, hashKey, keyHashOf, keyName } from "../../src/access/key-token.js";

test("keys are sk- and 43 base62 characters, all different, every character used", () => {
  const keys = new Set<string>();
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const key = generateKeyToken();
    assert.match(key, /^sk-[0-9A-Za-z]{43}$/);
    keys.add(key);
    for (const char of key.slice(3)) seen.add(char);
  }
  assert.equal(keys.size, 2000);
  assert.equal(seen.size, 62);
});

test("a key is stored as its SHA-256 hex, named by its last four characters; the API takes either form", () => {
  const key = "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
  const hash = createHash("sha256").update(key).digest("hex");
  assert.equal(hashKey(key), hash);
  assert.equal(keyName(key), "sk-...DEFG");
  assert.equal(keyHashOf(key), hash);
  assert.equal(keyHashOf(hash), hash);
});

test("durations: s, m, h, d, w and calendar months", () => {
  const jan31 = Date.UTC(2027, 0, 31, 12);
  assert.equal(addDuration(jan31, "30s"), jan31 + 30_000);
  assert.equal(addDuration(jan31, "30m"), jan31 + 1_800_000);
  assert.equal(addDuration(jan31, "24h"), jan31 + 86_400_000);
  assert.equal(addDuration(jan31, "30d"), jan31 + 30 * 86_400_000);
  assert.equal(addDuration(jan31, "1w"), jan31 + 7 * 86_400_000);
  // A month from January 31 is the last day of February, not March 3.
  assert.equal(new Date(addDuration(jan31, "1mo")).toISOString(), "2027-02-28T12:00:00.000Z");
  assert.equal(new Date(addDuration(jan31, "13mo")).toISOString(), "2028-02-29T12:00:00.000Z");
  for (const good of ["1s", "30d", "1mo", "12w"]) assert.equal(isDuration(good), true, good);
  for (const bad of ["0d", "30", "d", "1.5h", "1y", " 1d", "-1d", "999999999d", "1201mo"])
    assert.equal(isDuration(bad), false, bad);
  for (const edge of ["36524d", "1200mo"]) assert.equal(isDuration(edge), true, edge);
  assert.throws(() => addDuration(0, "1y"), RangeError);
});
