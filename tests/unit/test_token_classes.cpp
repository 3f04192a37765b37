// Token classes behind the per-head statistics and the pattern features, for BERT's and RoBERTa's
// encodings of a pair.
#include <gtest/gtest.h>

#include "attnscope/analysis.h"

namespace a = attnscope::analysis;

namespace {

attnscope::tokenizer::Encoding encoding(std::vector<std::string> tokens, std::vector<int32_t> type_ids,
                                        std::vector<int8_t> sequence_ids) {
    attnscope::tokenizer::Encoding e;
    e.tokens = std::move(tokens);
    e.ids.assign(e.tokens.size(), 0);
    e.attention_mask.assign(e.tokens.size(), 1);
    e.type_ids = std::move(type_ids);
    e.sequence_ids = std::move(sequence_ids);
    return e;
}

}  // namespace

TEST(TokenClasses, BertPairTakesItsSegmentsFromTheTypeIds) {
    const auto e =
        encoding({"[CLS]", "hi", ",", "[SEP]", "yes", ".", "[SEP]"}, {0, 0, 0, 0, 1, 1, 1}, {-1, 0, 0, -1, 1, 1, -1});
    const auto t = a::TokenClasses::from_encoding(e, "[CLS]", "[SEP]");
    EXPECT_EQ(t.segment, (std::vector<int8_t>{0, 0, 0, 0, 1, 1, 1}));
    EXPECT_EQ(t.punct, (std::vector<uint8_t>{0, 0, 1, 0, 0, 1, 0}));
    EXPECT_EQ(t.num_sep(), 2u);
    EXPECT_TRUE(t.has_pair());
}

TEST(TokenClasses, RobertaPairHasNoTypeIdsSoItsSegmentsComeFromTheSequenceIds) {
    const std::string g = "\xC4\xA0";  // byte-level BPE's mark for a preceding space
    const auto e = encoding({"<s>", "Hi", ",", "</s>", "</s>", "Yes", g + ".", "</s>"}, {0, 0, 0, 0, 0, 0, 0, 0},
                            {-1, 0, 0, -1, -1, 1, 1, -1});
    const auto t = a::TokenClasses::from_encoding(e, "<s>", "</s>");
    EXPECT_EQ(t.segment, (std::vector<int8_t>{0, 0, 0, 0, 0, 1, 1, 1}));
    EXPECT_EQ(t.punct, (std::vector<uint8_t>{0, 0, 1, 0, 0, 0, 1, 0}));
    EXPECT_EQ(t.num_sep(), 3u);
    EXPECT_EQ(t.num_special(), 4u);
    EXPECT_TRUE(t.has_pair());
}

TEST(TokenClasses, SingleTextHasOneSegment) {
    const auto e = encoding({"<s>", "Hi", "</s>"}, {0, 0, 0}, {-1, 0, -1});
    const auto t = a::TokenClasses::from_encoding(e, "<s>", "</s>");
    EXPECT_EQ(t.segment, (std::vector<int8_t>{0, 0, 0}));
    EXPECT_FALSE(t.has_pair());
}
