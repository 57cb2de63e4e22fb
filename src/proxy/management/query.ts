/** Query strings of the management routes: required ids, pages, dates; each bad one a 400 naming it. */
import type { IncomingMessage } from "node:http";
import { BadRequestError } from "../../wire/errors.js";
import { clip } from "../../wire/validate.js";

/**
 * The query string, refusing names the route does not read: a mistyped filter must not
 * quietly answer with everything.
 */
export function queryOf(req: IncomingMessage, route: string, known: readonly string[]): URLSearchParams {
  const url = req.url ?? "/";
  const mark = url.indexOf("?");
  const query = new URLSearchParams(mark === -1 ? "" : url.slice(mark + 1));
  for (const name of query.keys()) {
    if (!known.includes(name)) {
      // Cut: the name is the client's, of any length the URL allows.
      throw new BadRequestError(
        `${route} does not take '${clip(name)}' in the query string; it takes: ${known.join(", ")}.`,
        {
          param: clip(name),
          code: "unsupported_param",
        },
      );
    }
  }
  return query;
}

export function requiredParam(query: URLSearchParams, name: string, route: string): string {
  const value = query.get(name);
  if (value === null || value === "") {
    throw new BadRequestError(`${route} needs '${name}' in the query string, e.g. ${route}?${name}=...`, {
      param: name,
      code: "missing_param",
    });
  }
  return value;
}

function wholeNumber(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new BadRequestError(
      `Invalid '${name}': got '${clip(text)}'. It must be a whole number from ${min} to ${max}.`,
      {
        param: name,
        code: "invalid_value",
      },
    );
  }
  return value;
}

export interface PageQuery {
  page: number;
  size: number;
  offset: number;
}

/** `page` (from 1) and `sizeName` (rows per page, at most `maxSize`). */
export function pageOf(query: URLSearchParams, sizeName = "size", defaultSize = 50, maxSize = 1000): PageQuery {
  const page = wholeNumber(query, "page", 1, 1, 1_000_000);
  const size = wholeNumber(query, sizeName, defaultSize, 1, maxSize);
  return { page, size, offset: (page - 1) * size };
}

const DATE = /^(\d{4}-\d{2}-\d{2})$/;
/** A date-time with `T` or a space (LiteLLM's "%Y-%m-%d %H:%M:%S"); without a zone it is UTC. */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:\d{2})?$/;

const DAY_MS = 86_400_000;

function badDate(name: string, text: string): BadRequestError {
  return new BadRequestError(
    `Invalid '${name}': got '${clip(text)}'. It must be a date (2026-11-25) or a date-time (2026-11-25T13:45:00Z, or 2026-11-25 13:45:00 in UTC).`,
    { param: name, code: "invalid_value" },
  );
}

/** A date (midnight UTC) or date-time as epoch ms, and whether it was a whole day; undefined when absent. */
function parseDate(query: URLSearchParams, name: string): { ms: number; day: boolean } | undefined {
  const text = query.get(name);
  if (text === null || text === "") return undefined;
  const date = DATE.exec(text);
  const dateTime = date === null ? DATE_TIME.exec(text) : null;
  const day = date?.[1] ?? dateTime?.[1];
  if (day === undefined) throw badDate(name, text);
  const ms = Date.parse(dateTime === null ? `${day}T00:00:00Z` : `${day}T${dateTime[2]}${dateTime[3] ?? "Z"}`);
  // Date.parse rolls 2026-02-31 over into March: a day that does not exist is refused.
  if (Number.isNaN(ms) || new Date(Date.parse(`${day}T00:00:00Z`)).toISOString().slice(0, 10) !== day) {
    throw badDate(name, text);
  }
  return { ms, day: dateTime === null };
}

/** An ISO date (2026-11-25) or date-time as epoch ms; undefined when absent. */
export function dateParam(query: URLSearchParams, name: string): number | undefined {
  return parseDate(query, name)?.ms;
}

/**
 * The range of `start_date` and `end_date` as [from, to): an end given as a date takes in its
 * whole day, an end given as a date-time that instant. A start after the end is a 400.
 */
export function dateRange(
  query: URLSearchParams,
  required = false,
): { from: number | undefined; to: number | undefined } {
  if (required) {
    for (const name of ["start_date", "end_date"]) {
      const value = query.get(name);
      if (value === null || value === "") {
        throw new BadRequestError(`'${name}' is required: a date such as 2026-11-25, or a date-time.`, {
          param: name,
          code: "missing_param",
        });
      }
    }
  }
  const start = parseDate(query, "start_date");
  const end = parseDate(query, "end_date");
  const to = end === undefined ? undefined : end.day ? end.ms + DAY_MS : end.ms + 1;
  if (start !== undefined && to !== undefined && start.ms >= to) {
    throw new BadRequestError("'start_date' is after 'end_date': give a start on or before the end.", {
      param: "start_date",
      code: "invalid_value",
    });
  }
  return { from: start?.ms, to };
}

/** One of `allowed`, or `fallback` when absent; anything else a 400 listing them. */
export function choiceParam<T extends string, F extends T | undefined>(
  query: URLSearchParams,
  name: string,
  allowed: readonly T[],
  fallback: F,
): T | F {
  const text = query.get(name);
  if (text === null || text === "") return fallback;
  const found = allowed.find((value) => value === text);
  if (found === undefined) {
    throw new BadRequestError(`Invalid '${name}': got '${clip(text)}'. It must be one of: ${allowed.join(", ")}.`, {
      param: name,
      code: "invalid_value",
    });
  }
  return found;
}

/** A whole number from 1 to `max`, or `fallback` when absent. */
export function limitParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  return wholeNumber(query, name, fallback, 1, max);
}
