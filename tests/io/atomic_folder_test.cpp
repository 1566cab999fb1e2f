#include "io/atomic_folder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "support/ended_pid.h"
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

// What a killed writer left beside the path is removed by the next write of that path; what a
// running process is writing is not.
TEST(AtomicFolder, RemovesTheLeftoversOfKilledWriters) {
  TempDir dir;
  const std::string killed = "out.tmp-" + std::to_string(ended_pid());
  const std::string running = "out.tmp-" + std::to_string(::getppid());
  std::filesystem::create_directories(dir / killed);
  write_file(dir / killed / "half.txt", "ha");
  std::filesystem::create_directories(dir / running);
  write_file(dir / "out.json.tmp-1", "{");  // another path's
  write_file(dir / "other.tmp-999999999", "not ours");
  AtomicFolder folder(dir / "out");
  write_file(folder / "a.txt", "new");
  folder.commit();
  EXPECT_EQ(folder_listing(dir.path()),
            (std::vector<std::string>{"other.tmp-999999999", "out", "out.json.tmp-1", running}));
}

}  // namespace
}  // namespace retune
