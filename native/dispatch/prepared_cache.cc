#include "dispatch/prepared_cache.h"

#include <cstdlib>
#include <list>
#include <mutex>
#include <vector>

namespace convnets {
namespace {

struct Slot;

// What a prepare may depend on: the algorithm, the ISA and the whole descriptor. Compared field by field,
// not as a string: building ConvDesc::key() cost a few µs per call, 10 % of a 30 µs layer.
struct Key {
  const ConvAlgo* algo;  // an entry of the registry (stable addresses)
  Isa isa;
  ConvDesc d;
  bool operator==(const Key& o) const {
    const ConvDesc& e = o.d;
    return algo == o.algo && isa == o.isa && d.N == e.N && d.C == e.C && d.H == e.H && d.W == e.W && d.K == e.K &&
           d.R == e.R && d.S == e.S && d.strideH == e.strideH && d.strideW == e.strideW && d.padH == e.padH &&
           d.padW == e.padW && d.padBottom == e.padBottom && d.padRight == e.padRight && d.dilationH == e.dilationH &&
           d.dilationW == e.dilationW && d.groups == e.groups && d.outH == e.outH && d.outW == e.outW &&
           d.precision == e.precision;
  }
};

struct Entry {
  Slot* slot;                                     // the weight storage's slot holding this entry
  Key key;
  uint64_t version;                               // the storage's version it was prepared from
  std::shared_ptr<const ConvPrepared> prepared;
  int64_t bytes;
};
using Lru = std::list<Entry>;  // most recently used first

struct Cache {
  std::mutex mu;
  Lru lru;
  int64_t bytes = 0;
  int64_t limit = defaultLimit();
  int64_t hits = 0, misses = 0;

  static int64_t defaultLimit() {
    const char* v = std::getenv("CONVNETS_CONV_CACHE_BYTES");
    if (v && *v) {
      char* end = nullptr;
      const long long n = std::strtoll(v, &end, 10);
      if (end && *end == '\0' && n >= 0) return int64_t(n);
    }
    return int64_t(512) << 20;  // VGG16's convs prepared for F(4×4) take ~240 MB: a whole network fits
  }
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: storages (and their slots) may outlive static destruction
  return *c;
}

// A storage's entries (one per algorithm × desc it was used with), hung on the storage: when the storage
// goes, its entries leave the LRU and their prepared weights are freed.
struct Slot : StorageAttachment {
  std::vector<Lru::iterator> entries;  // guarded by cache().mu
  ~Slot() override {
    std::vector<std::shared_ptr<const ConvPrepared>> dead;  // freed after the lock is released
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    for (Lru::iterator it : entries) {
      c.bytes -= it->bytes;
      dead.push_back(std::move(it->prepared));
      c.lru.erase(it);
    }
  }
};

// Unlinks `it` from the LRU and its slot (c.mu held); returns its prepared weights for freeing unlocked.
std::shared_ptr<const ConvPrepared> unlink(Cache& c, Lru::iterator it) {
  auto& v = it->slot->entries;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] == it) {
      v[i] = v.back();
      v.pop_back();
      break;
    }
  c.bytes -= it->bytes;
  std::shared_ptr<const ConvPrepared> p = std::move(it->prepared);
  c.lru.erase(it);
  return p;
}

// Evicts least recently used entries until the cache fits its limit (c.mu held).
void evictToFit(Cache& c, std::vector<std::shared_ptr<const ConvPrepared>>& dead) {
  while (c.bytes > c.limit && !c.lru.empty()) dead.push_back(unlink(c, std::prev(c.lru.end())));
}

Slot* slotOf(const Storage& s) { return dynamic_cast<Slot*>(s.attachment()); }

// The storage's entry for `key` (c.mu held), or lru.end().
Lru::iterator find(Cache& c, const Storage& s, const Key& key) {
  if (Slot* slot = slotOf(s))
    for (Lru::iterator it : slot->entries)
      if (it->key == key) return it;
  return c.lru.end();
}

}  // namespace

std::shared_ptr<const ConvPrepared> prepareConvWeights(const ConvDesc& d, const ConvAlgo& algo, const Tensor& weight) {
  auto p = std::make_shared<ConvPrepared>();
  algo.prepare(d, weight.data(), activeIsa(), *p);
  return p;
}

bool preparedCacheEnabled() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.limit > 0;
}

std::shared_ptr<const ConvPrepared> preparedConvWeights(const ConvDesc& d, const ConvAlgo& algo, const Tensor& weight) {
  Storage& s = *weight.storage();
  const Isa isa = activeIsa();
  const Key key{&algo, isa, d};
  Cache& c = cache();
  std::vector<std::shared_ptr<const ConvPrepared>> dead;  // declared before the locks: freed after them
  // The version is read before the contents are: a write racing with the prepare below leaves the entry
  // already stale (a racing write is the caller's data race anyway; it can only cost a re-prepare).
  const uint64_t version = s.version();
  const bool tracked = s.writesTracked();
  if (tracked) {
    std::lock_guard<std::mutex> lock(c.mu);
    Lru::iterator it = find(c, s, key);
    if (it != c.lru.end()) {
      if (it->version == version) {
        c.lru.splice(c.lru.begin(), c.lru, it);
        ++c.hits;
        return it->prepared;
      }
      dead.push_back(unlink(c, it));  // made from contents since overwritten
    }
    ++c.misses;
  }
  auto fresh = std::make_shared<ConvPrepared>();
  algo.prepare(d, weight.data(), isa, *fresh);  // the ISA of the key
  std::shared_ptr<const ConvPrepared> p = std::move(fresh);
  const int64_t bytes = int64_t(p->data.bytes());
  std::lock_guard<std::mutex> lock(c.mu);
  // Kept only if nothing wrote (or opened a view) while it was prepared, and it fits at all.
  if (!tracked || !s.writesTracked() || s.version() != version || bytes > c.limit) return p;
  Lru::iterator old = find(c, s, key);  // another thread prepared the same meanwhile: keep the newer
  if (old != c.lru.end()) dead.push_back(unlink(c, old));
  Slot* slot = slotOf(s);
  if (!slot) {
    if (s.attachment()) return p;  // another facility's attachment: not ours to replace
    auto fresh = std::make_unique<Slot>();
    slot = fresh.get();
    s.setAttachment(std::move(fresh));
  }
  c.lru.push_front(Entry{slot, key, version, p, bytes});
  slot->entries.push_back(c.lru.begin());
  c.bytes += bytes;
  evictToFit(c, dead);
  return p;
}

PreparedCacheStats preparedCacheStats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  PreparedCacheStats s;
  s.entries = int64_t(c.lru.size());
  s.bytes = c.bytes;
  s.limitBytes = c.limit;
  s.hits = c.hits;
  s.misses = c.misses;
  return s;
}

void setPreparedCacheLimit(int64_t bytes) {
  Cache& c = cache();
  std::vector<std::shared_ptr<const ConvPrepared>> dead;
  std::lock_guard<std::mutex> lock(c.mu);
  c.limit = bytes < 0 ? 0 : bytes;
  evictToFit(c, dead);
}

void clearPreparedCache() {
  Cache& c = cache();
  std::vector<std::shared_ptr<const ConvPrepared>> dead;
  std::lock_guard<std::mutex> lock(c.mu);
  while (!c.lru.empty()) dead.push_back(unlink(c, c.lru.begin()));
  c.hits = c.misses = 0;
}

}  // namespace convnets
