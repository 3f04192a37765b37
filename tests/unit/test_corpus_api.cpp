// The corpus library API without a model: line ranges, exact sums, the state as text, and merges.
#include <gtest/gtest.h>

#include <string>

#include "attnscope/corpus.h"
#include "attnscope/corpus_run.h"
#include "attnscope/error.h"

using namespace attnscope;
using namespace attnscope::analysis;

TEST(CorpusApi, LineRangesAreDigitsOnly) {
    EXPECT_EQ(parse_line_range("3:7").first, 3u);
    EXPECT_EQ(parse_line_range("3:7").last, 7u);
    EXPECT_EQ(parse_line_range("24:").last, LineRange::kToEnd);
    for (const char* bad : {"1:-1", "-1:5", "0:5", "5:3", ":5", "1", "+1:3", "1:2x", "99999999999999999999:"}) {
        EXPECT_THROW(parse_line_range(bad), Error) << bad;
    }
}

TEST(CorpusApi, ExactSumsAreAssociativeAndRoundTrip) {
    ExactSum a, b, c;
    const double xs[] = {0.1, -3.25, 1e-9, 123456.789, -0.5, 7.0};
    for (double x : xs) a.add(x);
    for (int i = 5; i >= 0; --i) b.add(xs[i]);
    EXPECT_EQ(a, b);  // any order, the same bits
    EXPECT_NEAR(a.value(), 0.1 - 3.25 + 1e-9 + 123456.789 - 0.5 + 7.0, 1e-9);
    c = ExactSum::from_string(a.to_string());
    EXPECT_EQ(c, a);
    ExactSum neg;
    neg.add(-2.5);
    EXPECT_EQ(neg.to_string(), "-703687441776640");  // −2.5 · 2⁴⁸
    EXPECT_EQ(ExactSum::from_string("-703687441776640"), neg);
    EXPECT_THROW(ExactSum::from_string(std::string(60, '9')), Error);
    EXPECT_THROW(ExactSum::from_string(""), Error);
    EXPECT_THROW(ExactSum::from_string("12a"), Error);
}

TEST(CorpusApi, StateTextRoundTripsAndIsValidated) {
    CorpusStats s("m", "fp", 2, 3);
    s.sources = {"c.txt:1-end"};
    const std::string text = s.to_json_text();
    const CorpusStats back = CorpusStats::from_json_text(text, "state.json");
    EXPECT_EQ(back.to_json_text(), text);
    EXPECT_EQ(CorpusStats::from_json_text("{\"state\": " + text + "}", "doc.json").to_json_text(), text);
    auto replaced = [&](const std::string& from, const std::string& to) {
        std::string t = text;
        t.replace(t.find(from), from.size(), to);
        return t;
    };
    EXPECT_THROW(CorpusStats::from_json_text(replaced("\"layers\":2", "\"layers\":-1"), "s"), Error);
    EXPECT_THROW(CorpusStats::from_json_text(replaced("\"lines_done\":0", "\"lines_done\":4"), "s"), Error);
    EXPECT_THROW(CorpusStats::from_json_text("[1, 2", "s"), Error);
    EXPECT_THROW(CorpusStats(std::string("m"), std::string("fp"), 0, 3), Error);
}

TEST(CorpusApi, MergesRefuseOtherShapesAndOverlappingSources) {
    CorpusStats a("m", "fp", 2, 3), b("m", "fp", 2, 3), other("m", "fp", 1, 3);
    a.sources = {"c.txt:1-100"};
    b.sources = {"c.txt:50-150"};
    other.sources = {"d.txt:1-end"};
    EXPECT_THROW(a.merge(other), Error);
    EXPECT_THROW(a.merge(b), Error);
    EXPECT_THROW(a.merge(a), Error);
    b.sources = {"c.txt:101-150"};
    EXPECT_NO_THROW(a.merge(b));
    EXPECT_EQ(a.sources.size(), 2u);
    CorpusStats d("m", "fp", 2, 3);
    d.sources = {"other.txt:1-end"};
    EXPECT_NO_THROW(a.merge(d));
}
