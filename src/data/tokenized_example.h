// Examples as token ids, with the mask of the tokens the loss is taken on.
//
// trained[t] says whether token t is a target, i.e. whether the loss includes predicting it
// from the tokens before it (the first token of an example is never predicted, whatever its
// flag). By default only what the model should learn to write is trained:
//
//   text               encode(text, add_special_tokens=true), then the tokenizer's eos (when it
//                      has one and the ids do not already end with it); every token trained.
//   prompt/completion  encode(prompt, true), not trained, then encode(completion, false) and
//                      eos as for text, trained: TRL SFTTrainer's completion-only loss. The two
//                      are encoded separately, so the completion's first token is the one it
//                      starts with alone (a SentencePiece tokenizer that prepends "▁", as Llama
//                      2's, gives it one).
//   chat               the conversation as render_chat renders it (add_generation_prompt=false,
//                      the tokenizer's bos as bos text). Trained: each assistant message's
//                      content and what the template writes after it up to the next message
//                      ("<|im_end|>\n" for ChatML, "<|eot_id|>" for Llama 3); nothing else.
//
// With train_on_all every token is trained.
//
// Chat masks come from rendering prefixes: render(messages[:i], add_generation_prompt=true)
// ends where assistant message i's content starts and render(messages[:i+1]) where its turn
// ends. The rendered text is then encoded segment by segment between these boundaries
// (add_special_tokens=false: the template writes its own bos, as Llama 3's does). Tokenizer-free
// masks are approximations wherever a token could straddle a boundary (TRL's too). For ChatML
// and Llama 3 with their own tokenizers the boundaries fall on added tokens or newlines that the
// pre-tokenizer splits at anyway, and the segments' ids equal the whole text's (tested on the
// fixtures). A SentencePiece tokenizer with a Prepend normalizer (Llama 2 style) prepends "▁"
// to every segment that does not follow an added token, so there they differ at the
// boundaries. An assistant message that opens the conversation has no prefix to render; its
// mask is refused (an Error naming the example) unless train_on_all.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "data/dataset_file.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace retune {

struct TokenizedExample {
  std::vector<int32_t> ids;
  std::vector<bool> trained;  // same length as ids
  int32_t task = 0;           // its task id for a Poly adapter (train/poly_tasks.h sets it)
};

struct TokenizeOptions {
  std::optional<ChatTemplate> chat;  // required for conversations (see has_conversations)
  bool train_on_all = false;
};

// The ids and mask of one example, as described above. Throws an Error naming
// example.source for a conversation without a chat template or whose mask cannot be found.
TokenizedExample tokenize_example(const Example& example, Tokenizer& tokenizer,
                                  const TokenizeOptions& options);

// tokenize_example over all examples, in order.
std::vector<TokenizedExample> tokenize_examples(const std::vector<Example>& examples,
                                                Tokenizer& tokenizer,
                                                const TokenizeOptions& options);

}  // namespace retune
