#include "adapters/linear_input_taps.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "core/error.h"

namespace retune::adapters {
namespace {

// Hands the input of its layer to the taps' current visitor.
class InputObserver final : public model::LinearAdapter {
 public:
  InputObserver(size_t site, const LinearInputTaps::Visit* const& visit)
      : site_(site), visit_(visit) {}

  void apply(const Tensor& x, const Tensor&) const override {
    if (visit_ != nullptr) (*visit_)(site_, x);
  }
  void forward(const Tensor&, const Tensor&) override {
    fail("a linear input tap runs in inference only, not in a training step");
  }
  Tensor backward(const Tensor&, const Tensor&, const Tensor&, bool) override {
    fail("a linear input tap runs in inference only, not in a training step");
  }

 private:
  size_t site_;
  const LinearInputTaps::Visit* const& visit_;
};

}  // namespace

LinearInputTaps::LinearInputTaps(model::CausalLm& model, std::vector<model::LinearSite> sites)
    : model_(model), sites_(std::move(sites)) {
  for (size_t i = 0; i < sites_.size(); ++i) {
    sites_[i].attach(std::make_shared<InputObserver>(i, visit_));
  }
}

LinearInputTaps::~LinearInputTaps() {
  for (const model::LinearSite& site : sites_) site.attach(nullptr);
}

void LinearInputTaps::run(const CalibrationBatch& batch, const Visit& visit) {
  visit_ = &visit;
  try {
    model_.forward_hidden(batch.input_ids);
  } catch (...) {
    visit_ = nullptr;
    throw;
  }
  visit_ = nullptr;
}

Tensor masked_rows(const Tensor& x, const std::vector<uint8_t>& mask) {
  RETUNE_CHECK(x.rank() == 2 && x.size(0) == std::ssize(mask),
               "masked_rows: a mask of {} rows for x {}", mask.size(), x.describe());
  const int64_t width = x.size(1);
  const auto count = static_cast<int64_t>(
      std::count_if(mask.begin(), mask.end(), [](uint8_t m) { return m != 0; }));
  Tensor rows = Tensor::empty({count, width}, DType::f32);
  int64_t next = 0;
  for (int64_t i = 0; i < x.size(0); ++i) {
    if (mask[static_cast<size_t>(i)] == 0) continue;
    rows.select(0, next++).copy_from(x.select(0, i).to(DType::f32));
  }
  return rows;
}

}  // namespace retune::adapters
