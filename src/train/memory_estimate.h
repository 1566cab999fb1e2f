// Memory estimate: what a training run will hold at its peak, worked out from the model's sizes
// and the run's settings before the optimizer state and the activations are allocated, and the
// check that refuses a run that would not fit (TrainConfig::force starts it anyway).
//
//   total           = weights + trainable_state + activations   (bytes)
//   weights         the frozen weights as the model holds them: owned copies and mmapped files
//                   alike (every page of a frozen weight is read at every step, so all of it is
//                   resident once the first step has run)
//   trainable_state E trainable elements x (value 4 + gradient 4 + optimizer state): AdamW 8
//                   (m, v), SGD with momentum 4, SGD without 0 -> 16, 12 or 8 bytes each
//   activations     4 bytes x (N L kept + N stream + max(N backward, N head + logits + chunk C))
//
// with N = B T tokens (B rows per micro-batch, T = data.seq_len), L layers, C hidden, F the MLP
// width, Hq / Hkv heads of D dims (GPT-2: H heads, H D = C), V the vocabulary. Floats per token:
//   kept      what a layer's forward keeps for the backward (model/llama_training.cpp's
//             LayerActivations, model/gpt2_training.cpp's BlockActivations):
//               Llama family  4C + 3F + 2 Hq D + 2 Hkv D + Hq + 2, and with q/k norms (Qwen3)
//                             Hq D + Hkv D + Hq + Hkv more
//               GPT-2         8C + 2F + H + 4
//   stream    alive from the head to the end of the backward: the residual stream, the final
//             norm's output and statistics, the head's input gradient and dx: 4C + 2
//   backward  one layer's backward temporaries, all alive at the end of its step:
//               Llama family  3F + 3C + 2 Hq D + 2 Hkv D (+ Hq D + Hkv D with q/k norms)
//               GPT-2         2F + 10C
//   head      the fused head's packed rows of x and dx, lse and a double loss per row: 2C + 3;
//             beside them its logits scratch, min(N, max(1, kHeadScratchFloats / V)) rows of V
//             floats, and one chunk of head rows converted to f32, min(kCrossEntropyHeadChunk,
//             V) x C floats (ops/cpu/cross_entropy_head.h).
// grad_accum does not change it (micro-batches run one after another).
//
// It is an estimate. Left out: LoRA's kept [N, r] per adapted linear (r << C: about 1% for r 16
// on every linear), DoRA's kept [N, O] per adapted linear (DoRA runs need more than this
// says), the evaluation's forward (smaller than a training step), the tokenized data, the
// tokenizer and the process itself (about 20 MB), and what the allocator keeps of freed blocks.
// Against the peak RSS of `retune train` (summary.json's peak_rss_bytes), T 256, 1 step, on a
// random SmolLM2-135M-shaped f32 model with LoRA r 16 on every linear and AdamW: B 1 922 MB
// estimated, 949 MB peak; B 2 1186 / 1234 MB; B 4 1713 / 1805 MB; B 8 2779 / 2978 MB; full
// fine-tuning at B 4 3249 / 3369 MB. So 3-7% low, nearly all of it glibc's heap keeping freed
// activation blocks: with MALLOC_MMAP_THRESHOLD_=65536 the peaks at B 4 and 8 are 1733 and
// 2825 MB, 1-2% over the estimate. The qwen2 test fixture (examples/lora-chat.yaml): 6.4 MB
// estimated, 22 MB peak; the process's own baseline dominates a model that small.
#pragma once

#include <cstdint>
#include <string>

#include "model/model_config.h"
#include "train/optimizer.h"

namespace retune::train {

struct MemoryEstimate {  // bytes
  int64_t weights = 0;
  int64_t trainable_state = 0;
  int64_t activations = 0;
  int64_t total = 0;  // the sum of the three
};

// The estimate above. weight_bytes: the frozen weights' bytes as the model holds them;
// trainable_elements: every trainable element (trained base weights and adapter parameters);
// batch_rows B and seq_len T: one micro-batch.
MemoryEstimate estimate_training_memory(const model::ModelConfig& config, int64_t weight_bytes,
                                        int64_t trainable_elements,
                                        const OptimizerOptions& optimizer, int64_t batch_rows,
                                        int64_t seq_len);

// The memory this process can still take: /proc/meminfo's MemAvailable, or the cgroup's limit
// (/sys/fs/cgroup/memory.max) when that is lower and not "max" (what the cgroup's other
// processes use is not subtracted). INT64_MAX when /proc/meminfo names no MemAvailable.
int64_t available_memory_bytes();

// Throws retune::Error when the estimate exceeds `available` and force is false: "training
// needs an estimated 12.3 GB (weights 1.0 GB, trainable state 0.1 GB, activations 11.2 GB) but
// the machine has 8.0 GB available; lower training.batch_size or data.seq_len, or set force:
// true". Otherwise returns the line the run notes: "memory: an estimated 12.3 GB (weights ...)
// of 16.0 GB available", or, forced past the check, "... exceeds the 8.0 GB available; starting
// anyway (force: true)". Sizes under 1 GB are written in MB.
std::string check_memory(const MemoryEstimate& estimate, int64_t available, bool force);

}  // namespace retune::train
