// The readers of untrusted model files on hostile input: each test is a class of defect an adversarial
// run found (issue 12) — a pickle nested two million deep, size × stride and offset arithmetic that
// wraps, a negative storage offset, non-regular files, token ids that do not fit, absurd config values.
// Each must end in attnscope::Error with a message naming the defect, never a crash or a wrong value.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "attnscope/corpus.h"
#include "attnscope/error.h"
#include "attnscope/model.h"
#include "attnscope/tokenizer.h"
#include "io/mapped_file.h"
#include "io/npy.h"
#include "io/pickle.h"
#include "io/torch_checkpoint.h"
#include "util/checked_math.h"
#include "util/files.h"

namespace fs = std::filesystem;
using attnscope::Error;
using namespace std::string_literals;  // "...\x00..."s keeps its NUL bytes

namespace {

// A folder of its own per test, removed afterwards.
class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/attnscope-untrusted-XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path_); }
    const fs::path& path() const { return path_; }
    fs::path write(const std::string& name, const std::string& bytes) const {
        std::ofstream(path_ / name, std::ios::binary) << bytes;
        return path_ / name;
    }

  private:
    fs::path path_;
};

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

// ---- a tiny pickle writer (protocol 2) for legacy-format torch checkpoints ----
struct Pickle {
    std::string b = "\x80\x02";
    Pickle& op(char c) { return b += c, *this; }
    Pickle& str(const std::string& s) {
        b += 'X';
        for (int i = 0; i < 4; ++i) b += static_cast<char>((s.size() >> (8 * i)) & 0xFF);
        b += s;
        return *this;
    }
    Pickle& i64(int64_t v) {  // LONG1, 8 bytes: any int64
        b += "\x8a\x08";
        for (int i = 0; i < 8; ++i) b += static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
        return *this;
    }
    Pickle& global(const std::string& module, const std::string& name) {
        return b += "c" + module + "\n" + name + "\n", *this;
    }
    Pickle& ints(const std::vector<int64_t>& v) {
        op('(');
        for (auto x : v) i64(x);
        return op('t');
    }
    std::string done() { return b + "."; }
};

struct LegacyTensor {
    int64_t offset = 0;
    std::vector<int64_t> size{2}, stride{1};
    int64_t storage_elements = 8;
    bool view = false;  // a pre-1.0 storage view (view_key, offset, size) into the root storage
    int64_t view_offset = 0, view_size = 0;
};

// {'w': _rebuild_tensor_v2(storage '0', offset, size, stride, False, None)} in the legacy format.
std::string legacy_checkpoint(const LegacyTensor& t) {
    std::string out;
    out += "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";  // the magic number
    out += "\x80\x02M\xe9\x03.";                                         // protocol 1001
    out += "\x80\x02}.";                                                 // sys_info
    Pickle p;
    p.op('}').str("w").global("torch._utils", "_rebuild_tensor_v2").op('(');
    p.op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").i64(t.storage_elements);
    if (t.view) {
        p.op('(').str("0v").i64(t.view_offset).i64(t.view_size).op('t');
    } else {
        p.op('N');
    }
    p.op('t').op('Q').i64(t.offset).ints(t.size).ints(t.stride).op('\x89').op('N').op('t').op('R').op('s');
    out += p.done();
    out += Pickle().op(']').op('(').str("0").op('e').done();
    const uint64_t n = static_cast<uint64_t>(t.storage_elements);
    for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
    out.append(n * 4, '\0');
    return out;
}

std::string load_error(const std::string& bytes) {
    TempDir dir;
    const auto path = dir.write("pytorch_model.bin", bytes);
    return error_of([&] { attnscope::io::TorchCheckpoint c(path); });
}

std::string pickle_error(const std::string& bytes) {
    return error_of([&] {
        attnscope::io::pickle::Arena arena;
        attnscope::io::pickle::load(arena, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), nullptr,
                                    "t.pkl");
    });
}

}  // namespace

TEST(CheckedMath, RefusesWhatWraps) {
    using namespace attnscope::util;
    EXPECT_FALSE(checked_mul(uint64_t{1} << 62, 4));
    EXPECT_EQ(checked_mul(3, 5), 15u);
    EXPECT_FALSE(checked_add(UINT64_MAX, 1));
    EXPECT_TRUE(range_inside(10, 0, 10));
    EXPECT_FALSE(range_inside(11, 0, 10));
    EXPECT_FALSE(range_inside(8, UINT64_MAX, 10));  // 8 + 2^64-1 wraps to 7 < 10
    EXPECT_FALSE(elements_inside(uint64_t{1} << 62, 1, 4, 64));
    EXPECT_FALSE(checked_product(std::vector<int64_t>{1 << 30, 1 << 30, 1 << 30}, uint64_t{1} << 62));
    EXPECT_FALSE(checked_product(std::vector<int64_t>{2, -1}));
    EXPECT_EQ(checked_product(std::vector<int64_t>{0, int64_t{1} << 62, int64_t{1} << 62}), 0u);
}

TEST(Pickle, RefusesListsNestedTwoMillionDeep) {
    // ] × N then a × N: each APPEND puts the top list into the one below it.
    const size_t n = 2'000'000;
    std::string deep = "\x80\x02" + std::string(n, ']') + std::string(n - 1, 'a') + ".";
    const std::string e = pickle_error(deep);
    EXPECT_NE(e.find("more than 100000 values on the stack"), std::string::npos) << e;
    // Deep nesting that keeps the stack small — each tuple wraps the one before (TUPLE1), or each list is
    // built from the memo and popped — is stopped by the depth limit instead.
    EXPECT_NE(pickle_error("\x80\x02]" + std::string(n, '\x85') + ".").find("nested deeper than 1000"),
              std::string::npos);
    auto u32 = [](uint32_t v) {
        return std::string{static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                           static_cast<char>(v >> 24)};
    };
    std::string memo_chain = "\x80\x02]r" + u32(0) + "0";
    for (uint32_t i = 1; i < 5000; ++i) memo_chain += "]j" + u32(i - 1) + "ar" + u32(i) + "0";
    EXPECT_NE(pickle_error(memo_chain + "j" + u32(4999) + ".").find("nested deeper than 1000"), std::string::npos);
}

TEST(Pickle, RefusesDictValuesNestedDeep) {
    std::string chain = "\x80\x02}";
    for (size_t i = 0; i < 2'000'000; ++i) chain += "K\x01}s";  // d[1] = {} on the newest dict
    // SETITEM leaves the outer dict on top, so this is wide, not deep; nest by keeping the inner one.
    EXPECT_EQ(pickle_error(chain + "."), "(no error)");
    std::string deep = "\x80\x02";
    for (size_t i = 0; i < 2'000'000; ++i) deep += "}K\x01";
    deep += "}";
    deep += std::string(2'000'000, 's');
    EXPECT_NE(pickle_error(deep + ".").find("more than 100000 values"), std::string::npos);
}

TEST(Pickle, RefusesCyclesAndChangesAfterNesting) {
    // l = []; l.append(l)
    EXPECT_NE(pickle_error("\x80\x02]q\x00h\x00"
                           "a."s)
                  .find("changed after it was put inside"),
              std::string::npos);
    // a = []; b = [a]; a.append(1): a is already inside b.
    EXPECT_NE(pickle_error("\x80\x02]q\x00]h\x00"
                           "a"
                           "h\x00K\x01"
                           "a."s)
                  .find("changed after"),
              std::string::npos);
}

TEST(Pickle, StillReadsWhatAStateDictUses) {
    attnscope::io::pickle::Arena arena;
    const std::string b =
        "\x80\x02}q\x00(X\x01\x00\x00\x00"
        "a]q\x01(K\x01K\x02"
        "eX\x01\x00\x00\x00"
        "bK\x03u."s;
    auto v = attnscope::io::pickle::load(arena, reinterpret_cast<const uint8_t*>(b.data()), b.size(), nullptr, "t.pkl");
    ASSERT_EQ(v->kind, attnscope::io::pickle::Value::Kind::Dict);
    ASSERT_EQ(v->dict.size(), 2u);
    EXPECT_EQ(v->dict[0].second->items.size(), 2u);
    EXPECT_EQ(v->dict[1].second->i, 3);
}

TEST(TorchCheckpoint, ReadsAWellFormedLegacyFile) {
    TempDir dir;
    const auto path = dir.write("pytorch_model.bin", legacy_checkpoint({}));
    attnscope::io::TorchCheckpoint c(path);
    ASSERT_EQ(c.tensors().size(), 1u);
    EXPECT_EQ(c.tensors().at("w").nbytes, 8u);
}

TEST(TorchCheckpoint, RefusesSizeTimesStrideThatWraps) {
    // (5 - 1) × 2^62 = 2^64: wrapped, the largest index looked like 0.
    LegacyTensor t;
    t.size = {5};
    t.stride = {int64_t{1} << 62};
    EXPECT_NE(load_error(legacy_checkpoint(t)).find("reaches past the end of any storage"), std::string::npos);
    t.size = {2, 3};
    t.stride = {int64_t{1} << 61, int64_t{1} << 61};
    EXPECT_NE(load_error(legacy_checkpoint(t)).find("tensor 'w'"), std::string::npos);
}

TEST(TorchCheckpoint, RefusesNegativeStorageOffset) {
    LegacyTensor t;
    t.offset = -4;
    t.size = {5};  // -4 + 4 wrapped to element 0: the bounds check passed and the read began 16 bytes early
    EXPECT_NE(load_error(legacy_checkpoint(t)).find("negative storage offset"), std::string::npos);
}

TEST(TorchCheckpoint, RefusesLegacyViewWhoseOffsetWraps) {
    LegacyTensor t;
    t.view = true;
    t.view_offset = int64_t{1} << 62;  // × 4 bytes = 2^64: wrapped to 0
    t.view_size = 2;
    EXPECT_NE(load_error(legacy_checkpoint(t)).find("storage view runs past"), std::string::npos);
    t.view_offset = 2, t.view_size = 2;
    EXPECT_EQ(load_error(legacy_checkpoint(t)), "(no error)");
}

TEST(TorchCheckpoint, RefusesViewsLargerThanTheirStorage) {
    LegacyTensor t;
    t.size = {1 << 20, 1 << 10};
    t.stride = {0, 0};  // an expanded tensor: a billion elements over one
    EXPECT_NE(load_error(legacy_checkpoint(t)).find("overlapping strides"), std::string::npos);
}

TEST(UntrustedFiles, NonRegularFilesAreRefusedWithoutBlocking) {
    TempDir dir;
    const fs::path fifo = dir.path() / "model.safetensors";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_NE(error_of([&] { attnscope::io::MappedFile f(fifo); }).find("is a FIFO, not a regular file"),
              std::string::npos);
    EXPECT_NE(error_of([&] { attnscope::util::read_text_file(fifo); }).find("is a FIFO"), std::string::npos);
    EXPECT_NE(error_of([&] { attnscope::util::read_text_file(dir.path()); }).find("is a directory"), std::string::npos);
    EXPECT_NE(error_of([&] { attnscope::util::read_text_file("/dev/zero"); }).find("is a character device"),
              std::string::npos);
}

TEST(UntrustedFiles, TokenIdsOutsideTheRangeAreRefused) {
    TempDir dir;
    const std::string wordpiece =
        R"({"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2,"x":ID}}})";
    auto with_id = [&](const std::string& id) {
        std::string s = wordpiece;
        s.replace(s.find("ID"), 2, id);
        dir.write("tokenizer.json", s);
        return error_of([&] { attnscope::tokenizer::Tokenizer::from_directory(dir.path()); });
    };
    EXPECT_NE(with_id("1099511627776").find("vocab entry 'x' has id 1099511627776, outside 0..16777215"),
              std::string::npos);
    EXPECT_NE(with_id("-1").find("outside"), std::string::npos);
    EXPECT_NE(with_id("3.5").find("non-integer id"), std::string::npos);
    EXPECT_NE(with_id("2147483647").find("outside"), std::string::npos);  // a dense id table of 2^31 entries
    EXPECT_EQ(with_id("3"), "(no error)");
    dir.write("tokenizer.json", R"({"model":{"type":"WordPiece","vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2}},)"
                                R"("added_tokens":[{"id":4294967297,"content":"[X]","special":true}]})");
    EXPECT_NE(error_of([&] { attnscope::tokenizer::Tokenizer::from_directory(dir.path()); }).find("added token '[X]'"),
              std::string::npos);
}

TEST(UntrustedFiles, AbsurdConfigValuesAreRefused) {
    auto config_error = [](const std::string& fields) {
        return error_of([&] {
            attnscope::model::BertConfig::from_json_text(R"({"model_type":"bert",)" + fields + "}", "config.json");
        });
    };
    EXPECT_NE(config_error(R"("num_hidden_layers":-1)").find("out of range"), std::string::npos);
    EXPECT_NE(config_error(R"("num_hidden_layers":100000)").find("out of range"), std::string::npos);
    EXPECT_NE(config_error(R"("hidden_size":768,"num_attention_heads":7)").find("not a multiple"), std::string::npos);
    EXPECT_NE(config_error(R"("hidden_size":"768")").find("must be a positive integer"), std::string::npos);
    EXPECT_NE(config_error(R"("vocab_size":18446744073709551615)").find("out of range"), std::string::npos);
    EXPECT_NE(config_error(R"("pad_token_id":1099511627776)").find("outside the vocabulary"), std::string::npos);
    EXPECT_NE(config_error(R"("vocab_size":10,"pad_token_id":10)").find("outside the vocabulary"), std::string::npos);
    EXPECT_NE(config_error(R"("pad_token_id":"0")").find("must be an integer"), std::string::npos);
    EXPECT_EQ(config_error(R"("vocab_size":10,"pad_token_id":0)"), "(no error)");
}

// Found by the fuzzers (tests/fuzz): each input is also in the harness's seed corpus.
TEST(FuzzFindings, NumbersBeyondDoubleRangeAreJsonErrors) {
    // nlohmann throws out_of_range, not parse_error, for 1e512: it escaped as an "internal error".
    EXPECT_NE(error_of([] { attnscope::util::parse_json(R"({"a": 1e512})", "x.json"); }).find("x.json: invalid JSON"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  attnscope::model::BertConfig::from_json_text(R"({"model_type":"bert","layer_norm_eps":1e512})",
                                                               "config.json");
              }).find("config.json"),
              std::string::npos);
}

TEST(FuzzFindings, EmptyNpyArrayReadsWithoutCopyingFromNull) {
    TempDir dir;
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }";
    header += std::string(63 - (10 + header.size()) % 64, ' ') + "\n";
    std::string file = "\x93NUMPY\x01\x00"s + static_cast<char>(header.size()) + '\0' + header;
    const auto a = attnscope::io::read_npy(dir.write("a.npy", file));
    EXPECT_EQ(a.shape, std::vector<size_t>{0});
    EXPECT_TRUE(a.data.empty());
}

TEST(FuzzFindings, CorpusStateLayoutIsCheckedBeforeAllocating) {
    // Any well-formed state, then its layout changed: -1 layers was std::length_error ("internal error"),
    // 2^20 heads a 16 TB allocation.
    attnscope::analysis::CorpusStats stats("m", "fp", 1, 1);
    stats.sources = {"t.txt:1-end"};
    auto j = nlohmann::json::parse(stats.to_json_text());
    EXPECT_EQ(error_of([&] { attnscope::analysis::CorpusStats::from_json_text(j.dump(), "s.json"); }), "(no error)");
    j["layers"] = -1;
    EXPECT_NE(error_of([&] {
                  attnscope::analysis::CorpusStats::from_json_text(j.dump(), "s.json");
              }).find("layers -1 and heads 1"),
              std::string::npos);
    j["layers"] = 1, j["heads"] = 1 << 20;
    EXPECT_NE(error_of([&] { attnscope::analysis::CorpusStats::from_json_text(j.dump(), "s.json"); }).find("at most"),
              std::string::npos);
    j["heads"] = 2;
    EXPECT_NE(error_of([&] {
                  attnscope::analysis::CorpusStats::from_json_text(j.dump(), "s.json");
              }).find("do not match 1 layers × 2"),
              std::string::npos);
}
