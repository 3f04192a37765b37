// The data formats of `attnscope run` (and the REPL's save): one JSON object with every attention
// matrix (and captured tensors), or float32 .npy files with a .tokens.json beside them.
#pragma once

#include <string>

#include "attnscope/model.h"
#include "common.h"
#include "run_report.h"

namespace attnscope::cli {

// output "" or "-" = stdout.
void write_json(const LoadedModel& lm, const RunInput& in, const tokenizer::Encoding& enc, const Trace& t,
                const std::string& output);
// output "" = attentions.npy; prints the files written on stderr.
void write_npy_outputs(const LoadedModel& lm, const RunInput& in, const tokenizer::Encoding& enc, const Trace& t,
                       const std::string& output);

}  // namespace attnscope::cli
