/**
 * AWS Signature Version 4 for an upstream request, by @smithy/signature-v4 (the AWS SDK's
 * own signer) with @aws-crypto/sha256-js. The transport asks for these headers on every
 * attempt (UpstreamRequest.signedHeaders), so each retry carries a fresh date and signature
 * over the exact URL, headers and body sent.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { UpstreamRequest } from "../../http/transport.js";
import type { AwsKeys } from "./credentials.js";

export interface SigningScope {
  region: string;
  /** The signing name: `bedrock` for bedrock-runtime. */
  service: string;
}

/**
 * The headers that authenticate `request`: authorization, x-amz-date and, with temporary
 * keys, x-amz-security-token. Every header of the request is signed, plus `host`, which
 * undici sends from the URL. `date` is for tests; requests are signed at the current time.
 */
export async function sigV4Headers(
  request: Pick<UpstreamRequest, "method" | "url" | "headers" | "body">,
  keys: AwsKeys,
  scope: SigningScope,
  date: Date = new Date(),
): Promise<Record<string, string>> {
  const url = new URL(request.url);
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: keys.accessKeyId,
      secretAccessKey: keys.secretAccessKey,
      ...(keys.sessionToken === undefined ? {} : { sessionToken: keys.sessionToken }),
    },
    region: scope.region,
    service: scope.service,
    sha256: Sha256,
    // Bedrock does not ask for x-amz-content-sha256 (the payload hash is in the signature either way).
    applyChecksum: false,
  });
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === "" ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: { ...request.headers, host: url.host },
      ...(request.body === undefined ? {} : { body: request.body }),
    }),
    { signingDate: date },
  );
  const out: Record<string, string> = {};
  for (const name of ["authorization", "x-amz-date", "x-amz-security-token"]) {
    const value = signed.headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** What an adapter puts in UpstreamRequest.signedHeaders: signed afresh on every call. */
export function sigV4Signer(
  keys: AwsKeys,
  scope: SigningScope,
): (request: UpstreamRequest) => Promise<Record<string, string>> {
  return (request) => sigV4Headers(request, keys, scope);
}

/** The key material to scrub from errors: it signs the request without travelling in it. */
export function secretsOf(keys: AwsKeys): string[] {
  return keys.sessionToken === undefined ? [keys.secretAccessKey] : [keys.secretAccessKey, keys.sessionToken];
}
