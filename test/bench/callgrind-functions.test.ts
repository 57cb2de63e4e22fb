/**
 * `npm run bench:instructions`' count by function (BENCH_IR_FUNCTIONS): a callgrind dump's
 * instructions given to native functions by name and to V8's generated code by node's perf map.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { instructionsByFunction, largestDifferences } from "../../bench/callgrind-functions.js";

const dir = mkdtempSync(join(tmpdir(), "litegate-callgrind-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// Code at 0x1000 was first `old`, then `replay` was written over it; `encode` at 0x2000.
const PERF_MAP = [
  "1000 80 JS:*old file:///a.js:1:1",
  "2000 40 JS:*encode file:///a.js:9:1",
  "1000 80 JS:*replay file:///a.js:5:1",
  "",
].join("\n");

// Positions "instr line", one event (Ir). The line after `calls=` is the call's inclusive cost.
const DUMP = [
  "version: 1",
  "positions: instr line",
  "events: Ir",
  "ob=/usr/bin/node",
  "fn=Builtins_LoadIC",
  "0x5000 0 300",
  "0x5004 0 100",
  "ob=???",
  "fn=0x0000000000001000",
  "0x1000 0 40",
  "0x1010 0 60",
  "cob=/usr/bin/node",
  "cfn=Builtins_LoadIC",
  "calls=2 0x5000 0",
  "0x1020 0 400",
  "0x1024 0 20",
  "fn=0x0000000000002000",
  "0x2004 0 10",
  "0x3000 0 7",
  "",
].join("\n");

describe("bench:instructions by function", () => {
  test("native code by its name, V8's by the code last written at the address; a call's inclusive cost is not its caller's", () => {
    writeFileSync(join(dir, "perf.map"), PERF_MAP);
    writeFileSync(join(dir, "callgrind.out"), DUMP);
    const counts = instructionsByFunction(join(dir, "callgrind.out"), join(dir, "perf.map"), 10);
    assert.deepEqual(Object.fromEntries(counts), {
      Builtins_LoadIC: 40,
      "JIT JS:*replay file:///a.js:5:1": 12,
      "JIT JS:*encode file:///a.js:9:1": 1,
      "JIT (unknown)": 0.7,
    });
  });

  test("the largest differences, largest increase first", () => {
    const base = new Map([
      ["a", 10],
      ["b", 100],
      ["c", 5],
    ]);
    const other = new Map([
      ["a", 30],
      ["b", 60],
      ["d", 1],
    ]);
    assert.deepEqual(largestDifferences(base, other, 3), [
      { name: "a", base: 10, other: 30 },
      { name: "c", base: 5, other: 0 },
      { name: "b", base: 100, other: 60 },
    ]);
  });
});
