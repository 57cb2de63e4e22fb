/**
 * How an AWS service is reached, read as LiteLLM reads it (litellm/llms/bedrock/base_aws_llm.py):
 * a bearer API key (`api_key`, else `AWS_BEARER_TOKEN_BEDROCK`) wins and is sent as is;
 * otherwise SigV4 keys from litellm_params (`aws_access_key_id`, `aws_secret_access_key`,
 * `aws_session_token`), else the standard AWS_* variables. Shared by every AWS adapter
 * (Bedrock chat today, Bedrock embeddings beside it).
 */
import { AuthenticationError, BadRequestError } from "../../wire/errors.js";
import { firstSet, joinUrl } from "../connection.js";
import type { Target } from "../types.js";

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export type AwsAuth = { kind: "bearer"; token: string } | { kind: "sigv4"; keys: AwsKeys };

/** LiteLLM's default when neither aws_region_name nor the environment names a region. */
const DEFAULT_REGION = "us-west-2";

/** Region names are lower-case letters, digits and hyphens (LiteLLM checks the same): one goes into a host name. */
const REGION = /^[a-z0-9-]+$/;

/** aws_region_name, else AWS_REGION_NAME, else AWS_REGION (LiteLLM's order), else us-west-2. */
export function awsRegion(target: Target): string {
  const region =
    firstSet(target.options.aws_region_name, target.env.AWS_REGION_NAME, target.env.AWS_REGION) ?? DEFAULT_REGION;
  if (!REGION.test(region)) {
    throw new BadRequestError(
      `'${region.slice(0, 40)}' is not an AWS region name: set aws_region_name to one like us-east-1.`,
      { model: target.model, param: "aws_region_name", code: "invalid_value" },
    );
  }
  return region;
}

/**
 * The runtime host: api_base, else aws_bedrock_runtime_endpoint, else AWS_BEDROCK_RUNTIME_ENDPOINT,
 * else the region's host; the API's paths (`/model/ID/converse`) are appended to it.
 */
export function bedrockRuntimeUrl(target: Target, path: string): string {
  const base =
    firstSet(
      target.options.api_base,
      target.options.aws_bedrock_runtime_endpoint,
      target.env.AWS_BEDROCK_RUNTIME_ENDPOINT,
    ) ?? `https://bedrock-runtime.${awsRegion(target)}.amazonaws.com`;
  return joinUrl(base, path);
}

/** The credentials for one request; throws a 401 naming what to set when there are none. */
export function awsAuth(target: Target, provider: string): AwsAuth {
  const { options, env } = target;
  const token = firstSet(options.api_key, env.AWS_BEARER_TOKEN_BEDROCK);
  if (token !== undefined) return { kind: "bearer", token };
  // A session token belongs to the key it was issued with: the environment's only goes with the environment's key.
  const fromOptions = firstSet(options.aws_access_key_id) !== undefined;
  const accessKeyId = fromOptions ? options.aws_access_key_id : firstSet(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = firstSet(options.aws_secret_access_key, env.AWS_SECRET_ACCESS_KEY);
  const sessionToken = fromOptions
    ? firstSet(options.aws_session_token)
    : firstSet(options.aws_session_token, env.AWS_SESSION_TOKEN);
  if (accessKeyId === undefined || accessKeyId === "" || secretAccessKey === undefined) {
    throw new AuthenticationError(
      "No AWS credentials: set aws_access_key_id and aws_secret_access_key (or the AWS_ACCESS_KEY_ID and " +
        "AWS_SECRET_ACCESS_KEY environment variables), or a Bedrock API key as api_key or AWS_BEARER_TOKEN_BEDROCK.",
      { provider, model: target.model, param: "aws_access_key_id", code: "missing_api_key" },
    );
  }
  return { kind: "sigv4", keys: { accessKeyId, secretAccessKey, sessionToken } };
}
