/**
 * The values error messages quote: describe() shows any value in at most 80 characters and
 * reads only what it shows (huge, deep, cyclic, BigInt and hostile values alike); clip() cuts
 * names; listOf() stops at the first bad item; nestsDeeperThan() measures a body's nesting
 * on its text, in one pass.
 */
import assert from "node:assert/strict";
import { describe as group, test } from "node:test";
import { z } from "zod";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "../../src/proxy/body.js";
import { clip, describe, listOf, MAX_MODEL_LENGTH, QUOTE_LIMIT } from "../../src/wire/validate.js";

/** An array `depth` levels deep: [[[...]]]. */
function deepArray(depth: number): unknown[] {
  const root: unknown[] = [];
  let inner = root;
  for (let level = 1; level < depth; level++) {
    const next: unknown[] = [];
    inner.push(next);
    inner = next;
  }
  return root;
}

/**
 * A Proxy over `target` that counts the properties read through it (nested values are proxied
 * too, so reads at any depth count).
 */
function counted<T extends object>(target: T): { value: T; reads: () => number } {
  let reads = 0;
  const wrap = (inner: object): object =>
    new Proxy(inner, {
      get(source, key, receiver) {
        reads += 1;
        const value: unknown = Reflect.get(source, key, receiver);
        return typeof value === "object" && value !== null ? wrap(value) : value;
      },
    });
  return { value: wrap(target) as T, reads: () => reads };
}

group("describe", () => {
  test("the bounds are the documented ones", () => {
    assert.equal(QUOTE_LIMIT, 80);
    assert.equal(MAX_MODEL_LENGTH, 256);
    assert.equal(MAX_JSON_DEPTH, 64);
  });

  test("JSON values up to 80 characters are shown whole, as JSON", () => {
    assert.equal(describe("hello"), '"hello"');
    assert.equal(describe('say "hi"\n'), '"say \\"hi\\"\\n"');
    assert.equal(describe(42), "42");
    assert.equal(describe(-1.5), "-1.5");
    assert.equal(describe(true), "true");
    assert.equal(describe(null), "null");
    assert.equal(describe([]), "[]");
    assert.equal(describe({}), "{}");
    assert.equal(describe({ a: [1, "b", null, { c: false }] }), '{"a":[1,"b",null,{"c":false}]}');
    assert.equal(describe("x".repeat(78)), `"${"x".repeat(78)}"`);
  });

  test("undefined is 'nothing'; NaN and Infinity print as JavaScript writes them, also nested", () => {
    assert.equal(describe(undefined), "nothing");
    assert.equal(describe(Number.NaN), "NaN");
    assert.equal(describe(Number.NEGATIVE_INFINITY), "-Infinity");
    assert.equal(describe([Number.NaN, Number.POSITIVE_INFINITY]), "[NaN,Infinity]");
  });

  test("inside values, undefined, functions and symbols are left out of objects and null in arrays, as in JSON", () => {
    assert.equal(describe({ a: undefined, b: () => 1, c: Symbol("s"), d: 1 }), '{"d":1}');
    assert.equal(describe([undefined, () => 1, Symbol("s")]), "[null,null,null]");
  });

  test("a function or symbol itself is shown by its source or description, cut", () => {
    assert.equal(
      describe(() => true),
      "() => true",
    );
    assert.equal(describe(Symbol("tag")), "Symbol(tag)");
    assert.equal(describe(Symbol("y".repeat(1000))), `Symbol(${"y".repeat(70)}...`);
  });

  test("a 5 MB string is cut to 77 characters plus '...'", () => {
    assert.equal(describe("m".repeat(5 * 1024 * 1024)), `"${"m".repeat(76)}...`);
  });

  test("a string of escapes is cut after escaping: the cut never shows half a string", () => {
    assert.equal(describe("\n".repeat(1000)), `"${"\\n".repeat(38)}...`);
  });

  test("a million-item array is cut, and only its first items are read", () => {
    const { value, reads } = counted(Array.from({ length: 1_000_000 }, (_, i) => i));
    assert.equal(describe(value), "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28...");
    assert.ok(reads() < 100, `read ${reads()} properties`);
  });

  test("an object with huge keys and values is cut within its first key", () => {
    const huge = { ["k".repeat(1_000_000)]: "v".repeat(1_000_000) };
    assert.equal(describe(huge), `{"${"k".repeat(75)}...`);
  });

  test("arrays and objects 100,000 levels deep are cut, without recursion", () => {
    assert.equal(describe(deepArray(100_000)), `${"[".repeat(77)}...`);
    let object: Record<string, unknown> = {};
    for (let level = 0; level < 100_000; level++) object = { a: object };
    assert.equal(describe(object), `${'{"a":'.repeat(15)}{"...`);
  });

  test("a cycle is shown as [Circular] where the value meets itself again", () => {
    const node: Record<string, unknown> = { id: 1 };
    node.self = node;
    node.list = [node, 2];
    assert.equal(describe(node), '{"id":1,"self":[Circular],"list":[[Circular],2]}');
    const ring: unknown[] = [1];
    ring.push(ring);
    assert.equal(describe(ring), "[1,[Circular]]");
  });

  test("the same value twice side by side is not a cycle", () => {
    const shared = { a: 1 };
    assert.equal(describe([shared, shared]), '[{"a":1},{"a":1}]');
  });

  test("BigInts print as digits; a huge one by its size, never printed whole", () => {
    assert.equal(describe(1n), "1");
    assert.equal(describe(-123456789012345678901234567890n), "-123456789012345678901234567890");
    assert.equal(describe({ seed: 12n }), '{"seed":12}');
    assert.equal(describe(2n ** 1000n), "a BigInt of about 302 digits");
    assert.equal(describe(-(2n ** 1000n)), "a BigInt of about 302 digits");
    assert.equal(describe([10n ** 100n]), "[a BigInt of about 101 digits]");
  });

  test("a value whose getter throws, or a revoked proxy, is named, not thrown", () => {
    const hostile = {
      get boom(): never {
        throw new Error("no");
      },
    };
    assert.equal(describe(hostile), "a value that cannot be shown");
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.equal(describe(proxy), "a value that cannot be shown");
  });
});

group("clip", () => {
  test("keeps up to 80 characters, else 77 and '...'", () => {
    assert.equal(clip(""), "");
    assert.equal(clip("a".repeat(80)), "a".repeat(80));
    assert.equal(clip("a".repeat(81)), `${"a".repeat(77)}...`);
    assert.equal(clip("b".repeat(5_000_000)).length, 80);
  });
});

group("listOf", () => {
  const schema = z.object({ items: listOf(z.object({ name: z.string() }), 1) });

  test("valid items pass; the first bad item is reported at its index and path", () => {
    assert.equal(schema.safeParse({ items: [{ name: "a" }, { name: "b" }] }).success, true);
    const issues = schema.safeParse({ items: [{ name: "a" }, { name: 1 }, { name: 2 }] }).error?.issues ?? [];
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [["items", 1, "name"]],
    );
  });

  test("not an array, too few items, or missing: one issue at the list", () => {
    for (const items of [undefined, "x", {}, []]) {
      const issues = schema.safeParse({ items }).error?.issues ?? [];
      assert.deepEqual(
        issues.map((issue) => issue.path),
        [["items"]],
        JSON.stringify(items),
      );
    }
  });

  test("a million bad items: the items after the first bad one are never read", () => {
    const items: unknown[] = [{ name: 1 }];
    let reads = 0;
    const item = {
      get name(): string {
        reads += 1;
        return "x";
      },
    };
    for (let i = 0; i < 1_000_000; i++) items.push(item);
    assert.equal(schema.safeParse({ items }).success, false);
    assert.equal(reads, 0);
  });
});

group("nestsDeeperThan", () => {
  const cases: [text: string, limit: number, deeper: boolean][] = [
    ["{}", 0, true],
    ["{}", 1, false],
    ['{"a":[1,{"b":2}]}', 2, true],
    ['{"a":[1,{"b":2}]}', 3, false],
    // Brackets inside strings do not nest.
    ['{"a":"[[[[[{{{{"}', 1, false],
    // An escaped quote does not end the string; an escaped backslash before a quote does.
    ['{"a":"\\"[[[["}', 1, false],
    ['{"a":"\\\\","b":[[["x"]]]}', 3, true],
    ['{"a":"\\\\\\"[[","b":1}', 1, false],
    // Not JSON: the answer is any, the pass still ends.
    ['"unterminated [[[[', 1, false],
    ["]]]]]][[[", 2, false],
    ["[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH), MAX_JSON_DEPTH, false],
    ["[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, true],
    [`${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${"}".repeat(MAX_JSON_DEPTH + 1)}`, MAX_JSON_DEPTH, true],
  ];
  for (const [text, limit, deeper] of cases) {
    test(`${JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text)} deeper than ${limit}: ${deeper}`, () => {
      assert.equal(nestsDeeperThan(text, limit), deeper);
    });
  }

  test("agrees with the parsed depth on sibling containers (depth is the deepest path, not the count)", () => {
    const wide = JSON.stringify({ a: Array.from({ length: 1000 }, () => [[1]]) });
    assert.equal(nestsDeeperThan(wide, 4), false);
    assert.equal(nestsDeeperThan(wide, 3), true);
  });

  test("100,000 levels and a megabyte of backslashes are answered in one linear pass", () => {
    assert.equal(nestsDeeperThan("[".repeat(100_000) + "]".repeat(100_000), MAX_JSON_DEPTH), true);
    assert.equal(nestsDeeperThan(`["${"\\\\".repeat(500_000)}\\""]`, MAX_JSON_DEPTH), false);
  });
});
