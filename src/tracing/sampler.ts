/**
 * Which traces are recorded, as OpenTelemetry's OTEL_TRACES_SAMPLER says: every one
 * (the default, parent-based: a caller's unsampled traceparent is respected), none, or a
 * share by trace id, so a busy gateway can trace one request in ten and pay for one in ten.
 */

export interface Sampler {
  /** A caller's traceparent decides for its trace (the `parentbased_*` samplers). */
  parentBased: boolean;
  /** The share of new traces recorded: 1 always, 0 never. */
  ratio: number;
}

/** OpenTelemetry's default: parentbased_always_on. */
export const DEFAULT_SAMPLER: Sampler = { parentBased: true, ratio: 1 };

/** The sampler names OTEL_TRACES_SAMPLER takes and the ratio each implies (undefined: OTEL_TRACES_SAMPLER_ARG's). */
export const SAMPLERS: Readonly<Record<string, { parentBased: boolean; ratio: number | undefined }>> = {
  always_on: { parentBased: false, ratio: 1 },
  always_off: { parentBased: false, ratio: 0 },
  traceidratio: { parentBased: false, ratio: undefined },
  parentbased_always_on: { parentBased: true, ratio: 1 },
  parentbased_always_off: { parentBased: true, ratio: 0 },
  parentbased_traceidratio: { parentBased: true, ratio: undefined },
};

/**
 * Whether a trace is recorded. `parentSampled` is the caller's flag when it sent a valid
 * traceparent. By ratio, the decision is the OpenTelemetry JS SDK's TraceIdRatioBased one
 * (the trace id's 32-bit words XORed, against ratio × 2^32), so every service with the same
 * ratio keeps the same traces.
 */
export function isSampled(sampler: Sampler, parentSampled: boolean | undefined, traceId: string): boolean {
  if (sampler.parentBased && parentSampled !== undefined) return parentSampled;
  if (sampler.ratio >= 1) return true;
  if (sampler.ratio <= 0) return false;
  let accumulated = 0;
  for (let at = 0; at < traceId.length; at += 8) {
    accumulated = (accumulated ^ Number.parseInt(traceId.slice(at, at + 8), 16)) >>> 0;
  }
  return accumulated < Math.floor(sampler.ratio * 0xffffffff);
}
