#include "io/atomic_folder.h"

#include <gtest/gtest.h>

#include "support/files.h"
#include "support/temp_dir.h"

namespace retune {
namespace {

TEST(AtomicFolder, AppearsOnlyWhenCommitted) {
  TempDir dir;
  {
    AtomicFolder folder(dir / "out");
    write_file(folder / "a.txt", "new");
    EXPECT_FALSE(std::filesystem::exists(dir / "out"));
    folder.commit();
  }
  EXPECT_EQ(read_file(dir / "out" / "a.txt"), "new");
  EXPECT_EQ(folder_listing(dir.path()), std::vector<std::string>{"out"});
}

TEST(AtomicFolder, ReplacesAnOldFolderWhole) {
  TempDir dir;
  std::filesystem::create_directories(dir / "out");
  write_file(dir / "out" / "old.txt", "old");
  AtomicFolder folder(dir / "out");
  write_file(folder / "new.txt", "new");
  folder.commit();
  EXPECT_EQ(folder_listing(dir / "out"), std::vector<std::string>{"new.txt"});
  EXPECT_EQ(folder_listing(dir.path()), std::vector<std::string>{"out"});
}

TEST(AtomicFolder, AnUncommittedFolderLeavesNothing) {
  TempDir dir;
  std::filesystem::create_directories(dir / "out");
  write_file(dir / "out" / "old.txt", "old");
  {
    AtomicFolder folder(dir / "out");
    write_file(folder / "new.txt", "new");
  }
  EXPECT_EQ(folder_listing(dir / "out"), std::vector<std::string>{"old.txt"});
  EXPECT_EQ(folder_listing(dir.path()), std::vector<std::string>{"out"});
}

}  // namespace
}  // namespace retune
