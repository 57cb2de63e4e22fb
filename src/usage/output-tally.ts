/**
 * What the choices of a streamed answer have generated, for counting its tokens when the
 * provider reports none. Never the whole text: each choice keeps at most BATCH characters
 * not yet counted, and a fuller batch is sent to the counting worker at once while the
 * stream goes on, so memory stays bounded and the final count only waits for the tail.
 */
import { countTokens } from "./tokens.js";

/** Characters a choice holds before they are counted. */
export const BATCH = 128 * 1024;
/** A batch is cut at a space this close to its end, so no word is counted in two halves. */
const CUT_WINDOW = 1024;

interface Choice {
  parts: string[];
  length: number;
  /** Characters still to drop from the start (an echoed prompt is not generated text). */
  skip: number;
}

export class OutputTally {
  private readonly choices = new Map<number, Choice>();
  private readonly counted: Promise<number>[] = [];

  /**
   * @param model picks the encoding.
   * @param skipFor characters of choice `index`'s text that are not output (an echoed prompt).
   */
  constructor(
    private readonly model: string,
    private readonly skipFor: (index: number) => number = () => 0,
  ) {}

  add(index: number, text: string): void {
    let choice = this.choices.get(index);
    if (choice === undefined) {
      choice = { parts: [], length: 0, skip: this.skipFor(index) };
      this.choices.set(index, choice);
    }
    let rest = text;
    if (choice.skip > 0) {
      const dropped = Math.min(choice.skip, rest.length);
      choice.skip -= dropped;
      rest = rest.slice(dropped);
    }
    if (rest === "") return;
    choice.parts.push(rest);
    choice.length += rest.length;
    if (choice.length >= BATCH) this.countBatch(choice);
  }

  /** Every choice's output tokens, summed: what was counted along the way plus the tails. */
  async tokens(): Promise<number> {
    const tails: string[] = [];
    for (const choice of this.choices.values()) {
      if (choice.length > 0) tails.push(choice.parts.join(""));
      choice.parts = [];
      choice.length = 0;
    }
    const counts = await Promise.all([...this.counted, countTokens(this.model, tails)]);
    return counts.reduce((sum, count) => sum + count, 0);
  }

  private countBatch(choice: Choice): void {
    const text = choice.parts.join("");
    const space = text.lastIndexOf(" ");
    const cut = space > text.length - CUT_WINDOW ? space : text.length;
    this.counted.push(countTokens(this.model, [text.slice(0, cut)]));
    const rest = text.slice(cut);
    choice.parts = rest === "" ? [] : [rest];
    choice.length = rest.length;
  }
}
