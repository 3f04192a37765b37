#include "connections.h"

#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "request_framing.h"

namespace attnscope::server {

using Clock = std::chrono::steady_clock;

namespace {

thread_local bool close_after_answer = false;

// After a refusal the client may still be sending; reading (and dropping) that for a moment before closing
// keeps the kernel from resetting the connection before the client has read why.
constexpr std::chrono::milliseconds kDrainTime{1000};
constexpr size_t kChunk = 1 << 20;  // kept answer bytes are released as each megabyte is sent
// How long a worker waits for a client that has stopped taking its answer before keeping the rest.
constexpr std::chrono::milliseconds kPatience{20};
// Refused connections being drained, at most; past that a refused connection is closed at once. With
// --max-connections ≤ 256 this keeps descriptors under FD_SETSIZE, which httplib's select() needs.
constexpr int kMaxDraining = 64;

// An answer the event thread writes itself, for a request that never reaches a worker.
std::string refusal(int status, std::string_view reason, const std::string& message,
                    std::string_view extra_headers = {}) {
    const std::string body = nlohmann::json{{"error", message}}.dump();
    return fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n"
        "X-Content-Type-Options: nosniff\r\n{}\r\n{}",
        status, reason, body.size(), extra_headers, body);
}

std::string seconds(std::chrono::milliseconds t) {
    return fmt::format("{:g} s", static_cast<double>(t.count()) / 1000);
}

// Bytes sent without waiting; 0 when the socket is full, -1 when the connection is broken.
ssize_t send_some(int sock, const char* p, size_t n) {
    for (;;) {
        const ssize_t r = ::send(sock, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

enum class Received { Some, Nothing, Closed };

// Appends what the socket holds now, up to `limit` bytes in `into`.
Received receive_some(int sock, std::string& into, size_t limit) {
    char buf[16384];
    bool any = false;
    while (into.size() < limit) {
        const ssize_t r = ::recv(sock, buf, std::min(sizeof(buf), limit - into.size()), MSG_DONTWAIT);
        if (r > 0) {
            into.append(buf, static_cast<size_t>(r));
            any = true;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        return Received::Closed;  // EOF or a broken connection
    }
    return any ? Received::Some : Received::Nothing;
}

// Waits until `events` are possible on `sock`, at most until `deadline`.
bool wait_for(int sock, short events, Clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{sock, events, 0};
        const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
        if (r < 0 && errno != EINTR) return false;
        if (r > 0) return (p.revents & events) != 0 && !(p.revents & (POLLERR | POLLNVAL));
    }
}

void numeric_name(const sockaddr_storage& a, socklen_t len, std::string& ip, int& port) {
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&a), len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
        ip = host;
        port = std::atoi(serv);
    }
}

struct InlineQueue final : httplib::TaskQueue {
    // Runs on the accepting thread: handing a socket to the event thread takes microseconds.
    void enqueue(std::function<void()> fn) override { fn(); }
    void shutdown() override {}
};

}  // namespace

void close_connection_after_answer() {
    close_after_answer = true;
}

struct HttpServer::Connection {
    enum class Phase { Waiting, Working, Sending, Draining };

    Connection(Loop& loop, socket_t sock, bool counted);
    ~Connection();
    size_t pending() const { return kept; }

    Loop& loop;
    socket_t sock;
    bool counted;  // against max_connections (refused ones draining are not)
    Phase phase = Phase::Waiting;
    std::string in;               // received bytes a request has not consumed yet
    std::deque<std::string> out;  // answer bytes the client has not taken yet; front() from out_pos
    size_t out_pos = 0, kept = 0;
    size_t request_bytes = 0;  // length of the complete request at the start of `in`, once known
    bool receiving = false;    // a request has begun to arrive
    bool continue_sent = false, close_after_send = false, peer_closed = false, broken = false;
    int requests = 0;
    Clock::time_point request_start, deadline, send_deadline;
};

struct HttpServer::Loop {
    Loop(HttpServer& server, const ConnectionLimits& limits);
    ~Loop();

    void accept(socket_t sock);                     // on the accepting thread
    void hand_over(std::unique_ptr<Connection> c);  // from any thread; closes c once stopping
    void stop();

    // The kept-answer budget shared by all connections.
    bool reserve(size_t n) {
        size_t cur = buffered.load();
        do {
            if (cur + n > limits.max_buffered_answer_bytes) return false;
        } while (!buffered.compare_exchange_weak(cur, cur + n));
        return true;
    }
    void keep(Connection& c, std::string_view bytes);  // appends to c.out, already reserved
    void release(size_t n) { buffered -= n; }
    // Sends kept bytes until the socket is full; false when the connection is broken.
    bool flush(Connection& c);

    HttpServer& server;
    ConnectionLimits limits;
    std::atomic<int> open{0}, draining{0};
    std::atomic<size_t> buffered{0};

  private:
    using Owned = std::unique_ptr<Connection>;
    enum class Framing { Incomplete, Complete, Answered };

    void run();
    void adopt(Owned c, Clock::time_point now);
    void on_input(Owned& c, Clock::time_point now);
    Framing frame(Connection& c);
    void queue_refusal(Connection& c, const std::string& bytes);
    void start_sending(Connection& c, Clock::time_point now);
    void send_now(Owned& c, Clock::time_point now);  // start_sending, then as much as the socket takes
    void on_sent(Owned& c, Clock::time_point now);
    void on_deadline(Owned& c, Clock::time_point now);
    void dispatch(Owned& c);
    static Clock::time_point due(const Connection& c) {
        return c.phase == Connection::Phase::Sending ? std::min(c.deadline, c.send_deadline) : c.deadline;
    }

    int wake_fd = -1;
    std::mutex mutex;
    std::vector<Owned> incoming;  // guarded by mutex
    bool stopping = false;        // guarded by mutex
    std::vector<Owned> owned;     // the event thread's alone
    std::unique_ptr<httplib::ThreadPool> workers, light_workers;
    std::thread thread;
};

HttpServer::Connection::Connection(Loop& l, socket_t s, bool c) : loop(l), sock(s), counted(c) {
    ++(counted ? loop.open : loop.draining);
}

HttpServer::Connection::~Connection() {
    loop.release(kept);
    --(counted ? loop.open : loop.draining);
    ::close(sock);
}

// ---- the stream a worker's request reads from and answers into ----

namespace {

class ConnectionStream final : public httplib::Stream {
  public:
    ConnectionStream(HttpServer::Loop& loop, HttpServer::Connection& c, Clock::time_point read_deadline)
        : loop_(loop), c_(c), read_deadline_(read_deadline) {}

    bool is_readable() const override { return pos_ < c_.in.size(); }
    bool is_writable() const override { return !c_.broken; }

    ssize_t read(char* ptr, size_t size) override {
        if (pos_ >= c_.in.size()) {
            // The event thread saw the whole request; httplib asks for more only if it frames the request
            // differently. Wait no longer than the request may take.
            if (!wait_for(c_.sock, POLLIN, read_deadline_)) return -1;
            const bool closed = receive_some(c_.sock, c_.in, c_.in.size() + size) == Received::Closed;
            if (pos_ >= c_.in.size()) return closed ? 0 : -1;
        }
        const size_t n = std::min(size, c_.in.size() - pos_);
        std::memcpy(ptr, c_.in.data() + pos_, n);
        pos_ += n;
        return static_cast<ssize_t>(n);
    }

    // Sends while the client takes the bytes, and keeps the rest for the event thread once it stops taking
    // them for a moment, so that a client that reads slowly (or not at all) holds no worker, nor, for a
    // stream, a forward-pass slot. Past the kept-bytes budget, waits for the client to take bytes, at most
    // request_timeout without progress.
    ssize_t write(const char* ptr, size_t size) override {
        if (c_.broken) return -1;
        std::string_view rest(ptr, size);
        for (;;) {
            if (c_.pending() && !loop_.flush(c_)) return fail();
            if (!c_.pending()) {
                const ssize_t n = send_some(c_.sock, rest.data(), rest.size());
                if (n < 0) return fail();
                rest.remove_prefix(static_cast<size_t>(n));
            }
            if (rest.empty()) return static_cast<ssize_t>(size);
            // A client that reads at once never has its answer copied (measured: the copy and its page
            // faults cost 5-9% of an /api/analyze at 256 tokens).
            if (!c_.pending() && wait_for(c_.sock, POLLOUT, Clock::now() + kPatience)) continue;
            if (loop_.reserve(rest.size())) {
                loop_.keep(c_, rest);
                return static_cast<ssize_t>(size);
            }
            if (!wait_for(c_.sock, POLLOUT, Clock::now() + loop_.limits.request_timeout)) return fail();
        }
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage a{};
        socklen_t len = sizeof(a);
        if (getpeername(c_.sock, reinterpret_cast<sockaddr*>(&a), &len) == 0) numeric_name(a, len, ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage a{};
        socklen_t len = sizeof(a);
        if (getsockname(c_.sock, reinterpret_cast<sockaddr*>(&a), &len) == 0) numeric_name(a, len, ip, port);
    }
    socket_t socket() const override { return c_.sock; }

    size_t consumed() const { return pos_; }

  private:
    ssize_t fail() {
        c_.broken = true;
        return -1;
    }

    HttpServer::Loop& loop_;
    HttpServer::Connection& c_;
    Clock::time_point read_deadline_;
    size_t pos_ = 0;
};

}  // namespace

// ---- the event thread ----

HttpServer::Loop::Loop(HttpServer& s, const ConnectionLimits& l) : server(s), limits(l) {
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0) throw std::runtime_error(fmt::format("eventfd: {}", std::strerror(errno)));
    workers = std::make_unique<httplib::ThreadPool>(static_cast<size_t>(std::max(1, limits.workers)));
    light_workers = std::make_unique<httplib::ThreadPool>(static_cast<size_t>(std::max(1, limits.light_workers)));
    thread = std::thread([this] { run(); });
}

HttpServer::Loop::~Loop() {
    stop();
    if (wake_fd >= 0) ::close(wake_fd);
}

void HttpServer::Loop::stop() {
    {
        std::lock_guard lock(mutex);
        if (stopping) return;
        stopping = true;
    }
    const uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wake_fd, &one, sizeof(one));
    thread.join();
    workers->shutdown();  // runs what is queued; the connections they hand back are closed
    light_workers->shutdown();
}

void HttpServer::Loop::accept(socket_t sock) {
    if (open.load() >= limits.max_connections) {
        if (draining.load() >= kMaxDraining) {
            ::close(sock);
            return;
        }
        auto c = std::make_unique<Connection>(*this, sock, false);
        queue_refusal(
            *c, refusal(503, "Service Unavailable",
                        fmt::format("too many connections ({}, --max-connections); try again", limits.max_connections),
                        "Retry-After: 1\r\n"));
        c->phase = Connection::Phase::Sending;
        hand_over(std::move(c));
        return;
    }
    hand_over(std::make_unique<Connection>(*this, sock, true));
}

void HttpServer::Loop::hand_over(std::unique_ptr<Connection> c) {
    std::lock_guard lock(mutex);
    if (stopping) return;  // c closes here
    incoming.push_back(std::move(c));
    const uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wake_fd, &one, sizeof(one));
}

// A refusal is small and always kept, whatever the budget; the connection ends once it is sent.
void HttpServer::Loop::queue_refusal(Connection& c, const std::string& bytes) {
    buffered += bytes.size();
    keep(c, bytes);
    c.close_after_send = true;
}

void HttpServer::Loop::keep(Connection& c, std::string_view bytes) {
    c.kept += bytes.size();
    while (!bytes.empty()) {
        if (c.out.empty() || c.out.back().size() >= kChunk) {
            c.out.emplace_back();
            c.out.back().reserve(std::min(kChunk, bytes.size()));
        }
        const size_t n = std::min(bytes.size(), kChunk - std::min(kChunk, c.out.back().size()));
        c.out.back().append(bytes.substr(0, n));
        bytes.remove_prefix(n);
    }
}

bool HttpServer::Loop::flush(Connection& c) {
    while (!c.out.empty()) {
        const std::string& front = c.out.front();
        const ssize_t n = send_some(c.sock, front.data() + c.out_pos, front.size() - c.out_pos);
        if (n < 0) return false;
        if (n == 0) return true;
        c.out_pos += static_cast<size_t>(n);
        c.kept -= static_cast<size_t>(n);
        release(static_cast<size_t>(n));
        if (c.out_pos == front.size()) {
            c.out.pop_front();
            c.out_pos = 0;
        }
    }
    return true;
}

void HttpServer::Loop::run() {
    std::vector<pollfd> fds;
    for (;;) {
        std::vector<Owned> arrived;
        {
            std::lock_guard lock(mutex);
            if (stopping) break;
            arrived.swap(incoming);
        }
        auto now = Clock::now();
        for (auto& c : arrived) adopt(std::move(c), now);

        fds.assign(1, pollfd{wake_fd, POLLIN, 0});
        long long timeout = 1000;
        for (const auto& c : owned) {
            fds.push_back(
                pollfd{c->sock, static_cast<short>(c->phase == Connection::Phase::Sending ? POLLOUT : POLLIN), 0});
            timeout = std::min<long long>(
                timeout, std::chrono::duration_cast<std::chrono::milliseconds>(due(*c) - now).count() + 1);
        }
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(0, timeout)));
        if (ready < 0 && errno != EINTR) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (fds[0].revents) {
            uint64_t n;
            [[maybe_unused]] auto r = ::read(wake_fd, &n, sizeof(n));
        }
        now = Clock::now();
        const size_t count = owned.size();  // adopt() is not called below, so fds[i + 1] is owned[i]
        for (size_t i = 0; i < count; ++i) {
            Owned& c = owned[i];
            const short events = fds[i + 1].revents;
            if (events) {
                switch (c->phase) {
                    case Connection::Phase::Waiting: {
                        const auto r = receive_some(c->sock, c->in, limits.max_head_bytes + limits.max_body_bytes);
                        if (r == Received::Closed) c->peer_closed = true;
                        on_input(c, now);
                        break;
                    }
                    case Connection::Phase::Sending: {
                        const size_t before = c->pending();
                        if (!flush(*c)) {
                            c.reset();
                            break;
                        }
                        if (c->pending() < before) c->deadline = now + limits.request_timeout;
                        if (!c->pending()) on_sent(c, now);
                        break;
                    }
                    case Connection::Phase::Draining: {
                        std::string discard;
                        if (receive_some(c->sock, discard, 1 << 16) == Received::Closed) c.reset();
                        break;
                    }
                    case Connection::Phase::Working:
                        break;
                }
            }
            if (c && now >= due(*c)) on_deadline(c, now);
        }
        owned.erase(std::remove(owned.begin(), owned.end(), nullptr), owned.end());
    }
    owned.clear();
    std::lock_guard lock(mutex);
    incoming.clear();
}

void HttpServer::Loop::adopt(Owned c, Clock::time_point now) {
    if (c->phase == Connection::Phase::Sending) {
        send_now(c, now);
    } else {
        c->phase = Connection::Phase::Waiting;
        c->receiving = false;
        c->deadline = now + limits.idle_timeout;
        on_input(c, now);
    }
    if (c) owned.push_back(std::move(c));
}

// A Waiting connection received bytes (or its peer closed): dispatch a complete request, refuse a bad one.
void HttpServer::Loop::on_input(Owned& c, Clock::time_point now) {
    if (!c->in.empty() && !c->receiving) {
        c->receiving = true;
        c->request_start = now;
        c->deadline = now + limits.request_timeout;
    }
    if (c->in.empty()) {
        if (c->peer_closed) c.reset();
        return;
    }
    switch (frame(*c)) {
        case Framing::Complete:
            dispatch(c);
            return;
        case Framing::Answered:
            send_now(c, now);
            return;
        case Framing::Incomplete:
            if (c->peer_closed) c.reset();
            return;
    }
}

HttpServer::Loop::Framing HttpServer::Loop::frame(Connection& c) {
    RequestFrame f = frame_request(c.in, limits.max_head_bytes, limits.max_body_bytes);
    if (f.state == RequestFrame::State::Refused) {
        queue_refusal(c, refusal(f.status, f.reason, f.message));
        return Framing::Answered;
    }
    if (!f.length) return Framing::Incomplete;
    size_t length = *f.length;
    if (f.expect_continue) {
        // The client waits for "100 Continue" before it sends the body; httplib would send a second one
        // once the request reached it, so the header goes.
        const auto [begin, end] = *f.expect_continue;
        c.in.erase(begin, end - begin);
        length -= end - begin;
        if (c.in.size() < length && !c.continue_sent) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            send_some(c.sock, kContinue.data(), kContinue.size());
            c.continue_sent = true;
        }
    }
    if (c.in.size() < length) return Framing::Incomplete;
    c.request_bytes = length;
    return Framing::Complete;
}

void HttpServer::Loop::start_sending(Connection& c, Clock::time_point now) {
    c.phase = Connection::Phase::Sending;
    c.deadline = now + limits.request_timeout;
    const auto at_min_rate = std::chrono::milliseconds(static_cast<long long>(
        1000.0 * static_cast<double>(c.pending()) / static_cast<double>(std::max<size_t>(1, limits.min_send_rate))));
    c.send_deadline = now + limits.request_timeout + at_min_rate;
}

void HttpServer::Loop::send_now(Owned& c, Clock::time_point now) {
    start_sending(*c, now);
    if (!flush(*c)) {
        c.reset();
    } else if (!c->pending()) {
        on_sent(c, now);
    }
}

void HttpServer::Loop::on_sent(Owned& c, Clock::time_point now) {
    if (c->close_after_send) {
        ::shutdown(c->sock, SHUT_WR);
        c->phase = Connection::Phase::Draining;
        c->deadline = now + kDrainTime;
        return;
    }
    c->phase = Connection::Phase::Waiting;
    c->receiving = false;
    c->deadline = now + limits.idle_timeout;
    on_input(c, now);  // a pipelined request may be here already
}

void HttpServer::Loop::on_deadline(Owned& c, Clock::time_point now) {
    if (c->phase == Connection::Phase::Waiting && c->receiving) {
        queue_refusal(*c, refusal(408, "Request Timeout",
                                  fmt::format("the request did not arrive within {} (--request-timeout)",
                                              seconds(limits.request_timeout))));
        send_now(c, now);
        return;
    }
    c.reset();  // idle, draining done, or a client that does not take its answer
}

void HttpServer::Loop::dispatch(Owned& c) {
    c->phase = Connection::Phase::Working;
    Connection* raw = c.release();
    const std::string_view method = std::string_view(raw->in).substr(0, raw->in.find(' '));
    auto& pool = method == "GET" || method == "HEAD" ? light_workers : workers;
    pool->enqueue([this, raw] {
        std::unique_ptr<Connection> conn(raw);
        try {
            server.run_request(*conn);
        } catch (...) {
            conn->broken = true;
        }
        if (conn->broken || (conn->close_after_send && !conn->pending())) return;  // closes it
        conn->phase = conn->pending() ? Connection::Phase::Sending : Connection::Phase::Waiting;
        hand_over(std::move(conn));
    });
}

// ---- HttpServer ----

HttpServer::HttpServer() = default;
HttpServer::~HttpServer() = default;

void HttpServer::set_limits(const ConnectionLimits& limits) {
    limits_ = limits;
    set_keep_alive_max_count(100);
    set_keep_alive_timeout(std::max<time_t>(1, static_cast<time_t>(limits.idle_timeout.count() / 1000)));
    set_payload_max_length(limits.max_body_bytes);
}

void HttpServer::serve() {
    // httplib listens with a backlog of 5 (compiled into Debian's library): a burst of 16 clients
    // overflowed it, and the kernel reset some of their connections (SYN cookies that failed). Listening
    // again on the bound socket only enlarges the queue.
    ::listen(svr_sock_, std::max(128, limits_.max_connections + kMaxDraining));
    loop_ = std::make_unique<Loop>(*this, limits_);
    new_task_queue = [] { return new InlineQueue; };
    listen_after_bind();
    loop_->stop();
    loop_.reset();
}

bool HttpServer::process_and_close_socket(socket_t sock) {
    loop_->accept(sock);
    return true;
}

void HttpServer::run_request(Connection& c) {
    ConnectionStream stream(*loop_, c, c.request_start + limits_.request_timeout);
    close_after_answer = false;
    ++c.requests;
    const bool last = c.peer_closed || c.requests >= static_cast<int>(keep_alive_max_count_);
    bool closed = false;
    const bool ok = process_request(stream, last, closed, nullptr);
    c.in.erase(0, std::min(c.in.size(), std::max(stream.consumed(), c.request_bytes)));
    c.request_bytes = 0;
    c.receiving = c.continue_sent = false;
    c.close_after_send = !ok || closed || last || close_after_answer;
}

}  // namespace attnscope::server
