/**
 * Admin UI sessions: what the browser holds instead of a key. Signing in at /ui/login with
 * the master key (or a virtual key) creates one; its random id goes in an HttpOnly cookie,
 * and the request then authenticates as that key (access-control.ts). Sessions live in this
 * process's memory only: a restart, or another instance behind the same balancer, signs
 * everyone out (they sign in again), and no key or session id is ever written to disk.
 *
 * Each session has a CSRF token, which the UI reads from /ui/login or /ui/session (a page of
 * another origin cannot) and sends in `x-csrf-token` on every state-changing request.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { PermissionDeniedError } from "../wire/errors.js";

export const SESSION_COOKIE = "litegate_session";
export const CSRF_HEADER = "x-csrf-token";

/** Twelve hours: a working day at the console, then sign in again. */
export const DEFAULT_SESSION_TTL_MS = 12 * 3_600_000;
/** Live sessions kept at most; past it the oldest go first (a flood of sign-ins cannot grow memory). */
const MAX_SESSIONS = 10_000;
/**
 * Live sessions one key (or the master key) holds at most; past it its own oldest goes. So
 * one virtual key signing in again and again cannot push everyone else's sessions out.
 */
const MAX_SESSIONS_PER_KEY = 20;

/** Whose a session is, for the per-key bound. */
function ownerOf(who: SessionRole): string {
  return who.role === "admin" ? "admin" : `key:${who.keyHash}`;
}

/** Who a session acts as: the master key, or one virtual key (by its hash; the plaintext is never kept). */
export type SessionRole = { role: "admin" } | { role: "key"; keyHash: string; keyName: string };

export type Session = SessionRole & {
  id: string;
  csrfToken: string;
  expiresAt: number;
};

/** Methods that change nothing: they need no CSRF token. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isSafeMethod(method: string | undefined): boolean {
  return SAFE_METHODS.has(method ?? "GET");
}

/** The session id in a request's Cookie header, if it has one. */
function cookieOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const equals = part.indexOf("=");
    if (equals !== -1 && part.slice(0, equals).trim() === SESSION_COOKIE) return part.slice(equals + 1).trim();
  }
  return undefined;
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class Sessions {
  private readonly live = new Map<string, Session>();

  constructor(readonly ttlMs: number = DEFAULT_SESSION_TTL_MS) {}

  create(who: SessionRole, now: number): Session {
    this.boundOwner(ownerOf(who), now);
    if (this.live.size >= MAX_SESSIONS) this.evict(now);
    const session: Session = {
      ...who,
      id: randomBytes(32).toString("base64url"),
      csrfToken: randomBytes(32).toString("base64url"),
      expiresAt: now + this.ttlMs,
    };
    this.live.set(session.id, session);
    return session;
  }

  /** The request's live session; an expired one is forgotten. */
  fromRequest(req: IncomingMessage, now: number): Session | undefined {
    const id = cookieOf(req);
    if (id === undefined) return undefined;
    const session = this.live.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= now) {
      this.live.delete(id);
      return undefined;
    }
    return session;
  }

  /** A state-changing request on a session must carry its CSRF token (403 otherwise). */
  checkCsrf(session: Session, req: IncomingMessage): void {
    if (isSafeMethod(req.method)) return;
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== "string" || !same(sent, session.csrfToken)) {
      throw new PermissionDeniedError(
        `A request signed in through the admin UI's session cookie must send the session's CSRF token in '${CSRF_HEADER}' (from /ui/session); API clients send their key in 'Authorization' instead.`,
        { code: "csrf_token_invalid" },
      );
    }
  }

  end(id: string): void {
    this.live.delete(id);
  }

  /** Leaves an owner room for one more session: its expired ones go, then its oldest (insertion order). */
  private boundOwner(owner: string, now: number): void {
    const own: string[] = [];
    for (const [id, session] of this.live) {
      if (ownerOf(session) !== owner) continue;
      if (session.expiresAt <= now) this.live.delete(id);
      else own.push(id);
    }
    for (const id of own.slice(0, Math.max(0, own.length - MAX_SESSIONS_PER_KEY + 1))) this.live.delete(id);
  }

  /** Drops expired sessions, then the oldest while still full (a Map iterates in insertion order). */
  private evict(now: number): void {
    for (const [id, session] of this.live) if (session.expiresAt <= now) this.live.delete(id);
    for (const id of this.live.keys()) {
      if (this.live.size < MAX_SESSIONS) break;
      this.live.delete(id);
    }
  }
}
