// Seeded mutation fuzzer over the native half of the safetensors loader (core::storedBytesToTensor, what
// io.loadSafetensors calls per tensor with the bytes, dtype and shape the header gives), built with AddressSanitizer
// and UndefinedBehaviorSanitizer by test/reliability/fuzz-safetensors.test.ts:
//   stored_bytes_fuzz <seed> <inputs>
//   stored_bytes_fuzz --canary      reads one byte past a heap block on purpose: ASan must report it (the test's
//                                   proof that the sanitizers are really on in this build)
// Each input starts from a valid (dtype, shape, bytes) triple and applies 1-4 mutations: dimensions set to
// 0 / 1 / negative / huge / random, dimensions added or dropped (up to 10), the dtype renamed (another dtype,
// lower case, truncated, garbage, an embedded NUL), the bytes truncated, extended or bit-flipped. The bytes live in
// an allocation of exactly their length, so any read past them is an ASan report. Every input must either give a
// tensor of the shape's element count (F32 bit-exact) or throw convnets::Error; anything else aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype_convert.h"
#include "core/error.h"

namespace {

struct Rng {  // xorshift64*: the same sequence for the same seed on every machine
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
};

const char* kTypes[] = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"};
const int kWidth[] = {8, 4, 2, 2, 8, 4, 2, 1, 1, 1};

int64_t interestingDim(Rng& r) {
  static const int64_t v[] = {0, 1, 2, 3, 7, 255, 256, 65535, 65536, int64_t(1) << 31, int64_t(1) << 32,
                              int64_t(1) << 53, int64_t(1) << 61, INT64_MAX, INT64_MAX / 4, INT64_MAX / 8 + 1, -1,
                              INT64_MIN, -(int64_t(1) << 40)};
  return r.below(3) ? v[r.below(sizeof v / sizeof *v)] : int64_t(r.next());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--canary") == 0) {
    std::unique_ptr<uint8_t[]> block(new uint8_t[16]());
    uint8_t v[4];
    volatile size_t n = 4;                     // not a constant: the call stays a call to the interceptor
    std::memcpy(v, block.get() + 14, n);       // heap-buffer-overflow, two bytes past the block
    return v[3];
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <seed> <inputs>\n", argv[0]);
    return 2;
  }
  Rng rng{std::strtoull(argv[1], nullptr, 10) * 0x9E3779B97F4A7C15ull + 1};
  const long inputs = std::strtol(argv[2], nullptr, 10);
  long accepted = 0, rejected = 0;
  for (long it = 0; it < inputs; ++it) {
    // A valid starting point: a dtype, a small shape, and exactly the bytes it needs.
    int ti = int(rng.below(10));
    std::string dtype = kTypes[ti];
    std::vector<int64_t> shape(rng.below(4));
    for (auto& d : shape) d = int64_t(rng.below(6));
    int64_t numel = 1;
    for (auto d : shape) numel *= d;
    size_t len = size_t(numel * kWidth[ti]);
    std::vector<uint8_t> content(len);
    for (auto& b : content) b = uint8_t(rng.next());

    for (int m = 0, count = 1 + int(rng.below(4)); m < count; ++m) {
      switch (rng.below(8)) {
        case 0: if (!shape.empty()) shape[rng.below(shape.size())] = interestingDim(rng); break;
        case 1: if (shape.size() < 10) shape.insert(shape.begin() + rng.below(shape.size() + 1), interestingDim(rng)); break;
        case 2: if (!shape.empty()) shape.erase(shape.begin() + rng.below(shape.size())); break;
        case 3: dtype = kTypes[rng.below(10)]; break;
        case 4: {
          static const char* odd[] = {"", "f32", "F3", "F32 ", "U16", "F8_E4M3", "BOOLEAN", "I64\xff"};
          dtype = rng.below(4) ? odd[rng.below(8)] : std::string("F32\0X", 5);
          break;
        }
        case 5: content.resize(rng.below(content.size() + 1)); break;
        case 6: content.resize(content.size() + 1 + rng.below(17), uint8_t(rng.next())); break;
        default:
          if (!content.empty()) content[rng.below(content.size())] ^= uint8_t(1u << rng.below(8));
          break;
      }
    }

    // Exactly content.size() bytes: a read past them is a heap-buffer-overflow report.
    std::unique_ptr<uint8_t[]> bytes(new uint8_t[content.size() ? content.size() : 1]);
    if (!content.empty()) std::memcpy(bytes.get(), content.data(), content.size());
    try {
      convnets::Tensor t = convnets::storedBytesToTensor(bytes.get(), content.size(), dtype, shape, "fuzz");
      int64_t n = 1;
      for (auto d : shape) n *= d;
      if (t.numel() != n) {
        std::fprintf(stderr, "input %ld: %lld elements for a shape of %lld\n", it, (long long)t.numel(), (long long)n);
        return 1;
      }
      if (dtype == "F32" && n && std::memcmp(t.data(), bytes.get(), size_t(n) * 4) != 0) {
        std::fprintf(stderr, "input %ld: F32 bytes not copied exactly\n", it);
        return 1;
      }
      ++accepted;
    } catch (const convnets::Error& e) {
      if (std::strncmp(e.what(), "fuzz: ", 6) != 0 && std::strncmp(e.what(), "shape ", 6) != 0) {
        std::fprintf(stderr, "input %ld: an error that names neither the op nor the shape: %s\n", it, e.what());
        return 1;
      }
      ++rejected;
    }
  }
  std::printf("%ld inputs: %ld accepted, %ld rejected with an Error, 0 crashes\n", inputs, accepted, rejected);
  return 0;
}
