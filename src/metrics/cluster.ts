/**
 * One scrape for every worker of `--num_workers N`: a worker asked for /metrics asks the
 * primary, which gathers each worker's registry (prom-client's AggregatorRegistry, over the
 * cluster's IPC channel) and answers with their sum. Counters and histograms add up; the
 * gauges say how they combine where they are defined.
 */
import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";

const ASK = "litegate:metrics-ask";
const ANSWER = "litegate:metrics-answer";
/** Longer than prom-client's own 5 s wait for the workers, so its error arrives first. */
const ANSWER_TIMEOUT_MS = 6_000;

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

/** In the primary: answers the workers' asks with every worker's metrics summed. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker: Worker, message: Ask) => {
    if (message?.type !== ASK) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: ANSWER, id: message.id, text } satisfies Answer),
      (error: unknown) =>
        worker.send({ type: ANSWER, id: message.id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
}

let nextId = 0;
const waiting = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
let listening = false;

/** In a worker: the registry the primary gathers when any worker is scraped. */
export function shareWithPrimary(registry: Registry): void {
  // prom-client installs a worker's answering listener when an AggregatorRegistry is made.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
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
    process.send?.({ type: ASK, id } satisfies Ask);
  });
}
