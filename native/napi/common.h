// Helpers shared by the binding files: argument readers that throw a JS-visible error naming the op and
// the argument, and the Tensor handle wrapper. No maths here.
#pragma once
#include <napi.h>

#include <array>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/precision.h"
#include "core/tensor.h"

namespace convnets::napi {

// The JS-visible native tensor handle (lib/tensor.ts wraps it).
class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;

  const Tensor& tensor() const { return tensor_; }
  void set(Napi::Env env, Tensor t);

 private:
  Napi::Value shape(const Napi::CallbackInfo& info);
  Napi::Value device(const Napi::CallbackInfo& info);
  Napi::Value disposed(const Napi::CallbackInfo& info);
  Napi::Value data(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value reshape(const Napi::CallbackInfo& info);
  Napi::Value to(const Napi::CallbackInfo& info);

  Tensor tensor_;
};

struct Trace;  // napi/trace.cc

// Per-addon state (N-API instance data): the TensorWrap constructor.
struct AddonData {
  Napi::FunctionReference tensorCtor;
  Napi::FunctionReference planCtor;  // napi/plan_worker.cc
  std::shared_ptr<Trace> trace;      // set while compile() traces a forward pass (napi/trace.cc)
  int64_t reportedBytes = 0;         // heldBytes() as last told to V8 (syncExternalMemory)
};

// Tells V8 how far the allocators' footprint (core heldBytes) moved since the last call, so that growth from
// tensors nobody disposed brings a garbage collection that runs their finalizers. Reporting each tensor's
// bytes instead made every op with an output above V8's 64 MB soft limit start a full mark-compact, even
// with every tensor disposed: 2-3 ms per call (relu on 103 MB: 8 ms per call on the CPU, 5x PyTorch's time
// on an H200). Called wherever tensors or prepared weights are made or released on the JS thread.
void syncExternalMemory(Napi::Env env);

Napi::Object wrapTensor(Napi::Env env, Tensor t);
// The tensor behind argument `v`; throws "<op>: <name> must be a Tensor" / "... was disposed".
const Tensor& tensorArg(const Napi::Value& v, const char* op, const char* name);
// Like tensorArg, but null/undefined give an undefined Tensor (optional operands such as bias).
Tensor optionalTensorArg(const Napi::Value& v, const char* op, const char* name);
Shape shapeArg(const Napi::Value& v, const char* op, const char* name);
// A shape as a JS array of numbers.
Napi::Array shapeValue(Napi::Env env, const Shape& shape);
std::vector<int64_t> intsArg(const Napi::Value& v, const char* op, const char* name);
int64_t intArg(const Napi::Value& v, const char* op, const char* name);
double numberArg(const Napi::Value& v, const char* op, const char* name);
bool boolArg(const Napi::Value& v, const char* op, const char* name);
std::string stringArg(const Napi::Value& v, const char* op, const char* name);
Device deviceArg(const Napi::Value& v, const char* op);
// [h, w] from a two-integer array; `unit` is how the count is worded in the message ("values", "elements").
std::array<int64_t, 2> pairArg(const Napi::Value& v, const char* op, const char* name, const char* unit = "elements");

// The options object of a binding with more than four arguments (operands stay positional), read by name as
// sharp's pipeline reads its options, so adding an option shifts no positional index in the binding,
// lib/native.ts and the caller. `known` lists every key the binding reads: any other key is a caller's typo
// and is rejected by name, and reading a key not listed is a bug caught on the first call. Each reader
// throws the message the positional readers above throw ("<op>: <key> must be an integer", ...).
class Options {
 public:
  Options(const Napi::Value& v, const char* op, std::initializer_list<const char*> known);
  const char* op() const { return op_; }
  // The value of `key` (undefined when absent).
  Napi::Value get(const char* key) const;
  // Present and neither undefined nor null.
  bool has(const char* key) const;
  int64_t integer(const char* key) const;
  double number(const char* key) const;
  bool boolean(const char* key) const;
  bool boolean(const char* key, bool absent) const;
  std::string string(const char* key) const;
  Shape shape(const char* key) const;
  std::vector<int64_t> integers(const char* key) const;
  // [h, w] (pairArg).
  std::array<int64_t, 2> pair(const char* key, const char* unit = "elements") const;
  // "precision": 'fp32' (also when absent), 'tf32', 'bf16' or 'fp16'.
  Precision precision() const;

 private:
  Napi::Object obj_;
  const char* op_;
  std::vector<const char*> known_;  // a copy: the caller's list lives only as long as its statement
};

// The options object at `v` (see Options); throws "<op>: options must be an object" otherwise.
inline Options optionsArg(const Napi::Value& v, const char* op, std::initializer_list<const char*> known) {
  return Options(v, op, known);
}

// Registration hooks, one per binding file; addon.cc calls each.
void initTensor(Napi::Env env, Napi::Object exports);
void initPool(Napi::Env env, Napi::Object exports);
void initOps(Napi::Env env, Napi::Object exports);
void initConv(Napi::Env env, Napi::Object exports);
void initCuda(Napi::Env env, Napi::Object exports);
void initTrace(Napi::Env env, Napi::Object exports);
void initPlan(Napi::Env env, Napi::Object exports);
void initIo(Napi::Env env, Napi::Object exports);
void initBlocked(Napi::Env env, Napi::Object exports);  // napi/blocked.cc (test hook)

}  // namespace convnets::napi
