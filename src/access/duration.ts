/**
 * LiteLLM's durations (`duration: "30d"`, `budget_duration: "1mo"`): a whole number and a
 * unit, s, m, h, d, w or mo. Months are calendar months, as budgets reset "on the 1st of
 * next month" style: 1mo from Jan 31 is the last day of February, not March 3.
 */

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+)(s|m|h|d|w|mo)$/;

/** At most a century: beyond it an instant leaves what a Date can hold, and no budget needs it. */
const MAX_MONTHS = 1200;
const MAX_MS = 100 * 365.25 * 86_400_000;

/** True when `text` is a duration this module reads: from 1 unit up to 100 years. */
export function isDuration(text: string): boolean {
  const match = DURATION.exec(text);
  if (match === null) return false;
  const amount = Number(match[1]);
  const unit = match[2] as string;
  return amount > 0 && (unit === "mo" ? amount <= MAX_MONTHS : amount * (UNIT_MS[unit] as number) <= MAX_MS);
}

/** The instant `duration` after `from` (epoch ms). Throws RangeError on text that is not a duration. */
export function addDuration(from: number, duration: string): number {
  const match = DURATION.exec(duration);
  if (match === null) throw new RangeError(`not a duration: ${duration}`);
  const amount = Number(match[1]);
  const unit = match[2] as string;
  if (unit !== "mo") return from + amount * (UNIT_MS[unit] as number);
  const date = new Date(from);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + amount);
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, lastDay));
  return date.getTime();
}
