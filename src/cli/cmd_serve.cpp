// attnscope serve: the browser explorer on a local HTTP server; attnscope export --html: the same page
// as one self-contained offline file.
#include <fmt/format.h>
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "attnscope/error.h"
#include "commands.h"
#include "common.h"
#include "html_export.h"
#include "output.h"
#include "server.h"

namespace attnscope::cli {
namespace {

struct ServeOptions {
    std::string model;
    std::string host = "127.0.0.1";
    int port = 8008;
    std::vector<std::string> allow_hosts;
    std::vector<std::string> allow_origins;
    size_t max_body_kib = 1024;
    int concurrent = 2;
    int max_connections = 64;
    double idle_timeout = 5;
    double request_timeout = 10;
    bool quiet = false;
};

void serve(const ServeOptions& o) {
    // Ctrl-C and SIGTERM stop the server cleanly: the signals are blocked in every thread and one thread
    // waits for them (a signal handler may not call into the server).
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    server::ServerOptions so;
    so.host = o.host;
    so.port = o.port;
    so.allowed_hosts = o.allow_hosts;
    so.allowed_origins = o.allow_origins;
    so.max_body_bytes = o.max_body_kib * 1024;
    so.max_concurrent_runs = o.concurrent;
    so.max_connections = o.max_connections;
    so.idle_timeout_s = o.idle_timeout;
    so.request_timeout_s = o.request_timeout;
    server::check_options(so);  // before the model is loaded: a mistake is reported at once
    LoadedModel lm = load_model(o.model, o.quiet);
    server::Server srv(lm.model, lm.location, so);

    std::thread([&srv, stop_signals] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        srv.stop();
    }).detach();

    srv.run([&](int port) {
        const std::string shown = o.host == "0.0.0.0" || o.host == "::" ? "localhost" : o.host;
        print_out("attnscope: serving {} ({} layers × {} heads) at http://{}:{}/ — Ctrl-C to stop\n", lm.location.name,
                  lm.model->config().num_hidden_layers, lm.model->config().num_attention_heads,
                  shown.find(':') != std::string::npos ? "[" + shown + "]" : shown, port);
        if (o.host != "127.0.0.1" && o.host != "localhost" && o.host != "::1") {
            fmt::print(
                stderr,
                "attnscope: warning: listening on {}, reachable from other machines; there is no authentication\n",
                o.host);
        }
        util::flush_stdout();
    });
}

struct ExportOptions {
    InputOptions input;
    std::string html;
};

void export_html(const ExportOptions& o) {
    if (o.html.empty()) throw Error("give --html OUT.html");
    LoadedModel lm = load_model(o.input.model, o.input.quiet);
    auto enc = encode_input(lm, o.input);
    ForwardOptions fo;
    fo.threads = o.input.threads;
    Trace t = lm.model->forward(enc, fo);
    std::optional<std::string> pair;
    if (!o.input.pair.empty()) pair = read_text_argument(o.input.pair, "pair text");
    Output out(o.html, true);
    out.write(server::offline_html(*lm.model, lm.location, enc, t, read_text_argument(o.input.text, "text"), pair));
    out.commit();
    fmt::print(stderr, "attnscope: wrote {} ({} tokens, opens offline in any browser)\n", o.html, enc.size());
}

}  // namespace

void register_serve(CLI::App& app) {
    auto o = std::make_shared<ServeOptions>();
    auto* cmd = app.add_subcommand("serve", "Start the browser explorer on a local HTTP server");
    cmd->add_option("--model,-m", o->model,
                    "Model folder or Hugging Face id (default: bert-base-uncased if cached, else the bundled MiniLM)");
    cmd->add_option("--port", o->port, "Port (default 8008; 0 = any free port)")->check(CLI::Range(0, 65535));
    cmd->add_option("--host", o->host, "Address to listen on (default 127.0.0.1: this machine only)");
    cmd->add_option("--allow-host", o->allow_hosts,
                    "Also accept this Host header name or address (besides localhost and loopback)");
    cmd->add_option("--allow-origin", o->allow_origins,
                    "Also take API calls from pages of this origin, scheme://host[:port] (a notebook proxy's)");
    cmd->add_option("--max-body-kib", o->max_body_kib, "Largest request body accepted, in KiB (default 1024)")
        ->check(CLI::Range(1, 1 << 20));
    cmd->add_option("--concurrent", o->concurrent, "Forward passes run at once; more requests wait (default 2)")
        ->check(CLI::Range(1, 64));
    cmd->add_option("--max-connections", o->max_connections,
                    "Connections open at once; more are refused with 503 (default 64)")
        ->check(CLI::Range(1, 256));
    cmd->add_option("--idle-timeout", o->idle_timeout,
                    "Seconds a connection may stay open with no request under way (default 5)")
        ->check(CLI::Range(0.1, 3600.0));
    cmd->add_option(
           "--request-timeout", o->request_timeout,
           "Seconds a request may take to arrive, or an answer wait on a client taking none of it (default 10)")
        ->check(CLI::Range(0.1, 3600.0));
    cmd->add_flag("--quiet,-q", o->quiet, "Do not announce which default model is used");
    cmd->callback([o] { serve(*o); });

    auto e = std::make_shared<ExportOptions>();
    auto* ex = app.add_subcommand("export", "Write a self-contained offline HTML explorer of one analysis");
    add_input_options(ex, e->input);
    ex->add_option("--html", e->html, "The HTML file to write")->required();
    ex->callback([e] { export_html(*e); });
}

}  // namespace attnscope::cli
