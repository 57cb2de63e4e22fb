/**
 * A callgrind dump's instructions by function, JavaScript included (`BENCH_IR_FUNCTIONS=1` of
 * `npm run bench:instructions`). callgrind names V8's generated code by address only; node's
 * `--perf-basic-prof` writes where each function's code went (`/tmp/perf-<pid>.map`: start,
 * size, name, in the order compiled). With the dump's per-instruction counts
 * (`--dump-instr=yes`, positions not compressed), each instruction is given to the function
 * whose code held it: the last one written at that address, as V8 reuses code space. A function
 * V8 has inlined is counted in its caller. Counts are self counts: a call's inclusive cost is not
 * added to its caller.
 */
import { readFileSync } from "node:fs";

/** Code V8 generated: start address, end, and name (`JS:*replay file:///…:543:16`; `*` optimised, `^` baseline). */
interface CodeRange {
  start: number;
  end: number;
  name: string;
}

function readPerfMap(path: string): CodeRange[] {
  // The last entry written at an address wins: later code replaced the earlier one there.
  const byStart = new Map<number, CodeRange>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const [start, size, ...name] = line.split(" ");
    if (start === undefined || size === undefined || name.length === 0) continue;
    const at = Number.parseInt(start, 16);
    byStart.set(at, { start: at, end: at + Number.parseInt(size, 16), name: name.join(" ") });
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

/** The code range holding `address`, looking back over a few ranges that start before it (ranges may nest). */
function rangeAt(ranges: readonly CodeRange[], address: number): CodeRange | undefined {
  let low = 0;
  let high = ranges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ranges[middle] as CodeRange).start <= address) low = middle + 1;
    else high = middle;
  }
  for (let i = low - 1; i >= Math.max(0, low - 32); i--) {
    const range = ranges[i] as CodeRange;
    if (address < range.end) return range;
  }
  return undefined;
}

/**
 * Instructions by function in `dump` (a callgrind out file written with `--dump-instr=yes
 * --compress-pos=no --compress-strings=no`), divided by `requests`.
 */
export function instructionsByFunction(dump: string, perfMap: string, requests: number): Map<string, number> {
  const ranges = readPerfMap(perfMap);
  const counts = new Map<string, number>();
  let fn = "";
  let object = "";
  // The cost line after `calls=` is the call's inclusive cost, not the caller's own.
  let afterCall = false;
  for (const line of readFileSync(dump, "utf8").split("\n")) {
    if (line.startsWith("ob=")) object = line.slice(3);
    else if (line.startsWith("fn=")) fn = line.slice(3);
    else if (line.startsWith("calls=")) afterCall = true;
    else if (/^0x[0-9a-f]/.test(line)) {
      if (afterCall) {
        afterCall = false;
        continue;
      }
      // Positions "instr line", then the events: Ir first.
      const [address, , ir] = line.split(" ");
      const generated = object === "???" || fn.startsWith("0x");
      const name = generated ? `JIT ${rangeAt(ranges, Number.parseInt(address ?? "0", 16))?.name ?? "(unknown)"}` : fn;
      counts.set(name, (counts.get(name) ?? 0) + Number(ir ?? 0) / requests);
    }
  }
  return counts;
}

/** The functions whose counts differ most between `base` and `other`, largest increase first. */
export function largestDifferences(
  base: ReadonlyMap<string, number>,
  other: ReadonlyMap<string, number>,
  count: number,
): { name: string; base: number; other: number }[] {
  const names = new Set([...base.keys(), ...other.keys()]);
  return [...names]
    .map((name) => ({ name, base: base.get(name) ?? 0, other: other.get(name) ?? 0 }))
    .sort((a, b) => Math.abs(b.other - b.base) - Math.abs(a.other - a.base))
    .slice(0, count)
    .sort((a, b) => b.other - b.base - (a.other - a.base));
}
