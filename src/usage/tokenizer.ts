/**
 * Token counting that costs linear time whatever the text. A BPE merge is quadratic in
 * the length of one regex piece, and a piece is a run without spaces: 16 KB of one letter
 * took js-tiktoken 43 s, and 100 KB still takes gpt-tokenizer 4 s. So no run longer than
 * MAX_RUN characters ever reaches the merge: a longer run of non-space (or of space)
 * characters is counted in MAX_RUN-character slices. Ordinary text (words shorter than
 * MAX_RUN) is counted exactly; a long run can come out about one token per slice high.
 *
 * This module holds no encoding itself: the worker (token-worker.ts) loads one and hands
 * its count function here.
 */

export type EncodingName = "cl100k_base" | "o200k_base";

const O200K_MODEL = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)/;

/**
 * tiktoken's table: o200k_base for the 4o/4.1/4.5/5/o-series, cl100k_base for the rest (an
 * approximation for non-OpenAI models).
 */
export function encodingFor(model: string): EncodingName {
  const name = model.slice(model.lastIndexOf("/") + 1);
  return O200K_MODEL.test(name) ? "o200k_base" : "cl100k_base";
}

/** The longest run of space or non-space characters counted in one piece. */
export const MAX_RUN = 48;

/** Unicode white space as the tokenizers' `\s` sees it. */
function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** Tokens in `text` by `count`, with every run longer than MAX_RUN cut into slices (see above). */
export function countCapped(count: (text: string) => number, text: string): number {
  let total = 0;
  let segment = 0;
  let run = 0;
  let spaceRun = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (space !== spaceRun || i === 0) {
      spaceRun = space;
      run = i;
      continue;
    }
    if (i - run < MAX_RUN) continue;
    // Never between the two halves of a surrogate pair: each half alone is not a character.
    const code = text.charCodeAt(i);
    const cut = code >= 0xdc00 && code <= 0xdfff ? i + 1 : i;
    total += count(text.slice(segment, cut));
    segment = cut;
    run = cut;
    i = cut - 1;
  }
  return segment < text.length ? total + count(text.slice(segment)) : total;
}
