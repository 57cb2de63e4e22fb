/**
 * A chat completion stream as the Responses API's semantic events, in the order OpenAI sends
 * them and the official clients expect: response.created and response.in_progress; per
 * output item, output_item.added, then (text) content_part.added, output_text.delta...,
 * output_text.done, content_part.done or (a tool call) function_call_arguments.delta...,
 * function_call_arguments.done; output_item.done; and response.completed (or
 * response.incomplete after a length cut) with the whole response and its usage. Every event
 * has the next `sequence_number`. Pure: chunks in, events out, ids from the caller.
 */
import type { ChatCompletionChunk } from "../../wire/chat.js";
import type { ResponseItem, ResponsesParams, ResponseStreamEvent, ResponseUsage } from "../../wire/responses.js";
import { functionCallItem, type IdMaker, messageItem, outputText, responseShell, responseUsage } from "./response.js";

interface OpenText {
  kind: "text";
  id: string;
  outputIndex: number;
  text: string;
}

interface OpenCall {
  kind: "call";
  id: string;
  outputIndex: number;
  /** The tool call's index in the chat deltas. */
  chatIndex: number;
  callId: string;
  name: string;
  arguments: string;
}

export class ResponseEventTranslator {
  private sequence = 0;
  private started = false;
  private readonly id: string;
  private model: string;
  private createdAt: number;
  private readonly output: ResponseItem[] = [];
  private open: OpenText | OpenCall | undefined;
  private usage: ResponseUsage | null = null;
  private lengthCut = false;

  /** @param model what the response says until a chunk names the upstream model. */
  constructor(
    private readonly params: ResponsesParams,
    private readonly ids: IdMaker,
    model: string,
    createdAt: number,
  ) {
    this.id = ids("resp");
    this.model = model;
    this.createdAt = createdAt;
  }

  /** The response id every event names. */
  get responseId(): string {
    return this.id;
  }

  private event(type: string, fields: Record<string, unknown>): ResponseStreamEvent {
    return { type, sequence_number: this.sequence++, ...fields };
  }

  private shell(status: "in_progress" | "completed" | "incomplete", usage: ResponseUsage | null) {
    return responseShell(this.params, {
      id: this.id,
      createdAt: this.createdAt,
      model: this.model,
      status,
      output: status === "in_progress" ? [] : [...this.output],
      usage,
    });
  }

  private begin(events: ResponseStreamEvent[]): void {
    if (this.started) return;
    this.started = true;
    events.push(this.event("response.created", { response: this.shell("in_progress", null) }));
    events.push(this.event("response.in_progress", { response: this.shell("in_progress", null) }));
  }

  /** Ends the open item (text or tool call) with its done events. */
  private close(events: ResponseStreamEvent[]): void {
    const open = this.open;
    if (open === undefined) return;
    this.open = undefined;
    const at = { item_id: open.id, output_index: open.outputIndex };
    if (open.kind === "text") {
      events.push(this.event("response.output_text.done", { ...at, content_index: 0, text: open.text, logprobs: [] }));
      events.push(this.event("response.content_part.done", { ...at, content_index: 0, part: outputText(open.text) }));
      const item = messageItem(open.id, open.text, "completed");
      this.output.push(item);
      events.push(this.event("response.output_item.done", { output_index: open.outputIndex, item }));
      return;
    }
    events.push(
      this.event("response.function_call_arguments.done", { ...at, name: open.name, arguments: open.arguments }),
    );
    const item = functionCallItem(
      open.id,
      { id: open.callId, name: open.name, arguments: open.arguments },
      "completed",
    );
    this.output.push(item);
    events.push(this.event("response.output_item.done", { output_index: open.outputIndex, item }));
  }

  private text(delta: string, events: ResponseStreamEvent[]): void {
    let open = this.open;
    if (open?.kind !== "text") {
      this.close(events);
      open = { kind: "text", id: this.ids("msg"), outputIndex: this.output.length, text: "" };
      this.open = open;
      events.push(
        this.event("response.output_item.added", {
          output_index: open.outputIndex,
          item: messageItem(open.id, "", "in_progress"),
        }),
      );
      events.push(
        this.event("response.content_part.added", {
          item_id: open.id,
          output_index: open.outputIndex,
          content_index: 0,
          part: outputText(""),
        }),
      );
    }
    open.text += delta;
    events.push(
      this.event("response.output_text.delta", {
        item_id: open.id,
        output_index: open.outputIndex,
        content_index: 0,
        delta,
        logprobs: [],
      }),
    );
  }

  private toolCall(
    call: NonNullable<ChatCompletionChunk["choices"][number]["delta"]["tool_calls"]>[number],
    events: ResponseStreamEvent[],
  ): void {
    let open = this.open;
    if (open?.kind !== "call" || open.chatIndex !== call.index) {
      this.close(events);
      open = {
        kind: "call",
        id: this.ids("fc"),
        outputIndex: this.output.length,
        chatIndex: call.index,
        callId: call.id ?? "",
        name: call.function?.name ?? "",
        arguments: "",
      };
      this.open = open;
      events.push(
        this.event("response.output_item.added", {
          output_index: open.outputIndex,
          item: functionCallItem(open.id, { id: open.callId, name: open.name, arguments: "" }, "in_progress"),
        }),
      );
    }
    const delta = call.function?.arguments;
    if (typeof delta !== "string" || delta === "") return;
    open.arguments += delta;
    events.push(
      this.event("response.function_call_arguments.delta", {
        item_id: open.id,
        output_index: open.outputIndex,
        delta,
      }),
    );
  }

  /** The events one chat chunk makes (the first also opens the response). */
  push(chunk: ChatCompletionChunk): ResponseStreamEvent[] {
    const events: ResponseStreamEvent[] = [];
    if (!this.started) {
      if (typeof chunk.model === "string" && chunk.model !== "") this.model = chunk.model;
      if (typeof chunk.created === "number") this.createdAt = chunk.created;
    }
    this.begin(events);
    if (chunk.usage != null) this.usage = responseUsage(chunk.usage);
    // One answer: n is never asked of the provider, so only the first choice exists.
    const choice = chunk.choices.find((c) => c.index === 0);
    if (choice === undefined) return events;
    const delta = choice.delta;
    const content = typeof delta.content === "string" ? delta.content : delta.refusal;
    if (typeof content === "string" && content !== "") this.text(content, events);
    for (const call of delta.tool_calls ?? []) this.toolCall(call, events);
    if (choice.finish_reason === "length") this.lengthCut = true;
    return events;
  }

  /** The closing events, and the response as it ends (response.completed's, with usage). */
  end(): { events: ResponseStreamEvent[]; response: ReturnType<ResponseEventTranslator["shell"]> } {
    const events: ResponseStreamEvent[] = [];
    this.begin(events);
    this.close(events);
    const status = this.lengthCut ? "incomplete" : "completed";
    const response = this.shell(status, this.usage);
    events.push(this.event(this.lengthCut ? "response.incomplete" : "response.completed", { response }));
    return { events, response };
  }
}
