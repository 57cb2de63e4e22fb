/**
 * One scrape for every worker of `--num_workers N`: a worker asked for /metrics asks the
 * primary, which gathers each live worker's registry (as JSON, over the cluster's IPC channel)
 * and answers with their sum, made by prom-client's AggregatorRegistry.aggregate. Counters and
 * histograms add up; the gauges say how they combine where they are defined.
 *
 * A worker that exits leaves its counters and histograms behind, as last gathered: the
 * supervisor forks a new one that starts from zero, and a sum over the live workers only
 * would drop by the dead one's share, which Prometheus reads as a counter reset (rate() then
 * jumps by every other worker's whole total). Its gauges go with it. A worker that does not
 * answer in time is summed as last gathered, so one busy worker does not fail the scrape.
 */
import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";

/** A worker asks the primary for every worker's metrics; the primary answers it. */
const ASK = "litegate:metrics-ask";
const ANSWER = "litegate:metrics-answer";
/** The primary asks each worker for its registry; the worker sends it. */
const GATHER = "litegate:metrics-gather";
const GATHERED = "litegate:metrics-gathered";
/** A worker's registry is ready to be gathered (a worker forked a moment ago has no listener yet). */
const READY = "litegate:metrics-ready";
/** How long the primary waits for a worker's registry before using the one it last sent. */
const GATHER_TIMEOUT_MS = 5_000;
/** Longer than the primary's wait for the workers, so its answer arrives first. */
const ANSWER_TIMEOUT_MS = 6_000;

/** One registry's metrics, as getMetricsAsJSON() gives them and aggregate() takes them. */
type RegistryJson = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

interface Ask {
  type: typeof ASK;
  id: number;
}
interface Answer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}
interface Gather {
  type: typeof GATHER;
  id: number;
}
interface Gathered {
  type: typeof GATHERED;
  id: number;
  metrics?: RegistryJson;
}
interface Ready {
  type: typeof READY;
}

/** From a worker: a primary gone (the channel closed) is an error passed here, not an 'error' event. */
const ignoreClosed = (): void => undefined;

/** Sends unless the worker's channel is gone (it exited while we waited): a send to it would throw in the primary. */
function sendTo(worker: Worker, message: Answer | Gather): boolean {
  if (!worker.isConnected()) return false;
  // With a callback, a channel that closed between the check and the send is an error passed
  // to it (the worker is gone: nothing to tell it), not an 'error' event that would end the primary.
  worker.send(message, () => undefined);
  return true;
}

/** What outlives a worker: its counts, not its gauges (in-flight requests, budgets left, deployment states). */
const cumulative = (metrics: RegistryJson): RegistryJson =>
  metrics.filter((metric) => {
    // prom-client declares `type` as a numeric enum it never exports; at run time it is the type's name.
    const type = metric.type as unknown as string;
    return type === "counter" || type === "histogram";
  });

/** In the primary: answers the workers' asks with every worker's metrics summed. */
export function serveClusterMetrics(): void {
  /** Each live worker's registry as it last sent it, by worker id. */
  const latest = new Map<number, RegistryJson>();
  /** The counters and histograms of the workers that exited. */
  const retired: RegistryJson[] = [];
  /** Folds of `retired` into one registry, one after another. */
  let folding: Promise<void> = Promise.resolve();
  // Many exits (a crash loop) fold into one registry, not a list that grows. Entries pushed while
  // a fold runs stay after it; `retired` sums the same before and after, whenever a scrape reads it.
  const fold = (): Promise<void> => {
    folding = folding
      .then(async () => {
        const count = retired.length;
        if (count < 2) return;
        const folded = await AggregatorRegistry.aggregate(retired.slice(0, count)).getMetricsAsJSON();
        retired.splice(0, count, folded);
      })
      // Unfolded, the list still sums right: a fold that failed must not fail every later scrape.
      .catch(() => undefined);
    return folding;
  };
  /** Workers whose registry can be gathered (they said so). */
  const ready = new Set<number>();
  const gathering = new Map<number, (metrics: RegistryJson | undefined) => void>();
  let nextGather = 0;

  const gatherFrom = (worker: Worker): Promise<RegistryJson | undefined> =>
    new Promise((resolve) => {
      const id = nextGather++;
      const done = (metrics: RegistryJson | undefined): void => {
        clearTimeout(timer);
        gathering.delete(id);
        if (metrics !== undefined && !worker.isDead()) latest.set(worker.id, metrics);
        resolve(metrics ?? latest.get(worker.id));
      };
      const timer = setTimeout(() => done(undefined), GATHER_TIMEOUT_MS);
      gathering.set(id, done);
      if (!sendTo(worker, { type: GATHER, id } satisfies Gather)) done(undefined);
    });

  const gatherAll = async (): Promise<string> => {
    const workers = Object.values(cluster.workers ?? {}).filter(
      (worker): worker is Worker => worker !== undefined && ready.has(worker.id),
    );
    const gathered = await Promise.all(workers.map(gatherFrom));
    await fold();
    // A worker that exited while the others were asked is in `retired` now: not counted twice.
    const live = gathered.filter(
      (metrics, i): metrics is RegistryJson => metrics !== undefined && latest.has((workers[i] as Worker).id),
    );
    return AggregatorRegistry.aggregate([...live, ...retired]).metrics();
  };

  cluster.on("exit", (worker: Worker) => {
    ready.delete(worker.id);
    const last = latest.get(worker.id);
    latest.delete(worker.id);
    if (last !== undefined) retired.push(cumulative(last));
  });
  cluster.on("message", (worker: Worker, message: Ask | Gathered | Ready) => {
    if (message?.type === GATHERED) {
      gathering.get(message.id)?.(message.metrics);
      return;
    }
    if (message?.type === READY) {
      ready.add(worker.id);
      return;
    }
    if (message?.type !== ASK) return;
    gatherAll().then(
      (text) => sendTo(worker, { type: ANSWER, id: message.id, text } satisfies Answer),
      (error: unknown) =>
        sendTo(worker, {
          type: ANSWER,
          id: message.id,
          error: error instanceof Error ? error.message : String(error),
        } satisfies Answer),
    );
  });
}

let nextId = 0;
const waiting = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
let listening = false;

/** In a worker: the registry the primary gathers when any worker is scraped. */
export function shareWithPrimary(registry: Registry): void {
  process.on("message", (message: Gather) => {
    if (message?.type !== GATHER) return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: GATHERED, id: message.id, metrics } satisfies Gathered, ignoreClosed),
      // Nothing to send: the primary sums this worker as it last sent it.
      () => process.send?.({ type: GATHERED, id: message.id } satisfies Gathered, ignoreClosed),
    );
  });
  process.send?.({ type: READY } satisfies Ready, ignoreClosed);
}

/** In a worker: every worker's metrics summed, gathered by the primary. */
export function clusterMetrics(): Promise<string> {
  if (!listening) {
    listening = true;
    process.on("message", (message: Answer) => {
      if (message?.type !== ANSWER) return;
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.text !== undefined) pending?.resolve(message.text);
      else pending?.reject(new Error(message.error ?? "no metrics"));
    });
  }
  const id = nextId++;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`the primary did not answer within ${ANSWER_TIMEOUT_MS} ms`));
    }, ANSWER_TIMEOUT_MS);
    waiting.set(id, {
      resolve: (text) => {
        clearTimeout(timer);
        resolve(text);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
    process.send?.({ type: ASK, id } satisfies Ask, ignoreClosed);
  });
}
