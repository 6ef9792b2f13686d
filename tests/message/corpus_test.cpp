// Public message corpora: Qpid Proton's message-decode fuzzing inputs (seeds, crash
// reproducers, minimized cases) and its interop message vector. None may crash the decoder;
// whatever decodes must re-encode to bytes that decode to the same message.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "amqp/message.hpp"
#include "support/hex.hpp"

namespace amqp {
namespace {

namespace fs = std::filesystem;

// Decodes `bytes`; when it is a message, checks the canonical re-encoding round trip.
bool decodes(const std::vector<std::uint8_t>& bytes) {
  auto v = decode_message(bytes);
  if (!v) {
    EXPECT_LE(v.error().offset, bytes.size());
    return false;
  }
  writer w;
  EXPECT_FALSE(encode_message(w, *v));
  auto again = decode_message(w.view());
  EXPECT_TRUE(again) << again.error().message();
  if (again) {
    EXPECT_EQ(message::from_view(*again), message::from_view(*v));
  }
  return true;
}

TEST(message_corpus, proton_interop_message) {
  const fs::path shared = test::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared is not present: no corpus to read";
  const auto bytes = test::read_file(shared / "corpus/type-vectors/proton-interop/message.amqp");
  ASSERT_EQ(bytes.size(), 73u);
  auto v = decode_message(bytes);
  ASSERT_TRUE(v) << v.error().message();
  ASSERT_TRUE(v->header);
  EXPECT_FALSE(v->header->durable);
  EXPECT_EQ(v->header->priority, 4);
  EXPECT_EQ(v->header->delivery_count, 0u);
  ASSERT_TRUE(v->properties);
  EXPECT_TRUE(v->properties->message_id.is_null());
  EXPECT_EQ(v->properties->creation_time, timestamp{0});
  EXPECT_EQ(v->properties->group_sequence, 0u);
  EXPECT_EQ(v->body, body_kind::amqp_value);
  // Proton's vector wraps the string "hello" in a binary.
  EXPECT_EQ(test::to_hex(v->value().as_binary()), "a1 05 68 65 6c 6c 6f");
  EXPECT_TRUE(decodes(bytes));
}

TEST(message_corpus, proton_message_decode_inputs_never_crash) {
  const fs::path shared = test::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared is not present: no corpus to read";
  const fs::path root = shared / "corpus/message-decode";
  std::size_t files = 0;
  std::size_t messages = 0;
  for (const char* sub : {"corpus", "crash", "minimized"}) {
    ASSERT_TRUE(fs::is_directory(root / sub)) << root / sub;
    for (const auto& entry : fs::directory_iterator(root / sub)) {
      if (!entry.is_regular_file()) continue;
      SCOPED_TRACE(entry.path().string());
      ++files;
      if (decodes(test::read_file(entry.path()))) ++messages;
    }
  }
  EXPECT_EQ(files, 320u);
  // Most fuzzing inputs are mutated garbage, but the corpus keeps some messages.
  EXPECT_GT(messages, 0u);
  std::printf("message corpus: %zu of %zu inputs decode as messages\n", messages, files);
}

}  // namespace
}  // namespace amqp
