#include "graph/step.h"

namespace convnets {

StepTraits stepTraits(StepKind kind) {
  // A switch without a default: the compiler warns (-Wswitch) when a new kind has no entry.
  switch (kind) {
    case StepKind::Conv2d: return {"conv2d", StepClass::Conv, true};
    case StepKind::Linear: return {"linear", StepClass::Other, true};
    case StepKind::Matmul: return {"matmul", StepClass::Other, false};
    case StepKind::BatchNorm: return {"batchNorm", StepClass::Channelwise, true};
    case StepKind::Relu: return {"relu", StepClass::Elementwise, false};
    case StepKind::Add: return {"add", StepClass::Elementwise, true};
    case StepKind::MaxPool2d: return {"maxPool2d", StepClass::Pool, false};
    case StepKind::AvgPool2d: return {"avgPool2d", StepClass::Pool, false};
    case StepKind::AdaptiveAvgPool2d: return {"adaptiveAvgPool2d", StepClass::Pool, false};
    case StepKind::LocalResponseNorm: return {"localResponseNorm", StepClass::Other, false};
    case StepKind::Dropout: return {"dropout", StepClass::Other, false};
    case StepKind::Interpolate: return {"interpolate", StepClass::Other, false};
    case StepKind::Crop2d: return {"crop2d", StepClass::Other, false};
    case StepKind::Softmax: return {"softmax", StepClass::Other, false};
    case StepKind::LogSoftmax: return {"logSoftmax", StepClass::Other, false};
    case StepKind::Argmax: return {"argmax", StepClass::Other, false};
    case StepKind::Cat: return {"cat", StepClass::Other, false};
    case StepKind::Reshape: return {"reshape", StepClass::Other, false};
    case StepKind::To: return {"to", StepClass::Elementwise, false};
    case StepKind::Reorder: return {"reorder", StepClass::Other, false};
    case StepKind::TestFailingOp: return {"testFailingOp", StepClass::Elementwise, false};
  }
  return {"?", StepClass::Other, false};  // unreachable: every enumerator is handled
}

const char* fusionName(Fusion f) {
  switch (f) {
    case Fusion::Relu: return "relu";
    case Fusion::BatchNorm: return "batchNorm";
    case Fusion::Residual: return "add";
    case Fusion::Concat: return "cat";
    case Fusion::AvgPool: return "avgPool2d";
  }
  return "?";
}

std::string Step::name() const {
  std::string s;
  for (Fusion f : before) s.append(fusionName(f)).push_back('+');
  s += stepTraits(kind).name;
  for (Fusion f : after) s.append("+").append(fusionName(f));
  return s;
}

StepFn convLayerFn(const ConvLayer& layer) {
  std::shared_ptr<const ConvPlan> plan = layer.plan;
  ConvOptions opts = layer.opts;
  if (layer.residual)
    return [plan, opts](const std::vector<Tensor>& in) { return plan->runResidual(in[0], in[1], opts); };
  if (layer.concatInput) return [plan, opts](const std::vector<Tensor>& in) { return plan->runConcat(in, opts); };
  return [plan, opts](const std::vector<Tensor>& in) { return plan->run(in[0], opts); };
}

}  // namespace convnets
