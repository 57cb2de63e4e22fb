/** The text each choice of a stream has generated so far, kept as parts and joined once at the end. */
export class ChoiceTexts {
  private readonly parts = new Map<number, string[]>();

  add(index: number, text: string): void {
    if (text === "") return;
    const parts = this.parts.get(index);
    if (parts === undefined) this.parts.set(index, [text]);
    else parts.push(text);
  }

  /** Each choice that generated text, in the order it first did. */
  list(): { index: number; text: string }[] {
    return [...this.parts].map(([index, parts]) => ({ index, text: parts.join("") }));
  }
}
