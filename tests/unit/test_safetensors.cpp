// The safetensors parser on well-formed and malformed files: every defect the reference reader refuses
// must be refused with a message naming it.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "attnscope/error.h"
#include "io/safetensors.h"

using attnscope::io::DType;
using attnscope::io::TensorView;
using attnscope::io::validate_safetensors_bytes;

namespace {

std::string file_with_header(const std::string& header, size_t data_bytes) {
    std::string out(8, '\0');
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
    out += header;
    out.append(data_bytes, '\x01');
    return out;
}

std::string error_of(const std::string& bytes) {
    try {
        validate_safetensors_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "t.safetensors");
    } catch (const attnscope::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Safetensors, ParsesAValidFile) {
    std::string h =
        R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F16","shape":[3],"data_offsets":[8,14]},)"
        R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[14,14]}})";
    std::string f = file_with_header(h, 14);
    std::map<std::string, TensorView> tensors;
    std::map<std::string, std::string> meta;
    validate_safetensors_bytes(reinterpret_cast<const uint8_t*>(f.data()), f.size(), "t", &tensors, &meta);
    ASSERT_EQ(tensors.size(), 3u);
    EXPECT_EQ(tensors["a"].dtype, DType::F32);
    EXPECT_EQ(tensors["b"].dtype, DType::F16);
    EXPECT_EQ(tensors["b"].nbytes, 6u);
    EXPECT_EQ(tensors["b"].data - tensors["a"].data, 8);
    EXPECT_EQ(tensors["e"].numel(), 0u);
    EXPECT_EQ(meta["format"], "pt");
}

TEST(Safetensors, RefusesTooShortFiles) {
    EXPECT_NE(error_of("abc").find("too short"), std::string::npos);
    EXPECT_NE(error_of("").find("too short"), std::string::npos);
}

TEST(Safetensors, RefusesHeaderTooLarge) {
    std::string f(16, '\0');
    uint64_t n = 200'000'000;
    std::memcpy(f.data(), &n, 8);
    EXPECT_NE(error_of(f).find("exceeds the 100000000-byte limit"), std::string::npos);
}

TEST(Safetensors, RefusesHeaderPastEndOfFile) {
    std::string f = file_with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4);
    f.resize(20);
    EXPECT_NE(error_of(f).find("runs past the end"), std::string::npos);
}

TEST(Safetensors, RefusesTruncatedData) {
    std::string f = file_with_header(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 16);
    f.resize(f.size() - 5);
    EXPECT_NE(error_of(f).find("truncated"), std::string::npos);
}

TEST(Safetensors, RefusesOverlappingOffsets) {
    std::string f = file_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                     12);
    EXPECT_NE(error_of(f).find("overlap"), std::string::npos);
}

TEST(Safetensors, RefusesGapsAndTrailingBytes) {
    std::string gap = file_with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8);
    EXPECT_NE(error_of(gap).find("unused bytes before tensor 'a'"), std::string::npos);
    std::string trailing = file_with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 12);
    EXPECT_NE(error_of(trailing).find("the data section is 12 bytes but the tensors cover 4"), std::string::npos);
}

TEST(Safetensors, RefusesWrongDtypeSize) {
    std::string f = file_with_header(R"({"a":{"dtype":"F16","shape":[4],"data_offsets":[0,16]}})", 16);
    EXPECT_NE(error_of(f).find("F16 with shape [4] needs 8 bytes but data_offsets span 16"), std::string::npos);
}

TEST(Safetensors, RefusesUnknownDtype) {
    std::string f = file_with_header(R"({"a":{"dtype":"Q4_K","shape":[4],"data_offsets":[0,16]}})", 16);
    EXPECT_NE(error_of(f).find("unknown dtype 'Q4_K'"), std::string::npos);
}

TEST(Safetensors, RefusesDuplicateNames) {
    std::string f = file_with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                     R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                     8);
    EXPECT_NE(error_of(f).find("'a' appears twice"), std::string::npos);
}

TEST(Safetensors, RefusesMalformedEntries) {
    EXPECT_NE(error_of(file_with_header("[1,2]", 0)).find("not a JSON object"), std::string::npos);
    EXPECT_NE(error_of(file_with_header("{\"a\":", 0)).find("not valid JSON"), std::string::npos);
    EXPECT_NE(error_of(file_with_header(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", 0))
                  .find("non-negative integers"),
              std::string::npos);
    EXPECT_NE(error_of(file_with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 4))
                  .find("end before they begin"),
              std::string::npos);
    EXPECT_NE(error_of(file_with_header(R"({"a":{"dtype":"F32","shape":[1]}})", 4))
                  .find("needs dtype, shape and data_offsets"),
              std::string::npos);
    EXPECT_NE(
        error_of(file_with_header(
                     R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}})", 4))
            .find("too large"),
        std::string::npos);
}

TEST(Safetensors, SubByteDtypesMustFillBytes) {
    std::string f = file_with_header(R"({"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})", 2);
    EXPECT_NE(error_of(f).find("do not fill whole bytes"), std::string::npos);
}
