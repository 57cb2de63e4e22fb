/**
 * The admin UI's sign-in: POST /ui/login with {"key": "..."} checks the key (access-control's
 * signIn) and sets the session cookie; GET /ui/session says who is signed in and hands the
 * page its CSRF token; POST /ui/logout ends the session. The answer to sign-in never echoes
 * the key, even when the body is malformed; failed sign-ins are bounded per client address.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { z } from "zod";
import { SESSION_COOKIE, type Session } from "../../access/sessions.js";
import { AuthenticationError, BadRequestError } from "../../wire/errors.js";
import { readJsonBody } from "../body.js";
import type { RequestContext } from "../context.js";
import type { Gateway } from "../gateway.js";
import { sendJson } from "../respond.js";
import { assertUiEnabled, withUiHeaders } from "./security.js";

/** No key is longer; a longer string is refused before it is hashed. */
const MAX_KEY_LENGTH = 1024;

const loginBody = z.object({ key: z.string().min(1).max(MAX_KEY_LENGTH) });

/** Over https (directly, or per the proxy in front's x-forwarded-proto), the cookie is Secure. */
function overHttps(req: IncomingMessage): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted === true) return true;
  const forwarded = req.headers["x-forwarded-proto"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim().toLowerCase();
  return first === "https";
}

function cookie(req: IncomingMessage, value: string, maxAgeSeconds: number): string {
  const secure = overHttps(req) ? "; Secure" : "";
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure}`;
}

/** What the page learns of its session: never the key, only who it is and the CSRF token. */
function sessionView(session: Session) {
  return {
    role: session.role,
    key_name: session.role === "key" ? session.keyName : null,
    csrf_token: session.csrfToken,
    expires_at: new Date(session.expiresAt).toISOString(),
  };
}

export async function uiLogin(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  assertUiEnabled(gateway);
  const parsed = loginBody.safeParse(await readJsonBody(req, gateway.maxBodyBytes));
  if (!parsed.success) {
    throw new BadRequestError(
      `POST /ui/login takes {"key": "<master key or virtual key>"}, a string of 1 to ${MAX_KEY_LENGTH} characters.`,
      { param: "key", code: "invalid_value" },
    );
  }
  const now = Date.now();
  // The connection's own address: a header saying otherwise is the client's to forge.
  const session = await gateway.access.signIn(parsed.data.key, now, req.socket.remoteAddress ?? "unknown");
  const headers = withUiHeaders(ctx.headers());
  headers["set-cookie"] = cookie(req, session.id, Math.floor((session.expiresAt - now) / 1000));
  headers["cache-control"] = "no-store";
  sendJson(res, 200, sessionView(session), headers);
}

export async function uiSession(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  assertUiEnabled(gateway);
  const session = gateway.access.sessions.fromRequest(req, Date.now());
  if (session === undefined) {
    throw new AuthenticationError("Not signed in (or the session expired): sign in at /ui.", { code: "no_session" });
  }
  const headers = withUiHeaders(ctx.headers());
  headers["cache-control"] = "no-store";
  sendJson(res, 200, sessionView(session), headers);
}

export async function uiLogout(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  assertUiEnabled(gateway);
  const { sessions } = gateway.access;
  const session = sessions.fromRequest(req, Date.now());
  if (session !== undefined) {
    sessions.checkCsrf(session, req);
    sessions.end(session.id);
  }
  const headers = withUiHeaders(ctx.headers());
  headers["set-cookie"] = cookie(req, "", 0);
  sendJson(res, 200, { signed_out: true }, headers);
}
