/** How numbers and times are shown. Times are in the browser's time zone, as the charts' axes are. */

export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return value < 0.01 && value > 0 ? `$${value.toPrecision(2)}` : `$${value.toFixed(2)}`;
}

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toLocaleString("en-US");
}

/** A share as a percentage; a small one keeps a digit, so 1 failure in 300 is not "0%". */
export function percent(share: number): string {
  const value = share * 100;
  if (value > 0 && value < 0.1) return "<0.1%";
  return `${value.toFixed(value > 0 && value < 10 ? 1 : 0)}%`;
}

const pad = (value: number) => String(value).padStart(2, "0");

/** An instant as local "YYYY-MM-DD HH:MM:SS". */
export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The browser's time zone, to say which one the times are in. */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Local midnight of a `YYYY-MM-DD` day, `plusDays` later (through DST changes). */
export function localMidnight(day: string, plusDays = 0): Date {
  const [year = 0, month = 1, date = 1] = day.split("-").map(Number);
  return new Date(year, month - 1, date + plusDays);
}

export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${Math.round(value)} ms`;
}

/** How long ago `iso` was, in words ("just now", "3 min ago", "2 h ago"), or its time past a day. */
export function ago(iso: string, now: number = Date.now()): string {
  const seconds = (now - new Date(iso).getTime()) / 1000;
  if (Number.isNaN(seconds)) return iso;
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `on ${when(iso)}`;
}

/** "spend / budget", as the Keys, Teams and Users tables show it. */
export function spendOf(spend: number, maxBudget: number | null): string {
  return `${usd(spend)} / ${maxBudget === null ? "no limit" : usd(maxBudget)}`;
}

/** "rpm / tpm" limits. */
export function limitsOf(rpm: number | null, tpm: number | null): string {
  return `${count(rpm)} / ${count(tpm)}`;
}
