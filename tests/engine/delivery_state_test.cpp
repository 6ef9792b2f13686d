// delivery_state and the box that keeps it small: made, copied and dropped for every message,
// it holds its rare parts (a rejection's error, a modification's annotations, a transaction's
// id) on the heap.
#include <gtest/gtest.h>

#include <optional>
#include <utility>

#include "amqp/boxed.hpp"
#include "amqp/link.hpp"

namespace amqp {
namespace {

TEST(delivery_state, stays_small_enough_to_make_per_message) {
  EXPECT_LE(sizeof(delivery_state), 40u);
  EXPECT_EQ(sizeof(boxed<condition>), sizeof(void*));
  EXPECT_EQ(sizeof(boxed<transaction_id>), sizeof(void*));  // 65 bytes inline, boxed here
}

TEST(delivery_state, the_factories_set_what_each_outcome_carries) {
  const delivery_state plain = delivery_state::rejected();
  EXPECT_EQ(plain.kind, delivery_state::type::rejected);
  EXPECT_FALSE(plain.error);

  const delivery_state why = delivery_state::rejected(condition{"amqp:not-allowed", "no", {}});
  ASSERT_TRUE(why.error);
  EXPECT_EQ(why.error->name, "amqp:not-allowed");
  EXPECT_EQ(why.error->description, "no");

  const delivery_state bare = delivery_state::modified(true, false);
  EXPECT_TRUE(bare.delivery_failed);
  EXPECT_FALSE(bare.undeliverable_here);
  EXPECT_FALSE(bare.message_annotations);  // no map: nothing boxed

  const value map = value::map_of({{value::sym("x-count"), 2}});
  const delivery_state annotated = delivery_state::modified(false, true, map);
  ASSERT_TRUE(annotated.message_annotations);
  EXPECT_EQ(*annotated.message_annotations, map);

  const delivery_state received = delivery_state::received(3, 4096);
  EXPECT_EQ(received.section_number, 3u);
  EXPECT_EQ(received.section_offset, 4096u);
  EXPECT_FALSE(received.is_outcome());
  EXPECT_TRUE(why.is_outcome());
}

transaction_id id_of(std::string_view s) {
  return *transaction_id::from({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

TEST(delivery_state, the_transaction_factories_box_the_id_and_keep_the_outcome) {
  const delivery_state none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.is_transactional());
  EXPECT_FALSE(none.txn);
  EXPECT_FALSE(delivery_state::accepted().empty());
  EXPECT_FALSE(delivery_state::accepted().is_transactional());

  // The coordinator's answer to a declare: an outcome naming the transaction, not in it.
  const delivery_state declared = delivery_state::declared(id_of("tx-1"));
  EXPECT_EQ(declared.kind, delivery_state::type::declared);
  ASSERT_TRUE(declared.txn);
  EXPECT_EQ(*declared.txn, id_of("tx-1"));
  EXPECT_TRUE(declared.is_outcome());
  EXPECT_FALSE(declared.is_transactional());
  EXPECT_FALSE(declared.empty());

  // Sent or acquired in a transaction, no outcome yet: not empty, though its kind is none.
  const delivery_state pending = delivery_state::transactional(id_of("tx-1"));
  EXPECT_EQ(pending.kind, delivery_state::type::none);
  EXPECT_TRUE(pending.is_transactional());
  EXPECT_FALSE(pending.is_outcome());
  EXPECT_FALSE(pending.empty());

  // An outcome inside one keeps all it carries.
  const condition why{"amqp:not-allowed", "no", {}};
  const delivery_state rejected =
      delivery_state::transactional(id_of("tx-2"), delivery_state::rejected(why));
  EXPECT_EQ(rejected.kind, delivery_state::type::rejected);
  ASSERT_TRUE(rejected.error);
  EXPECT_EQ(*rejected.error, why);
  ASSERT_TRUE(rejected.txn);
  EXPECT_EQ(*rejected.txn, id_of("tx-2"));
  EXPECT_TRUE(rejected.is_transactional());
  EXPECT_TRUE(rejected.is_outcome());
  const value map = value::map_of({{value::sym("x-count"), 2}});
  const delivery_state modified =
      delivery_state::transactional(id_of("tx-2"), delivery_state::modified(true, true, map));
  EXPECT_TRUE(modified.delivery_failed);
  EXPECT_TRUE(modified.undeliverable_here);
  EXPECT_EQ(*modified.message_annotations, map);

  // The id takes part in equality; copies are deep.
  EXPECT_NE(delivery_state::transactional(id_of("tx-1"), delivery_state::accepted()),
            delivery_state::accepted());
  EXPECT_NE(delivery_state::transactional(id_of("tx-1"), delivery_state::accepted()),
            delivery_state::transactional(id_of("tx-2"), delivery_state::accepted()));
  EXPECT_NE(delivery_state::declared(id_of("tx-1")), delivery_state::transactional(id_of("tx-1")));
  delivery_state copy = rejected;
  EXPECT_EQ(copy, rejected);
  EXPECT_NE(&*copy.txn, &*rejected.txn);
  copy.txn = id_of("tx-3");
  EXPECT_EQ(*rejected.txn, id_of("tx-2"));
  EXPECT_NE(copy, rejected);
}

TEST(delivery_state, copies_are_deep_and_compare_by_content) {
  delivery_state a = delivery_state::rejected(condition{"amqp:internal-error", "first", {}});
  delivery_state b = a;
  EXPECT_EQ(a, b);
  ASSERT_TRUE(b.error);
  EXPECT_NE(&*a.error, &*b.error);  // its own copy
  b.error->description = "second";
  EXPECT_EQ(a.error->description, "first");
  EXPECT_NE(a, b);

  b = a;  // assigned back: equal again
  EXPECT_EQ(a, b);
  const delivery_state& same = a;
  a = same;  // assigned to itself: keeps its value
  ASSERT_TRUE(a.error);
  EXPECT_EQ(a.error->description, "first");

  delivery_state c = std::move(b);
  EXPECT_EQ(c, a);

  // Empty and set boxes differ; two empty ones are equal.
  EXPECT_NE(delivery_state::rejected(), a);
  EXPECT_EQ(delivery_state::rejected(), delivery_state::rejected());
}

TEST(boxed, reads_like_an_optional) {
  boxed<condition> b;
  EXPECT_FALSE(b.has_value());
  b = condition{"amqp:not-found", "gone", {}};
  ASSERT_TRUE(b);
  EXPECT_EQ((*b).name, "amqp:not-found");
  b.reset();
  EXPECT_FALSE(b);
  const boxed<condition> from_optional = std::optional<condition>(condition{"x", "", {}});
  EXPECT_TRUE(from_optional);
  const boxed<condition> from_nullopt = std::nullopt;
  EXPECT_FALSE(from_nullopt);
}

}  // namespace
}  // namespace amqp
