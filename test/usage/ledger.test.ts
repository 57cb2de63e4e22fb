import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Countable, type SettledUsage, UsageLedger } from "../../src/usage/ledger.js";
import { countTokens } from "../../src/usage/tokens.js";
import type { CompletionUsage } from "../../src/wire/completions.js";

const MODEL = "gpt-4o-mini";
const PROMPT = "Say this is a test";

/** One request's worth of what the ledger is shown, and what it must conclude. */
interface Case {
  name: string;
  /** The caller needs usage (a non-streamed answer, or include_usage). */
  count: boolean;
  bills: boolean;
  /** Characters of choice `index` that echo the prompt. */
  echoed?: (index: number) => number;
  items: Countable[];
  /** A fan-out's summed usage, reported after the items. */
  report?: CompletionUsage;
  /** The output texts whose tokens are the completion (when counted), or the usage expected as reported. */
  expected: { outputs: string[]; estimated: true } | { usage: CompletionUsage; estimated: false } | undefined;
}

const usage = (prompt_tokens: number, completion_tokens: number): CompletionUsage => ({
  prompt_tokens,
  completion_tokens,
  total_tokens: prompt_tokens + completion_tokens,
});
const text = (index: number, piece: string): Countable => ({ choices: [{ index, text: piece }] });
const delta = (index: number, content: string | null, args?: string): Countable => ({
  choices: [
    { index, delta: { content, tool_calls: args === undefined ? undefined : [{ function: { arguments: args } }] } },
  ],
});

const CASES: Case[] = [
  {
    name: "text stream, provider reports usage",
    count: true,
    bills: true,
    items: [text(0, "Hello"), text(0, " world"), { choices: [], usage: usage(5, 2) }],
    expected: { usage: usage(5, 2), estimated: false },
  },
  {
    name: "text stream, no usage: counted from every piece",
    count: true,
    bills: false,
    items: [text(0, "Hello"), text(0, " world")],
    expected: { outputs: ["Hello world"], estimated: true },
  },
  {
    name: "text answer with echo: the echoed prompt is not output",
    count: true,
    bills: false,
    echoed: () => PROMPT.length,
    items: [{ choices: [{ index: 0, text: `${PROMPT} and more` }] }],
    expected: { outputs: [" and more"], estimated: true },
  },
  {
    name: "chat stream, no usage: content of every choice",
    count: true,
    bills: true,
    items: [delta(0, "The answer"), delta(1, "Another one"), delta(0, " is 42")],
    expected: { outputs: ["The answer is 42", "Another one"], estimated: true },
  },
  {
    name: "chat stream with tool calls: the arguments are output too",
    count: true,
    bills: true,
    items: [delta(0, null, '{"city":'), delta(0, null, '"Paris"}')],
    expected: { outputs: ['{"city":"Paris"}'], estimated: true },
  },
  {
    name: "chat answer with a message and tool calls",
    count: true,
    bills: false,
    items: [
      {
        choices: [{ index: 0, message: { content: "Checking", tool_calls: [{ function: { arguments: '{"q":1}' } }] } }],
      },
    ],
    expected: { outputs: ['Checking{"q":1}'], estimated: true },
  },
  {
    name: "fan-out: the calls' summed usage wins over counting",
    count: true,
    bills: true,
    items: [text(0, "one"), text(1, "two")],
    report: usage(10, 4),
    expected: { usage: usage(10, 4), estimated: false },
  },
  {
    name: "cut short (the client left mid-stream): what was generated so far",
    count: false,
    bills: true,
    items: [delta(0, "Half of an"), delta(0, " answer")],
    expected: { outputs: ["Half of an answer"], estimated: true },
  },
  {
    name: "usage reported mid-way stops the count (Anthropic reports it before the end)",
    count: true,
    bills: true,
    items: [delta(0, "a"), { choices: [], usage: usage(3, 9) }, delta(0, "b")],
    expected: { usage: usage(3, 9), estimated: false },
  },
  {
    name: "nobody needs usage and none came: only the prompt is known",
    count: false,
    bills: false,
    items: [text(0, "ignored")],
    expected: { outputs: [], estimated: true },
  },
];

describe("UsageLedger: one expectation table for every kind of request", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const ledger = new UsageLedger(c.bills);
      ledger.begin({ model: MODEL, promptTokens: () => countTokens(MODEL, [PROMPT]), echoed: c.echoed }, c.count);
      for (const item of c.items) ledger.observe(item);
      if (c.report !== undefined) ledger.report(c.report);
      const settled = await ledger.settle();
      let expected: SettledUsage | undefined;
      const e = c.expected;
      if (e?.estimated) {
        const prompt = await countTokens(MODEL, [PROMPT]);
        const completion = e.outputs.length === 0 ? 0 : await countTokens(MODEL, e.outputs);
        expected = { usage: usage(prompt, completion), estimated: true };
      } else if (e !== undefined) {
        expected = e;
      }
      assert.deepEqual(settled, expected);
      assert.deepEqual(ledger.known, expected);
    });
  }

  test("before any attempt there is nothing to bill", async () => {
    const ledger = new UsageLedger(true);
    assert.equal(ledger.began, false);
    assert.equal(await ledger.settle(), undefined);
  });

  test("a new attempt forgets what the failed one showed", async () => {
    const ledger = new UsageLedger(true);
    const basis = { model: MODEL, promptTokens: async () => 4 };
    ledger.begin(basis, true);
    ledger.observe(delta(0, "from the failed deployment"));
    ledger.begin(basis, true);
    ledger.observe(delta(0, "ok"));
    assert.deepEqual(await ledger.settle(), { usage: usage(4, await countTokens(MODEL, ["ok"])), estimated: true });
  });
});
