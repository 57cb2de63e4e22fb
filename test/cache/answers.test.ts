/** A streamed answer gathered whole, and a stored answer replayed as chunks: each the other's inverse. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AnswerGatherer, replayChunks } from "../../src/cache/answers.js";
import type { ChatCompletion, ChatCompletionChunk } from "../../src/wire/chat.js";
import type { TextCompletion, TextCompletionChunk } from "../../src/wire/completions.js";
import { assertOpenAIChat } from "../helpers/openai-chat-schema.js";
import { assertOpenAI } from "../helpers/openai-schema.js";

const USAGE = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 };

test("text: two choices interleaved, logprobs joined; replayed one chunk per choice, then usage", () => {
  const head = { id: "cmpl-1", object: "text_completion" as const, created: 1, model: "m" };
  const lp = (token: string, offset: number) => ({
    tokens: [token],
    token_logprobs: [-0.5],
    top_logprobs: [{ [token]: -0.5 }],
    text_offset: [offset],
  });
  const chunks: TextCompletionChunk[] = [
    { ...head, choices: [{ index: 1, text: "B", logprobs: lp("B", 0), finish_reason: null }] },
    { ...head, choices: [{ index: 0, text: "A", logprobs: lp("A", 0), finish_reason: null }] },
    { ...head, choices: [{ index: 0, text: "a", logprobs: lp("a", 1), finish_reason: "stop" }] },
    { ...head, choices: [{ index: 1, text: "b", logprobs: lp("b", 1), finish_reason: "length" }] },
  ];
  const gatherer = new AnswerGatherer("text_completion");
  for (const chunk of chunks) gatherer.add(chunk);
  const answer = gatherer.answer(USAGE) as TextCompletion;
  const joined = (a: string, b: string) => ({
    tokens: [a, b],
    token_logprobs: [-0.5, -0.5],
    top_logprobs: [{ [a]: -0.5 }, { [b]: -0.5 }],
    text_offset: [0, 1],
  });
  assert.deepEqual(answer, {
    ...head,
    choices: [
      { index: 0, text: "Aa", logprobs: joined("A", "a"), finish_reason: "stop" },
      { index: 1, text: "Bb", logprobs: joined("B", "b"), finish_reason: "length" },
    ],
    usage: USAGE,
  });
  assertOpenAI("CreateCompletionResponse", answer);
  const replayed = replayChunks(answer, true);
  assert.deepEqual(replayed, [
    { ...head, choices: [answer.choices[0]] },
    { ...head, choices: [answer.choices[1]] },
    { ...head, choices: [], usage: USAGE },
  ]);
  for (const chunk of replayed) assertOpenAI("CreateCompletionStreamChunk", chunk);
  assert.equal(replayChunks(answer, false).length, 2);
});

test("chat: content, refusal and parallel tool calls gathered; replayed with the tool calls indexed", () => {
  const head = { id: "chatcmpl-1", object: "chat.completion.chunk" as const, created: 1, model: "m" };
  const chunk = (delta: ChatCompletionChunk["choices"][number]["delta"], finish: "tool_calls" | null = null) => ({
    ...head,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const chunks: ChatCompletionChunk[] = [
    chunk({ role: "assistant", content: "Let me " }),
    chunk({ content: "check." }),
    chunk({ tool_calls: [{ index: 0, id: "c1", type: "function", function: { name: "a", arguments: "{" } }] }),
    chunk({ tool_calls: [{ index: 1, id: "c2", type: "function", function: { name: "b", arguments: "{}" } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: "}" } }] }, "tool_calls"),
  ];
  const gatherer = new AnswerGatherer("chat");
  for (const c of chunks) gatherer.add(c);
  const answer = gatherer.answer(USAGE) as ChatCompletion;
  const tool_calls = [
    { id: "c1", type: "function" as const, function: { name: "a", arguments: "{}" } },
    { id: "c2", type: "function" as const, function: { name: "b", arguments: "{}" } },
  ];
  assert.deepEqual(answer, {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Let me check.", refusal: null, tool_calls },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ],
    usage: USAGE,
  });
  assertOpenAIChat("CreateChatCompletionResponse", answer);
  const replayed = replayChunks(answer, false);
  assert.deepEqual(replayed, [
    {
      ...head,
      choices: [
        {
          index: 0,
          delta: {
            role: "assistant",
            content: "Let me check.",
            tool_calls: tool_calls.map((call, index) => ({ index, ...call })),
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
    },
  ]);
  for (const c of replayed) assertOpenAIChat("CreateChatCompletionStreamResponse", c);
});
