#include "merge/merge_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/rng.h"
#include "merge/tensor_layout.h"

namespace retune::merge {
namespace {

uint64_t name_hash(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

DType promoted(const std::vector<DType>& dtypes) {
  DType out = dtypes.front();
  for (DType d : dtypes) {
    if (d != out) out = DType::f32;
  }
  return out;
}

class Planner {
 public:
  Planner(MergeConfig config, uint64_t seed, MergePlan& plan)
      : config_(std::move(config)), method_(*config_.method), seed_(seed), plan_(plan) {}

  void run() {
    plan_.method = &method_;
    plan_.dtype = config_.dtype;
    open_models();
    fill_layer_ranges();
    check_sources();
    const OutputSlice& first = config_.slices.front();
    const OutputSlice& last = config_.slices.back();
    const InputModel& first_model = model_of(first.sources.front().model);
    for (const std::string& name : first_model.names()) {
      if (tensor_slot(name).part == TensorSlot::Part::pre) add_tensor(name, name, first, {}, 0);
    }
    int64_t out_layer = 0;
    for (const OutputSlice& slice : config_.slices) {
      const int64_t n = slice.sources.front().layer_end - slice.sources.front().layer_begin;
      for (int64_t i = 0; i < n; ++i) {
        const double t = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 1.0;
        for (const std::string& tmpl : layer_templates(slice.sources.front(), i)) {
          std::vector<int64_t> layers;
          for (const SliceSource& s : slice.sources) layers.push_back(s.layer_begin + i);
          add_tensor(layer_tensor_name(tmpl, out_layer), tmpl, slice, layers, t);
        }
        ++out_layer;
      }
    }
    plan_.num_layers = out_layer;
    const InputModel& last_model = model_of(last.sources.front().model);
    for (const std::string& name : last_model.names()) {
      if (tensor_slot(name).part == TensorSlot::Part::post) add_tensor(name, name, last, {}, 0);
    }
    warn_weights();
  }

 private:
  std::string at(int line) const { return fmt::format("{}:{}", config_.file.string(), line); }

  size_t index_of(const ModelReference& ref) const {
    for (size_t i = 0; i < plan_.models.size(); ++i) {
      if (plan_.models[i]->reference().same_as(ref)) return i;
    }
    fail("model {} was not opened", ref.text);
  }
  const InputModel& model_of(const ModelReference& ref) const {
    return *plan_.models[index_of(ref)];
  }

  void open(const ModelReference& ref) {
    for (const auto& m : plan_.models) {
      if (m->reference().same_as(ref)) return;
    }
    plan_.models.push_back(std::make_unique<InputModel>(ref));
  }

  void open_models() {
    // The donor (config.json, tokenizer): the base, else the first source (mergekit's donor).
    if (config_.base_model) open(*config_.base_model);
    for (const OutputSlice& slice : config_.slices) {
      if (slice.base_model) open(*slice.base_model);
      for (const SliceSource& s : slice.sources) open(s.model);
    }
    plan_.donor = 0;
    const InputModel& donor = *plan_.models[0];
    for (const auto& m : plan_.models) {
      RETUNE_CHECK(m->architecture() == donor.architecture(),
                   "{}: architecture {}, but {} is {}; models of one architecture merge",
                   (m->folder() / "config.json").string(), m->architecture(), donor.label(),
                   donor.architecture());
    }
  }

  void fill_layer_ranges() {
    for (OutputSlice& slice : config_.slices) {
      for (SliceSource& s : slice.sources) {
        if (!s.whole_model) continue;
        s.layer_begin = 0;
        s.layer_end = model_of(s.model).num_layers();
      }
    }
  }

  void check_sources() {
    for (const OutputSlice& slice : config_.slices) {
      const SliceSource& first = slice.sources.front();
      for (const SliceSource& s : slice.sources) {
        const InputModel& m = model_of(s.model);
        RETUNE_CHECK(s.layer_end <= m.num_layers(),
                     "{}: layer_range [{}, {}] of {} goes past its {} layers", at(s.model.line),
                     s.layer_begin, s.layer_end, s.model.text, m.num_layers());
        RETUNE_CHECK(s.layer_end - s.layer_begin == first.layer_end - first.layer_begin,
                     "{}: {} has {} layers but {} has {}; the models of a merge must have the "
                     "same depth",
                     at(s.model.line), s.model.text, m.num_layers(), first.model.text,
                     model_of(first.model).num_layers());
        for (const SliceSource& other : slice.sources) {
          RETUNE_CHECK(&other == &s || !other.model.same_as(s.model),
                       "{}: model {} is given twice in one slice", at(other.model.line),
                       other.model.text);
        }
      }
      check_inputs(slice);
    }
  }

  std::optional<ModelReference> base_of(const OutputSlice& slice) const {
    if (method_.base == BasePolicy::ignored) return std::nullopt;
    if (slice.base_model) return slice.base_model;
    return config_.base_model;
  }

  // mergekit's InputContract for one slice.
  void check_inputs(const OutputSlice& slice) const {
    const std::optional<ModelReference> base = base_of(slice);
    bool has_base = false;
    if (base) {
      has_base = std::any_of(slice.sources.begin(), slice.sources.end(),
                             [&](const SliceSource& s) { return s.model.same_as(*base); });
      RETUNE_CHECK(has_base, "{}: the base model {} is not among the slice's sources",
                   at(slice.line), base->text);
    }
    RETUNE_CHECK(has_base || method_.base != BasePolicy::required, "{}: {} needs a base_model",
                 config_.file.string(), method_.name);
    const auto count = static_cast<int>(slice.sources.size());
    const int non_base = count - (has_base ? 1 : 0);
    const auto check = [&](int value, int lo, int hi, const char* what) {
      if (value >= lo && (hi < 0 || value <= hi)) return;
      const std::string expected = hi < 0     ? fmt::format("at least {}", lo)
                                   : lo == hi ? fmt::format("exactly {}", lo)
                                              : fmt::format("{} to {}", lo, hi);
      fail("{}: {} takes {} {}, got {}", at(slice.line), method_.name, expected, what, value);
    };
    check(count, method_.min_inputs, method_.max_inputs, "models (the base included)");
    check(non_base, method_.min_non_base, method_.max_non_base, "models besides the base");
  }

  // The layer templates of a source's layer `begin + i`, sorted.
  std::vector<std::string> layer_templates(const SliceSource& source, int64_t i) const {
    std::vector<std::string> out;
    for (const std::string& name : model_of(source.model).names()) {
      const TensorSlot slot = tensor_slot(name);
      if (slot.part == TensorSlot::Part::layer && slot.layer == source.layer_begin + i) {
        out.push_back(slot.template_);
      }
    }
    return out;
  }

  // The input tensor of `m` for an output tensor: by name, or a tied head's embedding.
  std::string input_name(const InputModel& m, const std::string& name,
                         const std::string& wanted_by) {
    if (m.has(name)) return name;
    for (int i = 0; !tied_embedding_candidates(name, i).empty(); ++i) {
      if (m.has(tied_embedding_candidates(name, i))) return tied_embedding_candidates(name, i);
    }
    fail("{}: no tensor {}, which {} has; the models of a merge must have the same tensors",
         m.label(), name, wanted_by);
  }

  std::optional<Scalar> resolve(const std::vector<const Parameters*>& scopes,
                                const std::string& name, const std::string& tensor,
                                double t) const {
    for (const Parameters* scope : scopes) {
      if (const ParameterSetting* s = find_setting(*scope, name)) {
        if (std::optional<Scalar> v = evaluate_setting(*s, tensor, t)) return v;
      }
    }
    return std::nullopt;
  }

  void add_tensor(const std::string& out_name, const std::string& name_or_template,
                  const OutputSlice& slice, const std::vector<int64_t>& layers, double t) {
    PlannedTensor tensor;
    tensor.name = out_name;
    const std::optional<ModelReference> base = base_of(slice);
    std::vector<DType> dtypes;
    for (size_t j = 0; j < slice.sources.size(); ++j) {
      const SliceSource& s = slice.sources[j];
      const size_t index = index_of(s.model);
      const InputModel& m = *plan_.models[index];
      const std::string wanted =
          layers.empty() ? name_or_template : layer_tensor_name(name_or_template, layers[j]);
      const std::string name = input_name(m, wanted, slice.sources.front().model.text);
      const Shape shape = m.shape(name);
      RETUNE_CHECK(dtype_is_float(m.dtype(name)),
                   "{}: tensor {} is {}; retune merges float tensors", m.label(), name,
                   dtype_name(m.dtype(name)));
      if (j == 0) {
        tensor.shape = shape;
      } else if (!(shape == tensor.shape)) {
        const InputModel& first = *plan_.models[tensor.inputs[0].model];
        const bool vocabulary = is_vocabulary_tensor(name) && shape.rank() == tensor.shape.rank() &&
                                shape.rank() == 2 && shape[1] == tensor.shape[1];
        if (vocabulary) {
          fail(
              "{}: tensor {} has {} vocabulary rows but {} has {}; retune merges models that "
              "share one vocabulary (no rule for different vocabulary sizes)",
              m.label(), name, shape[0], first.label(), tensor.shape[0]);
        }
        fail("{}: tensor {} has shape {} but {} has {}", m.label(), name, shape.str(),
             first.label(), tensor.shape.str());
      }
      dtypes.push_back(m.dtype(name));
      if (base && s.model.same_as(*base)) tensor.base = j;
      tensor.inputs.push_back({index, name});
    }
    tensor.out_dtype = config_.out_dtype ? *config_.out_dtype
                       : config_.dtype   ? *config_.dtype
                                         : promoted(dtypes);
    resolve_parameters(tensor, slice, t);
    plan_.tensors.push_back(std::move(tensor));
  }

  void resolve_parameters(PlannedTensor& tensor, const OutputSlice& slice, double t) {
    GroupParameters& p = tensor.parameters;
    const std::vector<const Parameters*> shared_scopes = {&slice.parameters, &config_.parameters};
    for (const ParameterSpec& spec : method_.parameters) {
      if (spec.scope != ParameterScope::shared) continue;
      std::optional<Scalar> value = resolve(shared_scopes, spec.name, tensor.name, t);
      if (!value) value = spec.default_value;
      if (!value && !spec.may_be_unset) {
        fail("{}: parameter {} is not set for tensor {}; {} needs it", config_.file.string(),
             spec.name, tensor.name, method_.name);
      }
      if (value) p.shared[spec.name] = *value;
    }
    uint64_t seed = seed_;
    if (const auto s = p.shared.find("seed"); s != p.shared.end()) {
      seed = static_cast<uint64_t>(s->second.number);
    }
    tensor.seed = mix64(seed ^ name_hash(tensor.name));

    for (size_t j = 0; j < tensor.inputs.size(); ++j) {
      const SliceSource& source = slice.sources[j];
      std::vector<const Parameters*> scopes;
      for (const SliceSource& s : slice.sources) {
        if (s.model.same_as(source.model)) scopes.push_back(&s.parameters);
      }
      scopes.push_back(&slice.parameters);
      scopes.push_back(&config_.parameters);
      std::map<std::string, Scalar> values;
      const bool is_base = tensor.base && *tensor.base == j;
      for (const ParameterSpec& spec : method_.parameters) {
        if (spec.scope == ParameterScope::shared) continue;
        if (spec.scope == ParameterScope::non_base && is_base) continue;
        std::optional<Scalar> value = resolve(scopes, spec.name, tensor.inputs[j].tensor, t);
        if (!value) value = spec.default_value;
        if (!value && !spec.may_be_unset) {
          fail(
              "{}: parameter {} is not set for model {} at tensor {}; set it in the model's "
              "parameters or the global ones",
              at(source.model.line), spec.name, source.model.text, tensor.inputs[j].tensor);
        }
        if (value) values[spec.name] = *value;
      }
      p.per_input.push_back(std::move(values));
    }
  }

  // linear with normalize off: weights that do not sum to 1 scale the whole model.
  void warn_weights() {
    if (method_.kind != MethodKind::linear) return;
    size_t count = 0;
    const PlannedTensor* first = nullptr;
    double first_sum = 0;
    for (const PlannedTensor& tensor : plan_.tensors) {
      if (tensor.parameters.flag("normalize")) continue;
      double sum = 0;
      for (size_t j = 0; j < tensor.inputs.size(); ++j)
        sum += tensor.parameters.number("weight", j);
      if (std::fabs(sum - 1) <= 1e-6) continue;
      if (count++ == 0) {
        first = &tensor;
        first_sum = sum;
      }
    }
    if (first == nullptr) return;
    plan_.warnings.push_back(fmt::format(
        "{}: the weights sum to {} (not 1) for tensor {}{} with normalize off: those tensors are "
        "scaled by the sum",
        config_.file.string(), first_sum, first->name,
        count > 1 ? fmt::format(" and {} more", count - 1) : ""));
  }

  MergeConfig config_;  // its models' layer ranges filled in
  const MethodSpec& method_;
  uint64_t seed_;
  MergePlan& plan_;
};

}  // namespace

MergePlan plan_merge(const MergeConfig& config, uint64_t seed) {
  MergePlan plan;
  Planner(config, seed, plan).run();
  return plan;
}

}  // namespace retune::merge
