/**
 * What every /ui answer carries: a Content-Security-Policy that lets the page load and
 * call only its own origin (no inline script or style, no CDN, no framing), and the
 * headers that stop sniffing, framing and referrer leaks. And the one switch that turns
 * the UI off.
 */
import { NotFoundError } from "../../wire/errors.js";
import type { Gateway } from "../gateway.js";
import type { Headers } from "../respond.js";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function withUiHeaders(headers: Headers): Headers {
  headers["content-security-policy"] = CONTENT_SECURITY_POLICY;
  headers["x-frame-options"] = "DENY";
  headers["x-content-type-options"] = "nosniff";
  headers["referrer-policy"] = "no-referrer";
  return headers;
}

/** general_settings.ui_disabled (or LiteLLM's DISABLE_ADMIN_UI): every /ui route is a 404. */
export function assertUiEnabled(gateway: Gateway): void {
  if (gateway.uiDisabled) {
    throw new NotFoundError(
      "The admin UI is turned off on this gateway (general_settings.ui_disabled or DISABLE_ADMIN_UI); the management API is unchanged.",
      { code: "ui_disabled" },
    );
  }
}
