// Serving: the dynamic batcher (batcher.ts) and its pure scheduling rule (schedule.ts).
export { Batcher, ServeError, batcher } from './batcher';
export type { BatchInfo, BatchWorker, BatcherOptions, BatcherStats, RunOptions, ServeErrorCode } from './batcher';
export { batchFor, decide, planSizes } from './schedule';
export type { BatchPolicy, Decision, QueueState } from './schedule';
