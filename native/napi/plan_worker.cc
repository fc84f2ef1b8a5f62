// The compiled Plan handle: runSync on the calling thread, runAsync on the library's own run queue
// (graph/run_queue.h, never libuv's thread pool), so a served model blocks neither the event loop nor the
// host's fs, dns and zlib. The runner thread touches only C++ (graph/plan.h); N-API is used before
// (arguments) and after (wrapping the result, settling the promise through a thread-safe function) on
// the JS thread.
#include <atomic>

#include "graph/run_queue.h"

#include "napi/trace.h"

namespace convnets::napi {
namespace {

class PlanWrap : public Napi::ObjectWrap<PlanWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativePlan",
                       {InstanceAccessor<&PlanWrap::steps>("steps"),
                        InstanceAccessor<&PlanWrap::inputShape>("inputShape"),
                        InstanceAccessor<&PlanWrap::outputShape>("outputShape"),
                        InstanceAccessor<&PlanWrap::device>("device"),
                        InstanceAccessor<&PlanWrap::disposed>("disposed"),
                        InstanceAccessor<&PlanWrap::graphStatus>("graphStatus"),
                        InstanceAccessor<&PlanWrap::arenaBytes>("arenaBytes"),
                        InstanceAccessor<&PlanWrap::arenaAllocations>("arenaAllocations"),
                        InstanceAccessor<&PlanWrap::arenaFallbacks>("arenaFallbacks"),
                        InstanceMethod<&PlanWrap::ops>("ops"),
                        InstanceMethod<&PlanWrap::runSync>("runSync"),
                        InstanceMethod<&PlanWrap::runAsync>("runAsync"),
                        InstanceMethod<&PlanWrap::profileSync>("profileSync"),
                        InstanceMethod<&PlanWrap::dispose>("dispose")});
  }
  explicit PlanWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PlanWrap>(info) {}
  void set(std::shared_ptr<const Plan> p) { plan_ = std::move(p); }

 private:
  const Plan& plan(const char* op) const {
    CN_CHECK(plan_, op, ": the plan was disposed");
    return *plan_;
  }
  static Napi::Array shapeArray(Napi::Env env, const Shape& s) {
    auto a = Napi::Array::New(env, s.size());
    for (size_t i = 0; i < s.size(); ++i) a.Set(uint32_t(i), double(s[i]));
    return a;
  }
  Napi::Value steps(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(plan("plan.steps").steps().size()));
  }
  Napi::Value inputShape(const Napi::CallbackInfo& info) {
    return shapeArray(info.Env(), plan("plan.inputShape").inputShape());
  }
  Napi::Value outputShape(const Napi::CallbackInfo& info) {
    return shapeArray(info.Env(), plan("plan.outputShape").outputShape());
  }
  Napi::Value device(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), plan("plan.device").device().str());
  }
  Napi::Value disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !plan_); }
  Napi::Value graphStatus(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), plan("plan.graphStatus").graphStatus());
  }
  Napi::Value arenaBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(plan("plan.arenaBytes").arenaBytes()));
  }
  Napi::Value arenaAllocations(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(plan("plan.arena").arena().plannedAllocations()));
  }
  Napi::Value arenaFallbacks(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(plan("plan.arena").arena().fallbacks()));
  }
  // The op of each step after lowering, e.g. "conv2d+batchNorm+relu".
  Napi::Value ops(const Napi::CallbackInfo& info) {
    const auto& st = plan("plan.ops").steps();
    auto a = Napi::Array::New(info.Env(), st.size());
    for (size_t i = 0; i < st.size(); ++i) a.Set(uint32_t(i), st[i].name());
    return a;
  }
  Napi::Value runSync(const Napi::CallbackInfo& info) {
    const Plan& p = plan("plan.run");
    return wrapTensor(info.Env(), p.run(tensorArg(info[0], "plan.run", "input")));
  }
  Napi::Value runAsync(const Napi::CallbackInfo& info);
  // profileSync(input) → per-step wall times in ms (one run on the calling thread; its output is dropped).
  Napi::Value profileSync(const Napi::CallbackInfo& info) {
    const Plan& p = plan("plan.profile");
    std::vector<double> ms;
    p.run(tensorArg(info[0], "plan.profile", "input"), &ms);
    auto a = Napi::Array::New(info.Env(), ms.size());
    for (size_t i = 0; i < ms.size(); ++i) a.Set(uint32_t(i), ms[i]);
    return a;
  }
  Napi::Value dispose(const Napi::CallbackInfo& info) {
    plan_ = nullptr;  // a run in flight keeps its own reference; the constants go when it ends
    return info.Env().Undefined();
  }

  std::shared_ptr<const Plan> plan_;
};

// One run in flight: made on the JS thread, run on the plan's lane (graph/run_queue.h), settled back on the
// JS thread by a thread-safe function made for this run. Like an AsyncWorker, that function keeps the
// event loop alive until the run has settled; unlike one, it holds no libuv pool thread while it waits.
struct RunJob {
  Napi::Promise::Deferred deferred;
  std::shared_ptr<const Plan> plan;
  Tensor input, output;
  std::string error;  // set when the run failed
  bool failed = false;
};

void settleRun(Napi::Env env, Napi::Function, std::nullptr_t*, RunJob* raw) {
  std::unique_ptr<RunJob> job(raw);
  if (env == nullptr) return;  // the environment is going away: nobody is left to tell
  try {
    if (job->failed) job->deferred.Reject(Napi::Error::New(env, job->error).Value());
    else job->deferred.Resolve(wrapTensor(env, std::move(job->output)));
  } catch (const Napi::Error& e) {
    job->deferred.Reject(e.Value());
  } catch (const std::exception& e) {
    job->deferred.Reject(Napi::Error::New(env, e.what()).Value());
  }
}
using RunDone = Napi::TypedThreadSafeFunction<std::nullptr_t, RunJob, settleRun>;

Napi::Value PlanWrap::runAsync(const Napi::CallbackInfo& info) {
  const Plan& p = plan("plan.run");
  const Tensor& x = tensorArg(info[0], "plan.run", "input");
  // Checked here as well as in Plan::run so a wrong input fails before a worker is queued.
  CN_CHECK(x.shape() == p.inputShape() && x.device() == p.device(), "plan.run: expected an input of shape ",
           shapeStr(p.inputShape()), " on ", p.device().str(), ", got ", shapeStr(x.shape()), " on ",
           x.device().str());
  auto* job = new RunJob{Napi::Promise::Deferred::New(info.Env()), plan_, x, Tensor(), std::string(), false};
  Napi::Promise promise = job->deferred.Promise();
  RunDone done = RunDone::New(info.Env(), "convnets.plan.run", 0, 1);
  submitRun(p.device().str(), [job, done]() mutable {
    try {
      job->output = job->plan->run(job->input);
    } catch (const std::exception& e) {
      job->failed = true;
      job->error = e.what();
    } catch (...) {
      job->failed = true;
      job->error = "plan.run: the run failed with a non-standard exception";
    }
    job->input.release();  // the caller's tensor and the plan's constants go as soon as the run ends
    job->plan = nullptr;
    if (done.BlockingCall(job) != napi_ok) delete job;  // the environment is closing
    done.Release();
  });
  return promise;
}

// Test hook: a copy of x for the first `okCalls` runs of this op (the traced one included), then an
// error — how tests make a step fail inside a plan run. Optional: `failCalls` (default: every later call)
// bounds the failing calls, after which the op works again (a transient fault); `nonStandard` throws an
// int instead of an exception object (what a foreign library might do), which the run must survive too.
Napi::Value testFailingOp(const Napi::CallbackInfo& info) {
  const Tensor& x = tensorArg(info[0], "testFailingOp", "input");
  int64_t okCalls = intArg(info[1], "testFailingOp", "okCalls");
  int64_t failCalls = info.Length() > 2 && !info[2].IsUndefined() ? intArg(info[2], "testFailingOp", "failCalls") : -1;
  bool nonStandard = info.Length() > 3 && boolArg(info[3], "testFailingOp", "nonStandard");
  auto calls = std::make_shared<std::atomic<int64_t>>(0);
  return emit(info, StepKind::TestFailingOp, {x}, [calls, okCalls, failCalls, nonStandard](const std::vector<Tensor>& in) {
    int64_t n = ++*calls;
    bool fails = n > okCalls && (failCalls < 0 || n <= okCalls + failCalls);
    if (fails && nonStandard) throw int(42);
    CN_CHECK(!fails, "testFailingOp: failing on purpose (call ", n, ")");
    return in[0].to(in[0].device());
  });
}

}  // namespace

Napi::Object wrapPlan(Napi::Env env, std::shared_ptr<const Plan> plan) {
  Napi::Object obj = env.GetInstanceData<AddonData>()->planCtor.New({});
  PlanWrap::Unwrap(obj)->set(std::move(plan));
  return obj;
}

void initPlan(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = PlanWrap::define(env);
  env.GetInstanceData<AddonData>()->planCtor = Napi::Persistent(ctor);
  exports.Set("NativePlan", ctor);
  exports.Set("testFailingOp", Napi::Function::New(env, testFailingOp));
}

}  // namespace convnets::napi
