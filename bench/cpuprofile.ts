/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and ranks functions by self
 * time: the time the sampler found each function itself on top of the stack. Samples
 * can be restricted to time windows (the bench's measured windows, on the same
 * monotonic clock), so warm-up, start-up and idle stretches do not dilute the numbers.
 * "(idle)" is the event loop waiting and is left out of busy time, as is piscina's
 * `atomicsWaitLoop` (a worker thread blocked in Atomics.wait for its next task);
 * "(garbage collector)" and "(program)" (native work outside JS) are costs like any other.
 */
import { readFileSync } from "node:fs";
import { isRecord } from "./child-protocol.js";

export interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, as V8 writes them. */
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  /** µs on the monotonic clock. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfCost {
  /** Function name, "(anonymous)", or a V8 pseudo-frame such as "(garbage collector)". */
  name: string;
  /** file:line, shortened (node_modules/…, dist/…, node:…); empty for pseudo-frames. */
  where: string;
  selfUs: number;
}

export interface ProfileSummary {
  /** Sampled time spent working (not waiting), µs. */
  busyUs: number;
  idleUs: number;
  /** Samples counted (inside the windows when given). */
  samples: number;
  /** Every function with self time, most expensive first. */
  costs: SelfCost[];
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === "number");
}

function callFrameOf(v: unknown): CallFrame | null {
  if (!isRecord(v)) return null;
  const { functionName, url, lineNumber, columnNumber } = v;
  if (typeof functionName !== "string" || typeof url !== "string") return null;
  if (typeof lineNumber !== "number" || typeof columnNumber !== "number") return null;
  return { functionName, url, lineNumber, columnNumber };
}

export function parseCpuProfile(text: string): CpuProfile {
  const v: unknown = JSON.parse(text);
  if (
    !isRecord(v) ||
    !Array.isArray(v.nodes) ||
    typeof v.startTime !== "number" ||
    typeof v.endTime !== "number" ||
    !isNumberArray(v.samples) ||
    !isNumberArray(v.timeDeltas) ||
    v.samples.length !== v.timeDeltas.length
  ) {
    throw new Error("not a V8 .cpuprofile (nodes, startTime, endTime, samples, timeDeltas)");
  }
  const nodes: CpuProfile["nodes"] = [];
  for (const n of v.nodes) {
    const callFrame = isRecord(n) ? callFrameOf(n.callFrame) : null;
    if (!isRecord(n) || typeof n.id !== "number" || callFrame === null) throw new Error("malformed profile node");
    nodes.push({ id: n.id, callFrame });
  }
  return { nodes, startTime: v.startTime, endTime: v.endTime, samples: v.samples, timeDeltas: v.timeDeltas };
}

export function readCpuProfile(path: string): CpuProfile {
  return parseCpuProfile(readFileSync(path, "utf8"));
}

/** A profile URL made readable: from node_modules/ or dist/ on, or as is (node:internal/...). */
export function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) return path.slice(nm + 1);
  const dist = path.lastIndexOf("/dist/");
  if (dist >= 0) return path.slice(dist + 1);
  return path;
}

/** Sampled frames that stand for a thread waiting, not working. */
function isWaiting(frame: CallFrame): boolean {
  return (
    frame.functionName === "(idle)" || (frame.functionName === "atomicsWaitLoop" && frame.url.includes("/piscina/"))
  );
}

/**
 * Self time per function. A sample stands for the time until the next one (the last
 * until endTime), and belongs to a window when it was taken inside it.
 */
export function selfTimes(profile: CpuProfile, windows?: ReadonlyArray<readonly [number, number]>): ProfileSummary {
  const frameOf = new Map<number, CallFrame>();
  for (const n of profile.nodes) frameOf.set(n.id, n.callFrame);
  const byKey = new Map<string, SelfCost>();
  let busyUs = 0;
  let idleUs = 0;
  let counted = 0;
  const inWindow = (t: number): boolean =>
    windows === undefined || windows.some(([start, end]) => t >= start && t <= end);
  const { samples, timeDeltas } = profile;
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i] ?? 0;
    const next = i + 1 < samples.length ? t + (timeDeltas[i + 1] ?? 0) : profile.endTime;
    // V8 occasionally records a negative delta; such a sample stands for no time.
    const us = Math.max(0, next - t);
    if (!inWindow(t)) continue;
    counted++;
    const frame = frameOf.get(samples[i] ?? -1);
    if (frame === undefined) continue;
    if (isWaiting(frame)) {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const key = `${frame.functionName}\0${frame.url}\0${frame.lineNumber}\0${frame.columnNumber}`;
    let cost = byKey.get(key);
    if (cost === undefined) {
      cost = {
        name: frame.functionName === "" ? "(anonymous)" : frame.functionName,
        // Pseudo-frames ("(program)", "(garbage collector)") have no URL.
        where: frame.url === "" ? "" : `${shortUrl(frame.url)}:${frame.lineNumber + 1}`,
        selfUs: 0,
      };
      byKey.set(key, cost);
    }
    cost.selfUs += us;
  }
  const costs = [...byKey.values()].sort((a, b) => b.selfUs - a.selfUs);
  return { busyUs, idleUs, samples: counted, costs };
}

/** The top `n` costs as markdown table rows, per request when `requests` is given. */
export function renderTop(
  summary: Pick<ProfileSummary, "busyUs" | "costs">,
  n: number,
  requests: number | null,
): string {
  const perReq = requests !== null && requests > 0;
  const lines = [
    perReq ? "| self µs/req | % of busy | function | where |" : "| self ms | % of busy | function | where |",
    "|---:|---:|---|---|",
  ];
  for (const c of summary.costs.slice(0, n)) {
    const value = perReq ? (c.selfUs / requests).toFixed(1) : (c.selfUs / 1000).toFixed(1);
    const share = summary.busyUs > 0 ? ((c.selfUs / summary.busyUs) * 100).toFixed(1) : "0";
    lines.push(`| ${value} | ${share} | \`${c.name}\` | ${c.where === "" ? "" : `\`${c.where}\``} |`);
  }
  return lines.join("\n");
}

/** Several threads' summaries as one: busy and idle time add up, costs of the same function too. */
export function mergeSummaries(summaries: readonly ProfileSummary[]): ProfileSummary {
  const byKey = new Map<string, SelfCost>();
  let busyUs = 0;
  let idleUs = 0;
  let samples = 0;
  for (const s of summaries) {
    busyUs += s.busyUs;
    idleUs += s.idleUs;
    samples += s.samples;
    for (const c of s.costs) {
      const key = `${c.name}\0${c.where}`;
      const prev = byKey.get(key);
      if (prev === undefined) byKey.set(key, { ...c });
      else prev.selfUs += c.selfUs;
    }
  }
  return { busyUs, idleUs, samples, costs: [...byKey.values()].sort((a, b) => b.selfUs - a.selfUs) };
}
