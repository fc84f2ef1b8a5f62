// Options: the by-name reader of a binding's options object (common.h). Messages match the positional
// readers' (tensor_wrap.cc) word for word, so moving an argument into the object changes no error.
#include <cstring>

#include "napi/common.h"

namespace convnets::napi {

Options::Options(const Napi::Value& v, const char* op, std::initializer_list<const char*> known)
    : op_(op), known_(known) {
  CN_CHECK(v.IsObject() && !v.IsArray(), op, ": options must be an object");
  obj_ = v.As<Napi::Object>();
  // Every own enumerable string key must be a known one. Read through the C API into a stack buffer: this runs
  // on every eager call of the op, so it makes no string per key and skips the prototype chain.
  napi_env env = v.Env();
  napi_value keys;
  NAPI_THROW_IF_FAILED_VOID(env, napi_get_all_property_names(env, obj_, napi_key_own_only,
                                                             napi_key_filter(napi_key_enumerable | napi_key_skip_symbols),
                                                             napi_key_numbers_to_strings, &keys));
  uint32_t count = 0;
  NAPI_THROW_IF_FAILED_VOID(env, napi_get_array_length(env, keys, &count));
  for (uint32_t i = 0; i < count; ++i) {
    napi_value key;
    char name[64];
    size_t length = 0;
    NAPI_THROW_IF_FAILED_VOID(env, napi_get_element(env, keys, i, &key));
    NAPI_THROW_IF_FAILED_VOID(env, napi_get_value_string_utf8(env, key, name, sizeof name, &length));
    bool ok = false;
    for (const char* k : known_) ok = ok || std::strcmp(name, k) == 0;  // a key of 63+ bytes is cut, never known
    if (ok) continue;
    std::string expected;
    for (const char* k : known_) expected += (expected.empty() ? "" : ", ") + std::string(k);
    fail(op, ": unknown option '", Napi::Value(env, key).ToString().Utf8Value(), "' (expected ", expected, ")");
  }
}

Napi::Value Options::get(const char* key) const {
  bool declared = false;
  for (const char* k : known_) declared = declared || std::strcmp(k, key) == 0;
  CN_CHECK(declared, op_, ": the binding reads option '", key, "' without declaring it");  // a bug, not a caller's error
  return obj_.Get(key);
}

bool Options::has(const char* key) const {
  Napi::Value v = get(key);
  return !v.IsUndefined() && !v.IsNull();
}

int64_t Options::integer(const char* key) const { return intArg(get(key), op_, key); }
double Options::number(const char* key) const { return numberArg(get(key), op_, key); }
bool Options::boolean(const char* key) const { return boolArg(get(key), op_, key); }
bool Options::boolean(const char* key, bool absent) const { return has(key) ? boolean(key) : absent; }
std::string Options::string(const char* key) const { return stringArg(get(key), op_, key); }
Shape Options::shape(const char* key) const { return shapeArg(get(key), op_, key); }
std::vector<int64_t> Options::integers(const char* key) const { return intsArg(get(key), op_, key); }

std::array<int64_t, 2> Options::pair(const char* key, const char* unit) const { return pairArg(get(key), op_, key, unit); }

std::array<int64_t, 2> pairArg(const Napi::Value& v, const char* op, const char* name, const char* unit) {
  std::vector<int64_t> p = intsArg(v, op, name);
  CN_CHECK(p.size() == 2, op, ": ", name, " must have 2 ", unit, " [h, w], got ", p.size());
  return {p[0], p[1]};
}

Precision Options::precision() const {
  return has("precision") ? parsePrecision(string("precision"), op_) : Precision::Fp32;
}

}  // namespace convnets::napi
