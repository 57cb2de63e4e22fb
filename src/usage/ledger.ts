/**
 * One request's usage, in one place: every chunk or answer the caller receives passes here
 * once, and here alone is it decided whether the usage is the provider's own report or a
 * count made with the model's tokenizer. Spend, cost headers, log lines and the Router's
 * tpm all read it. Outputs are kept only while a count may be needed, never whole (see
 * OutputTally), and counting runs off the event loop (see tokens.ts).
 */
import type { CompletionUsage } from "../wire/completions.js";
import { OutputTally } from "./output-tally.js";

/** What counting a request needs: the upstream model (its encoding), and its prompt. */
export interface UsageBasis {
  /** The upstream model name, which picks the encoding. */
  model: string;
  /** The prompt's tokens, counted only when the provider reports no usage. */
  promptTokens(): Promise<number>;
  /** Characters at the start of choice `index` that echo its prompt (not output). */
  echoed?: ((index: number) => number) | undefined;
}

/** Either endpoint's choice, streamed or whole: what of it is generated output. */
interface AnyChoice {
  index: number;
  text?: unknown;
  delta?: Generated | undefined;
  message?: Generated | undefined;
}

interface Generated {
  content?: unknown;
  tool_calls?: readonly { function?: { arguments?: unknown } }[] | null | undefined;
}

/** A text or chat completion, or a chunk of either. */
export interface Countable {
  choices: readonly AnyChoice[];
  usage?: CompletionUsage | null | undefined;
}

export interface SettledUsage {
  usage: CompletionUsage;
  /** Counted here rather than reported by the provider. */
  estimated: boolean;
}

export class UsageLedger {
  private basis: UsageBasis | undefined;
  private tally: OutputTally | undefined;
  private counted: Promise<SettledUsage> | undefined;
  private settled: SettledUsage | undefined;

  /**
   * @param bills the usage is billed (spend, budgets): missing usage is counted, and a
   * stream asks its provider for usage on the caller's behalf.
   */
  constructor(readonly bills = false) {}

  /**
   * An attempt begins on `basis`: what an earlier attempt showed is forgotten. `count`: the
   * caller needs usage even if the provider sends none (outputs are then kept for counting).
   */
  begin(basis: UsageBasis, count: boolean): void {
    this.basis = basis;
    this.tally = count || this.bills ? new OutputTally(basis.model, basis.echoed) : undefined;
    this.counted = undefined;
    this.settled = undefined;
  }

  /** True once an attempt has begun: from then on its prompt may be billed. */
  get began(): boolean {
    return this.basis !== undefined;
  }

  /** A chunk or answer on its way to the caller. */
  observe(item: Countable): void {
    if (item.usage != null) this.report(item.usage);
    const tally = this.tally;
    if (tally === undefined) return;
    for (const choice of item.choices) {
      if (typeof choice.text === "string") tally.add(choice.index, choice.text);
      const generated = choice.delta ?? choice.message;
      if (generated === undefined) continue;
      if (typeof generated.content === "string") tally.add(choice.index, generated.content);
      // Tool-call arguments are generated tokens too, billed as output.
      for (const call of generated.tool_calls ?? []) {
        const args = call.function?.arguments;
        if (typeof args === "string") tally.add(choice.index, args);
      }
    }
  }

  /** The provider's usage (or the sum of a fan-out's calls): nothing needs counting any more. */
  report(usage: CompletionUsage): void {
    this.tally = undefined;
    this.settled = { usage, estimated: false };
  }

  /** The usage known now: reported, or already counted; undefined while neither. */
  get known(): SettledUsage | undefined {
    return this.settled;
  }

  /** The provider's usage, else the count of the prompt and what was observed; undefined before any attempt. */
  settle(): Promise<SettledUsage | undefined> {
    if (this.settled !== undefined) return Promise.resolve(this.settled);
    const basis = this.basis;
    if (basis === undefined) return Promise.resolve(undefined);
    this.counted ??= this.count(basis);
    return this.counted;
  }

  private async count(basis: UsageBasis): Promise<SettledUsage> {
    const tally = this.tally;
    const [prompt_tokens, completion_tokens] = await Promise.all([basis.promptTokens(), tally?.tokens() ?? 0]);
    const counted = {
      usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
      estimated: true,
    };
    // A report that came while counting wins: it is the provider's word.
    this.settled ??= counted;
    return this.settled;
  }
}
