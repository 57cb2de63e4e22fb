/**
 * Every call the UI makes to the gateway. The session cookie authenticates it (the browser
 * never holds the master key); a state-changing call also sends the session's CSRF token,
 * which only a page of this origin can have read from /ui/session.
 */

export interface Session {
  role: "admin" | "key";
  key_name: string | null;
  csrf_token: string;
  expires_at: string;
}

let csrfToken = "";
let onSignedOut: () => void = () => undefined;

/** Called with each session the UI learns (sign-in, reload); the token goes on every write. */
export function setSession(session: Session | undefined, signedOut: () => void): void {
  csrfToken = session?.csrf_token ?? "";
  onSignedOut = signedOut;
}

function errorMessage(body: unknown, status: number): string {
  if (typeof body === "object" && body !== null && "error" in body) {
    const error = (body as { error: unknown }).error;
    if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
  }
  return `The gateway answered ${status}.`;
}

/** Sends a request; `body` makes it a JSON POST. Throws the gateway's error message for a non-2xx answer. */
export async function request(path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const method = init.method ?? (body === undefined ? "GET" : "POST");
  if (body !== undefined) headers.set("content-type", "application/json");
  if (method !== "GET") headers.set("x-csrf-token", csrfToken);
  const response = await fetch(path, {
    ...init,
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (response.ok) return response;
  const parsed: unknown = await response.json().catch(() => undefined);
  // The session ended (expired, signed out elsewhere, gateway restarted): back to sign-in.
  if (response.status === 401 && path !== "/ui/login") onSignedOut();
  throw new Error(errorMessage(parsed, response.status));
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return (await (await request(path, body)).json()) as T;
}

/** A query string from the set values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== "") search.set(name, String(value));
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/** A message for any failure, for the page to show. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
