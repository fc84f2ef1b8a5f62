// ioredis (behind the batch API's BullMQ queue) ships declarations that import 'redis-errors', which has none
// of its own; strict checking of every shipped .d.ts (skipLibCheck false, on purpose) needs it declared.
// Only a third party's gap is filled here: convnets' own declarations stay fully checked.
declare module 'redis-errors';
