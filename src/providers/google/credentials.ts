/**
 * Vertex AI's OAuth tokens. Credentials come from vertex_credentials (a service-account JSON
 * file's path or the JSON itself), else VERTEXAI_CREDENTIALS, else Application Default
 * Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's login, the metadata server), as in
 * LiteLLM. A service account's token is fetched from the `token_uri` its file names, with a
 * JWT signed by node:crypto (google-auth-library's JWT client always calls Google's own token
 * URL, so a file pointing elsewhere, as Google's python library honours, would be ignored);
 * every other kind goes through google-auth-library. One token per credentials, shared by
 * every request, fetched once however many requests wait for it, and reused until shortly
 * before it expires. Nothing here ever puts a credential in an error or a log.
 */
import { createHash, createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { GoogleAuth } from "google-auth-library";
import { Deadline, send } from "../../http/transport.js";
import { APIError, AuthenticationError, ServiceUnavailableError } from "../../wire/errors.js";
import { isRecord } from "../../wire/validate.js";
import { firstSet } from "../connection.js";
import type { Target } from "../types.js";

const SCOPE = "https://www.googleapis.com/auth/cloud-platform";
/** A token is renewed this long before it expires (google-auth-library's eager refresh margin). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
const TOKEN_TIMEOUT_MS = 30_000;
const JWT_LIFETIME_SECONDS = 3600;

interface ServiceAccount {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri: string;
  project_id?: string;
}

type Credentials =
  | { kind: "service_account"; account: ServiceAccount }
  /** authorized_user, external_account and others google-auth-library reads. */
  | { kind: "library"; json: Record<string, unknown> }
  /** Nothing given: google-auth-library's Application Default Credentials. */
  | { kind: "default" };

/** Where the credentials were named, for messages (never their content). */
function sourceName(target: Target): { spec: string | undefined; name: string } {
  if (firstSet(target.options.vertex_credentials) !== undefined) {
    return { spec: target.options.vertex_credentials, name: "vertex_credentials" };
  }
  if (firstSet(target.env.VERTEXAI_CREDENTIALS) !== undefined) {
    return { spec: target.env.VERTEXAI_CREDENTIALS, name: "VERTEXAI_CREDENTIALS" };
  }
  if (firstSet(target.env.GOOGLE_APPLICATION_CREDENTIALS) !== undefined) {
    return { spec: target.env.GOOGLE_APPLICATION_CREDENTIALS, name: "GOOGLE_APPLICATION_CREDENTIALS" };
  }
  return { spec: undefined, name: "Application Default Credentials" };
}

function bad(message: string, provider: string, model: string): AuthenticationError {
  return new AuthenticationError(message, {
    provider,
    model,
    param: "vertex_credentials",
    code: "invalid_credentials",
  });
}

/** Parsed credentials by their spec: a file is read once, not per request. */
const parsedCredentials = new Map<string, Credentials>();

function parse(spec: string, name: string, provider: string, model: string): Credentials {
  let text = spec;
  const inline = spec.trimStart().startsWith("{");
  if (!inline) {
    try {
      text = readFileSync(spec, "utf8");
    } catch (error) {
      const why = isRecord(error) && typeof error.code === "string" ? ` (${error.code})` : "";
      throw bad(
        `${name} names a file that cannot be read${why}: give a service-account JSON file's path or the JSON itself.`,
        provider,
        model,
      );
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The text may be a private key: the message says what is wrong, never what it saw.
    throw bad(
      `${name} is not valid JSON${inline ? "" : " (the file it names)"}: give a service-account JSON file's path or the JSON itself.`,
      provider,
      model,
    );
  }
  if (!isRecord(json)) throw bad(`${name} is not a JSON object.`, provider, model);
  if (json.type !== "service_account") return { kind: "library", json };
  const missing = ["client_email", "private_key"].filter(
    (field) => typeof json[field] !== "string" || json[field] === "",
  );
  if (missing.length > 0) {
    throw bad(
      `${name} is a service account without ${missing.join(" and ")}: download the key file again from the Google Cloud console.`,
      provider,
      model,
    );
  }
  return {
    kind: "service_account",
    account: {
      client_email: json.client_email as string,
      private_key: json.private_key as string,
      ...(typeof json.private_key_id === "string" ? { private_key_id: json.private_key_id } : {}),
      token_uri:
        typeof json.token_uri === "string" && json.token_uri !== ""
          ? json.token_uri
          : "https://oauth2.googleapis.com/token",
      ...(typeof json.project_id === "string" ? { project_id: json.project_id } : {}),
    },
  };
}

function credentialsOf(target: Target, provider: string): { credentials: Credentials; key: string; name: string } {
  const { spec, name } = sourceName(target);
  if (spec === undefined) return { credentials: { kind: "default" }, key: "default", name };
  // A hash keys the caches, so no map holds a credential as its key.
  const key = createHash("sha256").update(spec).digest("hex");
  let credentials = parsedCredentials.get(key);
  if (credentials === undefined) {
    credentials = parse(spec, name, provider, target.model);
    parsedCredentials.set(key, credentials);
  }
  return { credentials, key, name };
}

/** The project the credentials name, if any (a service account's project_id, a user's quota project). */
export function projectOf(target: Target, provider: string): string | undefined {
  const { credentials } = credentialsOf(target, provider);
  if (credentials.kind === "service_account") return credentials.account.project_id;
  if (credentials.kind === "library") {
    const project = credentials.json.project_id ?? credentials.json.quota_project_id;
    return typeof project === "string" && project !== "" ? project : undefined;
  }
  return undefined;
}

interface Token {
  value: string;
  /** Epoch ms. */
  expiresAt: number;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

/** The signed JWT a service account trades for a token (Google's OAuth 2.0 for service accounts). */
function assertion(account: ServiceAccount, nowSeconds: number): string {
  const header = {
    alg: "RS256",
    typ: "JWT",
    ...(account.private_key_id === undefined ? {} : { kid: account.private_key_id }),
  };
  const claims = {
    iss: account.client_email,
    scope: SCOPE,
    aud: account.token_uri,
    iat: nowSeconds,
    exp: nowSeconds + JWT_LIFETIME_SECONDS,
  };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${createSign("RSA-SHA256").update(unsigned).sign(account.private_key, "base64url")}`;
}

async function serviceAccountToken(
  account: ServiceAccount,
  name: string,
  provider: string,
  model: string,
): Promise<Token> {
  let jwt: string;
  try {
    jwt = assertion(account, Math.floor(Date.now() / 1000));
  } catch {
    throw bad(
      `${name}: the service account's private_key cannot sign (it must be the PEM private key Google issued).`,
      provider,
      model,
    );
  }
  const where = `Vertex AI's token endpoint (${account.token_uri}, the token_uri of ${name})`;
  const deadline = new Deadline(TOKEN_TIMEOUT_MS, undefined);
  let status: number;
  let text: string;
  try {
    const response = await send(
      {
        method: "POST",
        url: account.token_uri,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion: jwt,
        }).toString(),
      },
      deadline,
    );
    status = response.status;
    text = await response.body.text();
  } catch (error) {
    const cause = deadline.errorFor(error, { provider, model });
    throw new ServiceUnavailableError(`${where} could not be reached: ${cause.message}`, { provider, model });
  } finally {
    deadline.dispose();
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const answer = isRecord(body) ? body : {};
  if (status >= 500) {
    throw new ServiceUnavailableError(`${where} answered ${status}; try again later.`, { provider, model });
  }
  if (status !== 200 || typeof answer.access_token !== "string") {
    const said = [answer.error, answer.error_description].filter((part) => typeof part === "string").join(": ");
    throw bad(
      `${where} refused the service account ${account.client_email} (${status}${said === "" ? "" : `: ${said}`}).`,
      provider,
      model,
    );
  }
  const seconds = typeof answer.expires_in === "number" ? answer.expires_in : JWT_LIFETIME_SECONDS;
  return { value: answer.access_token, expiresAt: Date.now() + seconds * 1000 };
}

async function libraryToken(credentials: Credentials, name: string, provider: string, model: string): Promise<Token> {
  let auth: GoogleAuth;
  if (credentials.kind === "library") {
    const tokenUri = credentials.json.token_uri;
    // A user's credentials may name their token endpoint too, which Google's python library honours.
    const endpoints =
      typeof tokenUri === "string" && tokenUri !== "" ? { endpoints: { oauth2TokenUrl: tokenUri } } : {};
    auth = new GoogleAuth({ credentials: credentials.json, scopes: SCOPE, clientOptions: endpoints });
  } else {
    auth = new GoogleAuth({ scopes: SCOPE });
  }
  try {
    const client = await auth.getClient();
    const { token } = await client.getAccessToken();
    if (typeof token !== "string" || token === "") throw new Error("no token");
    const expiry = client.credentials.expiry_date;
    return { value: token, expiresAt: typeof expiry === "number" ? expiry : Date.now() + REFRESH_MARGIN_MS * 2 };
  } catch (error) {
    if (error instanceof APIError) throw error;
    // google-auth-library's messages name what is missing (no ADC found, a refused refresh token), not secrets.
    const why = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
    throw bad(`Vertex AI: no token from ${name}: ${why}`, provider, model);
  }
}

/** Who waits for a token, for the errors: the prefix and the model of the request. */
interface Asker {
  provider: string;
  model: string;
}

/** One credentials' token: fetched by the first request that needs it, awaited by the rest. */
class TokenSource {
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;

  constructor(private readonly fetch: (asker: Asker) => Promise<Token>) {}

  async get(asker: Asker): Promise<string> {
    if (this.token !== undefined && this.token.expiresAt - REFRESH_MARGIN_MS > Date.now()) return this.token.value;
    this.pending ??= this.fetch(asker).then(
      (token) => {
        this.token = token;
        this.pending = undefined;
        return token;
      },
      (error: unknown) => {
        // A failure is not kept: the next request tries again.
        this.pending = undefined;
        throw error;
      },
    );
    return (await this.pending).value;
  }
}

const sources = new Map<string, TokenSource>();

/**
 * The `signedHeaders` of a Vertex request: its Authorization header, from the credentials'
 * shared token. Credentials are checked now (a bad file fails the call before any request);
 * the token is fetched when the transport asks, before each attempt.
 */
export function vertexAuthorization(target: Target, provider: string): () => Promise<Record<string, string>> {
  const { credentials, key, name } = credentialsOf(target, provider);
  let source = sources.get(key);
  if (source === undefined) {
    source = new TokenSource(({ provider: who, model }) =>
      credentials.kind === "service_account"
        ? serviceAccountToken(credentials.account, name, who, model)
        : libraryToken(credentials, name, who, model),
    );
    sources.set(key, source);
  }
  const shared = source;
  const asker = { provider, model: target.model };
  return async () => ({ authorization: `Bearer ${await shared.get(asker)}` });
}
