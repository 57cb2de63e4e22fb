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

/** An ISO date (2026-11-25) or date-time as epoch ms; undefined when absent. */
export function dateParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === "") return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(text)
    ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text)
    : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new BadRequestError(
      `Invalid '${name}': got '${clip(text)}'. It must be a date (2026-11-25) or an ISO 8601 date-time.`,
      {
        param: name,
        code: "invalid_value",
      },
    );
  }
  return ms;
}
