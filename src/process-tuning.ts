/**
 * V8 settings for the gateway's own process, applied by the CLI before anything else loads.
 * Not applied by the SDK: a library does not change the V8 settings of the process it runs in.
 *
 * Allocation-site pretenuring is off. V8 starts allocating an object literal's objects straight
 * into the old generation once most of them survive young-generation collections. A gateway
 * started under load serves its first requests slowly (its code is not optimised yet), so they
 * live long and a per-request site can be tenured. From then on every request's young objects are
 * referenced from old-space garbage, survive each scavenge and are promoted: a scavenge takes about
 * 15 ms instead of 2 and the process serves 20-30% fewer requests for the rest of its life (a full
 * collection does not end it; the next requests' tenured objects start it again). A
 * request-serving process allocates short-lived objects and gains nothing from pretenuring. V8
 * reads the flag at each collection, so setting it after start-up takes effect.
 *
 * The young generation grows back in one step instead of doubling. V8 shrinks it to 1 MB at the
 * first scavenge after a spell of little allocation (some 15-20 s without requests), then doubles
 * it only each time as many bytes as it holds have survived since it last grew: some 25 scavenges
 * before it is full size again. Under load, every scavenge of a small young generation copies and
 * promotes the objects of the requests in flight, so a burst after an idle spell paid for its first
 * seconds with several times the collections. Grown sixteenfold, it is back at its maximum after a
 * few scavenges. The maximum is V8's: a process under steady load reached it before too, and one
 * serving bursts now holds it during a burst's first seconds (some 20 MB more resident), giving it
 * back at the next shrink. V8 reads the factor each time it grows the space, so setting it after
 * start-up takes effect.
 *
 * One of `process.nextTick`'s tick objects is kept for the life of the process. Node makes each
 * as a literal whose first two keys are computed (`{ [async_id_symbol]: …, [trigger_async_id_symbol]:
 * …, callback, args }`), and V8 defines such a literal's properties one at a time through feedback
 * slots that remember the shape (map) each definition met first: met with another, a slot turns
 * megamorphic for good, and optimised code then makes every definition a call into V8's runtime.
 * V8 keeps a shape only while an object has it, or for two full collections after, and a
 * collection that reduces memory keeps none: the memory reducer runs one in an idle spell after a
 * full collection, and with no tick object alive at that moment the literal's shapes die, the next
 * tick object gets new ones, and three of its four slots go megamorphic. A nextTick then cost some
 * 300 ns instead of 60-90 (a loop of them), and a request makes many: gateway processes in that
 * state spent 9-10 µs a request in those calls (`perf`, bench/HISTORY.md, thirty-fourth session).
 * Processes with timers that run while idle (the trace exporter's, the metrics') had such
 * collections more often. A kept tick object keeps its shape, and each shape holds the ones it was
 * made from. It is taken from the one moment of an async hook, disabled again before anything else
 * runs.
 */
import { createHook } from "node:async_hooks";
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--no-allocation-site-pretenuring");
setFlagsFromString("--semi-space-growth-factor=16");

const keptTickObjects: object[] = [];
const tickObjects = createHook({
  init(_asyncId, type, _triggerAsyncId, resource) {
    if (type === "TickObject") keptTickObjects.push(resource);
  },
});
tickObjects.enable();
process.nextTick(() => undefined);
tickObjects.disable();
