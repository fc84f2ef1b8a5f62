// What makes alternating timings fair on a small machine, shared by the benchmarks.
//
// onnxruntime's intra-op threads spin after a run by default (up to 2^20 pause iterations, tens of ms),
// and our pool's idle workers spin 500 µs: when two engines alternate on 2 cores, whichever runs next
// loses a core to the other's spinners (measured: up to 2x on our side, bench/RESULTS.md). So:
//   - ORT keeps spinning *inside* a run but stops when Run returns (`session.force_spinning_stop`,
//     onnxruntime PR #11841); `--ort-no-spin` turns its spinning off altogether, as a lower bound for ORT;
//   - every timed run is followed by an untimed pause long enough for any spinner to park.
import type { InferenceSession } from 'onnxruntime-node';

export function ortSessionOptions(threads: number, args: string[]): InferenceSession.SessionOptions {
  const noSpin = args.includes('--ort-no-spin');
  return {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    extra: { session: noSpin ? { intra_op: { allow_spinning: '0' } } : { force_spinning_stop: '1' } },
  };
}

export const ortSpinMode = (args: string[]) => (args.includes('--ort-no-spin') ? 'ORT spinning off' : 'ORT spins within a run only');

// 2 ms: four times our pool's spin, and ORT's spinners stop at the end of Run.
export const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 2));

/** The benchmarks' clock in ms: wall time, or (cpuTime) this process's user + system CPU time. */
export function benchClock(cpuTime: boolean): () => number {
  if (!cpuTime) return () => performance.now();
  return () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
}
