/**
 * A JSON POST to a Bedrock runtime path, authenticated as aws/credentials.ts decides: a
 * bearer API key in the headers, or SigV4 signed by the transport at send time (with the
 * signing secrets listed for scrubbing). Every Bedrock adapter (Converse chat, embeddings)
 * builds its request here.
 */
import type { UpstreamRequest } from "../../http/transport.js";
import { jsonHeaders, postJson } from "../connection.js";
import type { Target } from "../types.js";
import { awsAuth, awsRegion, bedrockRuntimeUrl } from "./credentials.js";
import { secretsOf, sigV4Signer } from "./sigv4.js";

/** `path` is under the runtime host (`/model/{id}/converse`), already encoded. */
export function bedrockPost(target: Target, path: string, body: unknown, provider: string): UpstreamRequest {
  const auth = awsAuth(target, provider);
  const url = bedrockRuntimeUrl(target, path);
  if (auth.kind === "bearer")
    return postJson(url, jsonHeaders(target, { authorization: `Bearer ${auth.token}` }), body);
  const request = postJson(url, jsonHeaders(target, {}), body);
  request.signedHeaders = sigV4Signer(auth.keys, { region: awsRegion(target), service: "bedrock" });
  request.secrets = secretsOf(auth.keys);
  return request;
}
