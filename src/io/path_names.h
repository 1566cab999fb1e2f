// Names that become one path component under a folder retune reads or writes (a shard file, a
// task's run folder): a name that could step outside that folder is refused where it is read.
#pragma once

#include <string_view>

namespace retune {

// True for a plain file or folder name: not empty, not "." or "..", no '/', '\' or NUL.
bool is_plain_file_name(std::string_view name);

}  // namespace retune
