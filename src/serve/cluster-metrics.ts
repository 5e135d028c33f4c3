import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'serve:cluster-metrics-request';
const REPLY = 'serve:cluster-metrics-reply';

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}
interface MetricsReply {
  type: typeof REPLY;
  id: number;
  text?: string;
  error?: string;
}

/**
 * In the primary of several service processes: answers a worker's request for the metrics of every process,
 * aggregated (counters and histograms summed; gauges as each declares), so a scrape that lands on any one
 * process sees the whole service.
 */
export function answerClusterMetricsRequests(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: Partial<MetricsRequest>) => {
    if (message?.type !== REQUEST || typeof message.id !== 'number') return;
    const id = message.id;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: REPLY, id, text } satisfies MetricsReply),
      (err: unknown) =>
        worker.isConnected() &&
        worker.send({
          type: REPLY,
          id,
          error: err instanceof Error ? err.message : String(err),
        } satisfies MetricsReply),
    );
  });
}

/**
 * In a worker: shares `registry` with the primary's aggregation and returns what `GET /metrics` answers with,
 * the aggregate of every process. Rejects when the primary does not answer within `timeoutMs`.
 */
export function clusterMetricsSource(registry: Registry, timeoutMs = 5000): () => Promise<string> {
  new AggregatorRegistry(); // adds the listener that answers the primary's requests for this process's metrics
  AggregatorRegistry.setRegistries([registry]);
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  let next = 0;
  process.on('message', (message: Partial<MetricsReply>) => {
    if (message?.type !== REPLY || typeof message.id !== 'number') return;
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    if (message.error !== undefined)
      pending.reject(new Error(`metrics of the other processes: ${message.error}`));
    else pending.resolve(message.text ?? '');
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`metrics of the other processes did not arrive within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      });
      process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
    });
}
