// What both conv registries share: lookup by name (an unknown name lists the known ones) and the cache of
// 'find' winners (key → algorithm name; bounded, thread-safe). Each registry has one FindCache of its own,
// keyed as it needs (CPU: desc, threads, ISA; CUDA: desc, device, workspace limit).
#pragma once
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace convnets {

// The entry of `list` named `name`; throws "<op>: unknown <what> '<name>' (expected 'auto', 'find' or one of: …)".
template <class Entry>
const Entry& entryNamed(const std::vector<Entry>& list, const std::string& name, const char* what) {
  std::string known;
  for (const Entry& a : list) {
    if (name == a.name) return a;
    known += std::string(known.empty() ? "" : ", ") + a.name;
  }
  fail("conv2d: unknown ", what, " '", name, "' (expected 'auto', 'find' or one of: ", known, ")");
}

class FindCache {
 public:
  std::optional<std::string> get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = winners_.find(key);
    if (it == winners_.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, const std::string& algo) {
    std::lock_guard<std::mutex> lock(mu_);
    if (winners_.size() >= kMax) winners_.clear();  // bounded: a server with many shapes does not grow forever
    winners_[key] = algo;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    winners_.clear();
  }

 private:
  static constexpr size_t kMax = 4096;
  std::mutex mu_;
  std::map<std::string, std::string> winners_;
};

}  // namespace convnets
