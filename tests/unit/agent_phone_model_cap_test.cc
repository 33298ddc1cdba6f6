// ModelsToRemove: which model files leave a phone's folder so that at most N stay — never
// the run's own, unknown ones before those the agent used, then least recently used.
#include <gtest/gtest.h>

#include "agent/run/phone_model_cap.h"

namespace benchlab::agent {
namespace {

using Names = std::vector<std::string>;

TEST(PhoneModelCapTest, UnderTheCapNothingGoes) {
  EXPECT_TRUE(ModelsToRemove({"a.tflite", "b.tflite", "bin"}, {}, "a.tflite", 2).empty());
  EXPECT_TRUE(ModelsToRemove({"a.tflite", "b.tflite", "c.tflite"}, {}, "a.tflite", 0).empty());  // no cap
}

TEST(PhoneModelCapTest, LeastRecentlyUsedGoFirstAndOnlyModelsCount) {
  const std::map<std::string, uint64_t> uses = {{"a.tflite", 3}, {"b.tflite", 1}, {"c.tflite", 2}, {"d.tflite", 4}};
  EXPECT_EQ(ModelsToRemove({"a.tflite", "b.tflite", "bin", "c.tflite", "d.tflite", "notes.txt"}, uses, "d.tflite", 2),
            (Names{"b.tflite", "c.tflite"}));
}

TEST(PhoneModelCapTest, UnknownFilesAreOldestAndTheRunsModelStays) {
  // The run's model is unknown here too (not yet recorded): it is skipped, not removed.
  const std::map<std::string, uint64_t> uses = {{"x.tflite", 5}};
  EXPECT_EQ(ModelsToRemove({"z.tflite", "keep.tflite", "x.tflite", "y.tflite"}, uses, "keep.tflite", 2),
            (Names{"y.tflite", "z.tflite"}));
  EXPECT_EQ(ModelsToRemove({"a.tflite", "b.tflite"}, {}, "b.tflite", 1), (Names{"a.tflite"}));
}

}  // namespace
}  // namespace benchlab::agent
