// Batch inference: local mode (run) and distributed mode on BullMQ (produce, work, status, merge, retryFailed).
export { run, outputLayout } from './local';
export type { BatchOptions, BatchProgress, BatchSummary } from './local';
export { Engine, BatchConfigError, featureForward } from './engine';
export type { EngineOptions, ImageResult } from './engine';
export { resolveInputs, makeShards, globToRegExp, IMAGE_EXTENSIONS } from './inputs';
export { mergeShards, writeAtomic } from './shards';
export type { BatchManifest, MergeSummary } from './shards';
export { produce, work, status, merge, retryFailed, connect, DEFAULT_QUEUE_NAME } from './queue';
export type { ProduceOptions, ProduceSummary, WorkerOptions, WorkerSummary, QueueStatus, QueueOptions, ShardJob } from './queue';
