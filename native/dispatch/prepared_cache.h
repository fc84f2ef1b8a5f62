// Prepared conv weights for eager calls (F.conv2d without a ConvPlan), kept per weight storage so that a
// loop calling conv2d with the same weight transforms it once, as a ConvPlan would.
//
// Safety, in the order it matters:
// - An entry is exactly what an uncached call would prepare: it is keyed on the algorithm, the ISA and the
//   whole ConvDesc (a prepare may depend on any of them), and made by the same prepare call.
// - It is used only while the storage's contents are provably unchanged: it records Storage::version()
//   when made, every native write path moves the version, and while JavaScript holds a live writable view
//   of the storage (tensor.data()) nothing is cached or reused for it (Storage::writesTracked).
// - It dies with the weight: entries hang on the storage (a StorageAttachment), so disposing or collecting
//   the weight frees them at once, and the cache never keeps a weight alive.
// - Memory is bounded: one LRU over all entries with a byte limit (setPreparedCacheLimit, default 512 MiB,
//   env CONVNETS_CONV_CACHE_BYTES), reported by memory() as cpu.preparedBytes.
// - Thread-safe: one mutex; an entry in use stays alive (shared_ptr) even if evicted meanwhile.
// - The algorithm never depends on whether an entry exists or can be kept (that would make results depend
//   on when the garbage collector collected a view): eager 'auto' chooses by run time while the cache is
//   on, and counts the preparation only when it is off (chooseEagerConv).
#pragma once
#include <cstdint>
#include <memory>

#include "core/conv_algo.h"
#include "core/conv_desc.h"
#include "core/tensor.h"

namespace convnets {

// `algo`'s prepared weights for `weight` (CPU) and `d` with the active ISA: the cached entry if one was
// made from the same contents, else prepared now (and kept when the storage's writes are tracked and
// the entry fits the limit).
std::shared_ptr<const ConvPrepared> preparedConvWeights(const ConvDesc& d, const ConvAlgo& algo, const Tensor& weight);
// The same, never cached: a plain prepare (shared_ptr only so both paths hand back the same type).
std::shared_ptr<const ConvPrepared> prepareConvWeights(const ConvDesc& d, const ConvAlgo& algo, const Tensor& weight);
// Whether the cache is on (a non-zero limit): eager 'auto' then chooses by run time (chooseEagerConv).
bool preparedCacheEnabled();

struct PreparedCacheStats {
  int64_t entries = 0;
  int64_t bytes = 0;       // prepared weights held (CPU)
  int64_t limitBytes = 0;  // the LRU's bound
  int64_t hits = 0, misses = 0;
};
PreparedCacheStats preparedCacheStats();
// Sets the byte bound (0 turns caching off), evicting least recently used entries to fit.
void setPreparedCacheLimit(int64_t bytes);
void clearPreparedCache();

}  // namespace convnets
