// attnscope bench: a fixed benchmark protocol (warm-up, repetitions, median and spread) over sequence
// lengths and batch sizes, with the machine, threads, kernels and build in the report, and every result set
// against the machine's measured limits: GFLOP/s against peak FMA, and time against the weight-bandwidth
// floor (the matmul weights must be read once per forward).
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "attnscope/error.h"
#include "attnscope/system.h"
#include "commands.h"
#include "common.h"
#include "output.h"
#include "reference_inputs.h"
#include "timing_stats.h"

extern char** environ;

namespace attnscope::cli {
namespace {

struct BenchOptions {
    std::string model;
    std::vector<size_t> lengths{8, 16, 32, 128, 512};
    std::vector<size_t> batches{1};
    int reps = 0;  // 0 = adaptive
    int warmup = 2;
    int threads = 0;
    int cold_starts = 10;
    bool no_limits = false;
    std::string format = "table";
    std::string weights = "fp32";
    bool quiet = false;
};

// FLOPs of one sequence: the weight GEMMs 2·n·(4D² + 2·D·I) and attention 4·n²·D, per layer.
double forward_flops(const model::BertConfig& c, size_t n) {
    const double D = c.hidden_size, I = c.intermediate_size, N = static_cast<double>(n);
    return c.num_hidden_layers * (2.0 * N * (4.0 * D * D + 2.0 * D * I) + 4.0 * N * N * D);
}

double matmul_weight_bytes(const model::BertConfig& c, model::WeightStorage storage) {
    const double D = c.hidden_size, I = c.intermediate_size;
    const double bytes = storage == model::WeightStorage::F32 ? 4 : storage == model::WeightStorage::I8 ? 1 : 2;
    return c.num_hidden_layers * (4.0 * D * D + 2.0 * D * I) * bytes;
}

tokenizer::Encoding random_encoding(const model::Model& m, size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    const int vocab = m.config().vocab_size;
    std::uniform_int_distribution<int> pick(std::min(1000, vocab - 1), vocab - 1);
    tokenizer::Encoding e;
    const auto& tok = m.tokenizer();
    for (size_t i = 0; i < n; ++i) {
        int id = pick(rng);
        if (i == 0) id = tok.token_to_id(tok.config().cls_token);
        if (i + 1 == n && n > 1) id = tok.token_to_id(tok.config().sep_token);
        e.ids.push_back(id);
    }
    e.type_ids.assign(n, 0);
    e.attention_mask.assign(n, 1);
    return e;
}

// Process start → first attention line on stdout, for `attnscope run -f jsonl`, page cache warm.
std::vector<double> cold_start_ms(const std::string& model_dir, int runs) {
    std::vector<double> out;
    std::string exe = "/proc/self/exe";
    char self[4096];
    ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) exe.assign(self, static_cast<size_t>(len));
    for (int r = 0; r < runs + 1; ++r) {  // the first run only warms the page cache
        int fds[2];
        if (::pipe(fds) != 0) throw Error("bench: cannot create a pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        std::vector<std::string> args = {exe, "run", "-q", "-f", "jsonl", "--model", model_dir, kDefaultText};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid;
        auto t0 = std::chrono::steady_clock::now();
        int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            throw Error("bench: cannot start attnscope for the cold-start measurement");
        }
        char buf[65536];
        double first = -1;
        ssize_t got;
        while ((got = ::read(fds[0], buf, sizeof buf)) > 0) {
            if (first < 0 && std::find(buf, buf + got, '\n') != buf + got) first = ms_since(t0);
        }
        ::close(fds[0]);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (r > 0 && first >= 0) out.push_back(first);
    }
    return out;
}

// Every option is checked before anything is measured or printed, so a typo costs no minutes of probing.
void check_options(const BenchOptions& o) {
    if (o.format != "table" && o.format != "json")
        throw Error(fmt::format("--format {}: expected table or json", o.format));
    auto at_least = [](const char* name, long v, long min) {
        if (v < min) throw Error(fmt::format("{} {}: must be {} or more", name, v, min));
    };
    at_least("--threads", o.threads, 0);
    at_least("--reps", o.reps, 0);
    at_least("--warmup", o.warmup, 0);
    at_least("--cold-starts", o.cold_starts, 0);
    if (o.lengths.empty() || o.batches.empty()) throw Error("--lengths and --batch need at least one value each");
}

// The cases' outputs are kept between repetitions; refuse a case whose attention maps alone would take
// more than half of the machine's memory instead of letting the kernel kill the process midway.
void check_case_sizes(const BenchOptions& o, const model::BertConfig& c) {
    const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
    for (size_t batch : o.batches) {
        if (batch == 0) throw Error("--batch 0: must be 1 or more");
        for (size_t n : o.lengths) {
            if (n == 0 || n > c.max_tokens())
                throw Error(fmt::format("--lengths {}: must be 1..{}", n, c.max_tokens()));
            const double bytes = 4.0 * static_cast<double>(batch) * c.num_hidden_layers * c.num_attention_heads *
                                 static_cast<double>(n) * static_cast<double>(n);
            if (memory > 0 && bytes > memory / 2) {
                throw Error(
                    fmt::format("--batch {} at --lengths {}: the attention maps alone take {:.1f} GB, more than "
                                "half of this machine's {:.1f} GB",
                                batch, n, bytes / 1e9, memory / 1e9));
            }
        }
    }
}

void bench_command(const BenchOptions& o) {
    check_options(o);
    model::LoadOptions lo;
    lo.weights = model::parse_weight_storage(o.weights);
    LoadedModel lm = load_model(o.model, o.quiet || o.format == "json", lo);
    const auto& c = lm.model->config();
    check_case_sizes(o, c);
    const auto machine = system::system_info();
    const int threads = o.threads > 0 ? o.threads : machine.default_threads;
    nlohmann::json report;
    const bool table = o.format == "table";
    report["weights"] = o.weights;
    if (lo.weights != model::WeightStorage::F32) {
        std::vector<tokenizer::Encoding> inputs;
        for (const auto& [a, b] : reference_inputs()) {
            inputs.push_back(
                lm.model->tokenizer().encode(a, b.empty() ? std::nullopt : std::optional<std::string_view>(b)));
        }
        double mean = 0;
        double worst = attention_error_vs_fp32(lm, inputs, &mean);
        report["attention_error_vs_fp32"] = {{"max", worst}, {"mean", mean}, {"inputs", inputs.size()}};
    }
    double peak = 0, bandwidth = 0;
    if (!o.no_limits) {
        peak = system::measure_peak_gflops(threads);
        bandwidth = system::measure_read_bandwidth(threads);
        system::reset_peak_rss();  // the bandwidth probe's 1 GiB buffer is not the model's memory
    }
    const double weight_bytes = matmul_weight_bytes(c, lo.weights);
    const double floor_ms = bandwidth > 0 ? weight_bytes / (bandwidth * 1e9) * 1e3 : 0;

    report["model"] = {{"name", lm.location.name},
                       {"path", lm.location.directory.string()},
                       {"layers", c.num_hidden_layers},
                       {"heads", c.num_attention_heads},
                       {"hidden", c.hidden_size},
                       {"intermediate", c.intermediate_size},
                       {"matmul_weight_bytes", weight_bytes}};
    report["machine"] = {{"cpu", machine.cpu_model},
                         {"logical_cpus", machine.logical_cpus},
                         {"threads", threads},
                         {"avx2", machine.cpu_avx2},
                         {"avx512", machine.cpu_avx512},
                         {"kernels", machine.kernels},
                         {"avx512_gemm_tiles", machine.kernels == "avx512"},
                         {"compiler", machine.compiler},
                         {"build", machine.build_type},
                         {"peak_gflops", peak},
                         {"read_bandwidth_gbs", bandwidth},
                         {"weight_floor_ms", floor_ms}};
    if (table) {
        print_out("attnscope bench · {} · {} layers × {} heads, hidden {}, intermediate {}\n", lm.location.name,
                  c.num_hidden_layers, c.num_attention_heads, c.hidden_size, c.intermediate_size);
        if (report.contains("attention_error_vs_fp32")) {
            const auto& e = report["attention_error_vs_fp32"];
            print_out(
                "weights  {} (a fast mode): attention differs from fp32 by at most {:.2e} (mean {:.1e}) on the {} "
                "reference inputs\n",
                o.weights, e["max"].get<double>(), e["mean"].get<double>(), e["inputs"].get<size_t>());
        }
        print_out(
            "machine  {} · {} logical CPUs · {} threads · AVX2 {} · AVX-512 GEMM tiles {} · kernels {} · {} · {}\n",
            machine.cpu_model, machine.logical_cpus, threads, machine.cpu_avx2 ? "yes" : "no",
            machine.kernels == "avx512" ? "yes" : "no", machine.kernels, machine.build_type, machine.compiler);
        if (!o.no_limits) {
            print_out(
                "limits   peak {:.1f} GFLOP/s (AVX2 FMA, {} threads) · read bandwidth {:.1f} GB/s · "
                "weight floor {:.1f} ms ({:.1f} MB of matmul weights per forward)\n",
                peak, threads, bandwidth, floor_ms, weight_bytes / 1e6);
        }
        print_out("\n{:>5} {:>6} {:>10} {:>9} {:>9} {:>8} {:>5} {:>9} {:>7} {:>8} {:>11}\n", "n", "batch", "median ms",
                  "min", "max", "±MAD", "reps", "GFLOP/s", "% peak", "× floor", "tokens/s");
    }
    nlohmann::json rows = nlohmann::json::array();
    for (size_t batch : o.batches) {
        for (size_t n : o.lengths) {
            std::vector<tokenizer::Encoding> encs;
            for (size_t b = 0; b < batch; ++b)
                encs.push_back(random_encoding(*lm.model, n, static_cast<unsigned>(b + 1)));
            ForwardOptions fo;
            fo.threads = threads;
            // Steady state, as a server or corpus loop runs: the output traces are reused between calls.
            std::vector<Trace> traces;
            for (int w = 0; w < std::max(1, o.warmup); ++w) lm.model->forward_batch_into(encs, traces, fo);
            std::vector<double> times;
            const auto start = std::chrono::steady_clock::now();
            int target = o.reps;
            while (true) {
                auto t0 = std::chrono::steady_clock::now();
                lm.model->forward_batch_into(encs, traces, fo);
                times.push_back(ms_since(t0));
                if (target == 0 && times.size() == 1) {
                    // Adaptive: about two seconds per case, at least 5 and at most 50 repetitions.
                    target = static_cast<int>(std::clamp(2000.0 / std::max(times[0], 1e-3), 5.0, 50.0));
                }
                if (static_cast<int>(times.size()) >= target) break;
                if (ms_since(start) > 60'000 && times.size() >= 3) break;
            }
            Stats s = summarize(times);
            const double flops = forward_flops(c, n) * static_cast<double>(batch);
            const double gflops = flops / (s.median * 1e-3) / 1e9;
            const double share = peak > 0 ? gflops / peak : 0;
            const double x_floor = floor_ms > 0 ? s.median / floor_ms : 0;
            const double tps = static_cast<double>(n * batch) / (s.median * 1e-3);
            rows.push_back({{"n", n},
                            {"batch", batch},
                            {"median_ms", s.median},
                            {"min_ms", s.min},
                            {"max_ms", s.max},
                            {"mad_ms", s.mad},
                            {"p10_ms", s.p10},
                            {"p90_ms", s.p90},
                            {"reps", s.reps},
                            {"gflops", gflops},
                            {"share_of_peak", peak > 0 ? nlohmann::json(share) : nlohmann::json(nullptr)},
                            {"x_weight_floor", floor_ms > 0 ? nlohmann::json(x_floor) : nlohmann::json(nullptr)},
                            {"tokens_per_s", tps}});
            if (table) {
                // Without --no-limits' measurements there is no share to show: a dash, not a 0.
                const std::string share_cell = peak > 0 ? fmt::format("{:.0f}%", share * 100) : "—";
                const std::string floor_cell = floor_ms > 0 ? fmt::format("{:.2f}", x_floor) : "—";
                print_out("{:>5} {:>6} {:>10.2f} {:>9.2f} {:>9.2f} {:>8.2f} {:>5} {:>9.1f} {:>7} {:>8} {:>11.0f}\n", n,
                          batch, s.median, s.min, s.max, s.mad, s.reps, gflops, share_cell, floor_cell, tps);
                util::flush_stdout();
            }
        }
    }
    report["cases"] = rows;
    if (o.cold_starts > 0) {
        auto cs = cold_start_ms(lm.location.directory.string(), o.cold_starts);
        if (!cs.empty()) {
            Stats s = summarize(cs);
            report["cold_start_ms"] = {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"runs", s.reps}};
            if (table) {
                print_out(
                    "\ncold start (process start → first attention line of `attnscope run -f jsonl`, page cache "
                    "warm): median {:.1f} ms, min {:.1f}, max {:.1f} over {} runs\n",
                    s.median, s.min, s.max, s.reps);
            }
        }
    }
    report["peak_rss_bytes"] = system::peak_rss_bytes();
    if (table) {
        print_out("peak RSS {:.1f} MB (weights are memory-mapped: {:.1f} MB of the file)\n",
                  system::peak_rss_bytes() / 1e6, lm.model->info().zero_copy_bytes / 1e6);
    } else {
        print_out("{}\n", report.dump(2));
    }
}

}  // namespace

void register_bench(CLI::App& app) {
    auto o = std::make_shared<BenchOptions>();
    auto* cmd =
        app.add_subcommand("bench", "Benchmark the forward pass: latency, throughput, share of the machine's limits");
    cmd->add_option("--model,-m", o->model, "Model folder or Hugging Face id");
    cmd->add_option("--lengths,-n", o->lengths, "Sequence lengths in tokens (default 8,16,32,128,512)")
        ->check(non_negative())
        ->delimiter(',');
    cmd->add_option("--batch,-b", o->batches, "Batch sizes (default 1)")->check(non_negative())->delimiter(',');
    cmd->add_option("--reps,-r", o->reps, "Timed repetitions per case (default: adaptive, ~2 s per case)");
    cmd->add_option("--warmup", o->warmup, "Untimed runs before each case (default 2)");
    cmd->add_option("--threads,-t", o->threads, "Threads (default: one per core)")->check(thread_count());
    cmd->add_option("--cold-starts", o->cold_starts, "Cold-start runs to time (0 = skip; default 10)");
    cmd->add_flag("--no-limits", o->no_limits, "Skip measuring peak FLOP/s and read bandwidth");
    cmd->add_option("--format,-f", o->format, "table (default) or json");
    cmd->add_option("--weights", o->weights, "Weight storage: fp32 (default), fp16, bf16, int8");
    cmd->add_flag("--quiet,-q", o->quiet, "Do not announce which default model is used");
    cmd->callback([o] { bench_command(*o); });
}

}  // namespace attnscope::cli
