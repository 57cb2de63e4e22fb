/** OTEL_TRACES_SAMPLER: every trace, none, or a share by trace id; parent-based samplers follow a caller's flag. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { beginTrace } from "../../src/tracing/ids.js";
import { DEFAULT_SAMPLER, isSampled } from "../../src/tracing/sampler.js";
import { TracingSettingsError, tracingSettings } from "../../src/tracing/settings.js";

const PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331";

describe("trace sampling", () => {
  test("OTEL_TRACES_SAMPLER and _ARG, as OpenTelemetry names them; a bad one stops the start naming it", () => {
    const sampler = (env: Record<string, string>) => tracingSettings(env).sampler;
    assert.deepEqual(sampler({}), DEFAULT_SAMPLER);
    assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: "always_off" }), { parentBased: false, ratio: 0 });
    assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" }), {
      parentBased: false,
      ratio: 0.25,
    });
    assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio" }), { parentBased: true, ratio: 1 });
    assert.throws(
      () => sampler({ OTEL_TRACES_SAMPLER: "jaeger_remote" }),
      new TracingSettingsError(
        "OTEL_TRACES_SAMPLER=jaeger_remote: not a sampler litegate serves; use one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio.",
      ),
    );
    assert.throws(
      () => sampler({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "10%" }),
      new TracingSettingsError(
        "OTEL_TRACES_SAMPLER_ARG=10%: the share of traces to record, a number from 0 to 1 (e.g. 0.1 for one in ten).",
      ),
    );
  });

  test("by ratio: the JS SDK's decision on the trace id, about the share asked for", () => {
    const tenth = { parentBased: false, ratio: 0.1 };
    // The trace id's 32-bit words XORed: 0x00000001 is kept, 0xffffffff is not.
    assert.equal(isSampled(tenth, undefined, `${"0".repeat(31)}1`), true);
    assert.equal(isSampled(tenth, undefined, `${"0".repeat(24)}ffffffff`), false);
    let kept = 0;
    for (let i = 0; i < 20_000; i++)
      if (isSampled(tenth, undefined, beginTrace(undefined, undefined).traceId)) kept += 1;
    assert.ok(kept > 1_600 && kept < 2_400, `${kept} of 20000 kept`);
  });

  test("parent-based samplers follow the caller's flag; the others decide for themselves", () => {
    const never = { parentBased: true, ratio: 0 };
    assert.equal(beginTrace(`${PARENT}-01`, undefined, never).sampled, true);
    assert.equal(beginTrace(undefined, undefined, never).sampled, false);
    assert.equal(beginTrace(`${PARENT}-00`, undefined, DEFAULT_SAMPLER).sampled, false);
    assert.equal(beginTrace(`${PARENT}-00`, undefined, { parentBased: false, ratio: 1 }).sampled, true);
    assert.equal(beginTrace(`${PARENT}-01`, undefined, { parentBased: false, ratio: 0 }).sampled, false);
  });
});
