// Fuzz target: a JSONL training data file, read in every data format. Reading it must give
// examples or throw retune::Error.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "data/dataset_file.h"
#include "scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = retune::fuzz::write_scratch_file("data.jsonl", data, size);
  for (const auto format :
       {retune::DataFormat::detect, retune::DataFormat::text, retune::DataFormat::prompt_completion,
        retune::DataFormat::alpaca, retune::DataFormat::chat}) {
    try {
      const auto examples = retune::read_examples(path, format);
      (void)retune::has_conversations(examples);
    } catch (const retune::Error&) {
    }
  }
  return 0;
}
