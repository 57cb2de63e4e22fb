/** OpenAI's function tools and tool_choice in Anthropic's words. */
import type { ChatCompletionParams } from "../../wire/chat.js";
import { isRecord } from "../../wire/validate.js";
import type { Target } from "../types.js";
import { invalidValue } from "./errors.js";

type AnthropicToolChoice =
  | { type: "auto" | "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

export function toolChoice(params: ChatCompletionParams, target: Target): AnthropicToolChoice | undefined {
  const choice = params.tool_choice;
  const disableParallel = params.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice === null) {
    return params.parallel_tool_calls === false ? { type: "auto", ...disableParallel } : undefined;
  }
  if (choice === "none") return { type: "none" };
  if (choice === "auto") return { type: "auto", ...disableParallel };
  if (choice === "required") return { type: "any", ...disableParallel };
  const name = isRecord(choice) && choice.type === "function" && isRecord(choice.function) && choice.function.name;
  if (typeof name === "string") return { type: "tool", name, ...disableParallel };
  throw invalidValue(`Anthropic cannot express tool_choice ${JSON.stringify(choice)}.`, "tool_choice", target);
}

interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

export function tools(params: ChatCompletionParams, target: Target): AnthropicTool[] {
  return (params.tools ?? []).map((tool, index) => {
    if (tool.type !== "function" || !isRecord(tool.function)) {
      const message = `Anthropic takes only function tools (got type '${String(tool.type)}').`;
      throw invalidValue(message, `tools[${index}]`, target);
    }
    const fn = tool.function;
    return {
      name: fn.name,
      ...(fn.description === undefined ? {} : { description: fn.description }),
      // input_schema is required upstream, while OpenAI allows a function without parameters.
      input_schema: fn.parameters ?? { type: "object", properties: {} },
    };
  });
}
