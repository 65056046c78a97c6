// test_io.cpp - fd waits, sockets over loopback, sprig_close wake-ups, offload and DNS.
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct FdPair {
  int fds[2] = {-1, -1};
  int reader() const { return fds[0]; }
  int writer() const { return fds[1]; }
};

FdPair new_socketpair() {
  FdPair pair;
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, pair.fds) == 0);
  return pair;
}

FdPair new_pipe() {
  FdPair pair;
  REQUIRE(pipe(pair.fds) == 0);
  return pair;
}

void close_pair(const FdPair &pair) {
  CHECK(sprig_close(pair.fds[0]) == 0);
  CHECK(sprig_close(pair.fds[1]) == 0);
}

// A TCP socket listening on 127.0.0.1 at a port the kernel picked.
int listen_on_loopback(sockaddr_in *address) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  *address = sockaddr_in{};
  address->sin_family = AF_INET;
  address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address->sin_port = 0;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr *>(address), sizeof *address) == 0);
  REQUIRE(listen(fd, 16) == 0);
  socklen_t length = sizeof *address;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr *>(address), &length) == 0);
  return fd;
}

unsigned char pattern_byte(size_t index) { return static_cast<unsigned char>(index * 31 + 7); }

} // namespace

TEST_CASE("wait_fd: times out, then wakes when another green thread writes") {
  run_green([] {
    FdPair pair = new_socketpair();
    CHECK(sprig_wait_fd(pair.reader(), SPRIG_READABLE, 0) == -ETIMEDOUT);
    int64_t start = now_ns();
    CHECK(sprig_wait_fd(pair.reader(), SPRIG_READABLE, 20 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 20 * kMillis);
    CHECK((sprig_wait_fd(pair.writer(), SPRIG_WRITABLE, 0) & SPRIG_WRITABLE) != 0);

    int rc = 0;
    ParkProof proof = prove_parks([] {},
                                  [&] {
                                    rc = sprig_wait_fd(pair.reader(), SPRIG_READABLE, 5 * kSeconds);
                                    return rc;
                                  },
                                  [&] { CHECK(write(pair.writer(), "x", 1) == 1); });
    CHECK(proof.wait_result > 0);
    CHECK((rc & SPRIG_READABLE) != 0);
    CHECK(proof.steps_seen == 100);
    close_pair(pair);
  });
}

TEST_CASE("wait_fd on a pipe: data wakes the reader, a hang-up counts as both events") {
  run_green([] {
    FdPair pipe_fds = new_pipe();
    sprig_thread_t writer = spawn_green([&] {
      sprig_sleep(5 * kMillis);
      CHECK(write(pipe_fds.writer(), "ab", 2) == 2);
    });
    int rc = sprig_wait_fd(pipe_fds.reader(), SPRIG_READABLE, 5 * kSeconds);
    CHECK(rc > 0);
    CHECK((rc & SPRIG_READABLE) != 0);
    CHECK(join(writer) == 0);
    char buf[2];
    CHECK(read(pipe_fds.reader(), buf, 2) == 2);
    CHECK(sprig_close(pipe_fds.writer()) == 0);
    // A read end is never writable: only the hang-up can end this wait.
    rc = sprig_wait_fd(pipe_fds.reader(), SPRIG_WRITABLE, 5 * kSeconds);
    CHECK(rc > 0);
    CHECK((rc & SPRIG_WRITABLE) != 0);
    rc = sprig_wait_fd(pipe_fds.reader(), SPRIG_READABLE, 5 * kSeconds);
    CHECK(rc > 0);
    CHECK((rc & SPRIG_READABLE) != 0);
    CHECK(sprig_close(pipe_fds.reader()) == 0);
  });
}

TEST_CASE("wait_fd on a blocking pipe with no fd left (EMFILE): still waits, wakes on data") {
  run_green([] {
    FdPair pipe_fds = new_pipe();
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    rlimit lowered = saved;
    lowered.rlim_cur = saved.rlim_cur < 256 ? saved.rlim_cur : 256;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    std::vector<int> fillers;
    for (int fd = dup(pipe_fds.writer()); fd >= 0 && fillers.size() < 300;
         fd = dup(pipe_fds.writer())) {
      fillers.push_back(fd);
    }
    CHECK(errno == EMFILE);
    // Adding the pipe to the reactor's epoll set needs no new fd.
    CHECK(sprig_wait_fd(pipe_fds.reader(), SPRIG_READABLE, 20 * kMillis) == -ETIMEDOUT);
    sprig_thread_t writer = spawn_green([&] {
      sprig_sleep(10 * kMillis);
      CHECK(write(pipe_fds.writer(), "x", 1) == 1);
    });
    CHECK(sprig_wait_fd(pipe_fds.reader(), SPRIG_READABLE, 5 * kSeconds) == SPRIG_READABLE);
    CHECK(join(writer) == 0);
    for (int fd : fillers) {
      CHECK(close(fd) == 0);
    }
    CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    close_pair(pipe_fds);
  });
}

TEST_CASE("wait_fd: an fd number reused behind sprig's back still wakes its waiter") {
  run_green([] {
    // The reactor registers fd, which is then closed and its number given to
    // a new pipe, both with raw syscalls sprig does not see: the old
    // registration left the epoll set with the old pipe. A wait on the new
    // pipe is noticed by the recheck once it has waited 1 s.
    FdPair first = new_pipe();
    CHECK(sprig_wait_fd(first.reader(), SPRIG_READABLE, kMillis) == -ETIMEDOUT);
    int number = first.reader();
    REQUIRE(syscall(SYS_close, number) == 0);
    int fresh[2] = {-1, -1};
    REQUIRE(syscall(SYS_pipe2, fresh, 0) == 0);
    REQUIRE(fresh[0] == number);
    sprig_thread_t writer = spawn_green([&] {
      sprig_sleep(50 * kMillis);
      CHECK(write(fresh[1], "x", 1) == 1);
    });
    int64_t start = now_ns();
    CHECK(sprig_wait_fd(number, SPRIG_READABLE, 10 * kSeconds) == SPRIG_READABLE);
    CHECK(now_ns() - start < 5 * kSeconds); // the recheck, not the timeout
    CHECK(join(writer) == 0);
    CHECK(sprig_close(fresh[0]) == 0);
    CHECK(sprig_close(fresh[1]) == 0);
    CHECK(sprig_close(first.writer()) == 0);
  });
}

TEST_CASE("wait_fd: a regular file is always ready") {
  run_green([] {
    char path[] = "/tmp/sprig-unit-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    unlink(path);
    CHECK((sprig_wait_fd(fd, SPRIG_READABLE, 0) & SPRIG_READABLE) != 0);
    CHECK((sprig_wait_fd(fd, SPRIG_WRITABLE, 0) & SPRIG_WRITABLE) != 0);
    CHECK(sprig_wait_fd(fd, SPRIG_READABLE | SPRIG_WRITABLE, SPRIG_FOREVER) ==
          (SPRIG_READABLE | SPRIG_WRITABLE));
    CHECK(sprig_close(fd) == 0);
  });
}

TEST_CASE("wait_fd: bad fds and bad arguments") {
  run_green([] {
    CHECK(sprig_wait_fd(-1, SPRIG_READABLE, 0) == -EBADF);
    CHECK(sprig_wait_fd(1 << 20, SPRIG_READABLE, 0) == -EBADF);
    FdPair pipe_fds = new_pipe();
    int closed = pipe_fds.writer();
    CHECK(close(closed) == 0);
    CHECK(sprig_wait_fd(closed, SPRIG_WRITABLE, 10 * kMillis) == -EBADF);
    CHECK(sprig_wait_fd(pipe_fds.reader(), 0, 0) == -EINVAL);
    CHECK(sprig_wait_fd(pipe_fds.reader(), 4, 0) == -EINVAL);
    CHECK(sprig_wait_fd(pipe_fds.reader(), SPRIG_READABLE, -2) == -EINVAL);
    CHECK(sprig_close(pipe_fds.reader()) == 0);
  });
}

TEST_CASE("wait_fd leaves the fd's flags unchanged") {
  run_green([] {
    FdPair pipe_fds = new_pipe();
    int read_flags = fcntl(pipe_fds.reader(), F_GETFL);
    int write_flags = fcntl(pipe_fds.writer(), F_GETFL);
    CHECK((read_flags & O_NONBLOCK) == 0);
    CHECK(sprig_wait_fd(pipe_fds.reader(), SPRIG_READABLE, 5 * kMillis) == -ETIMEDOUT);
    CHECK(sprig_wait_fd(pipe_fds.writer(), SPRIG_WRITABLE, 5 * kMillis) > 0);
    CHECK(write(pipe_fds.writer(), "z", 1) == 1);
    CHECK(sprig_wait_fd(pipe_fds.reader(), SPRIG_READABLE, 5 * kMillis) > 0);
    CHECK(fcntl(pipe_fds.reader(), F_GETFL) == read_flags);
    CHECK(fcntl(pipe_fds.writer(), F_GETFL) == write_flags);
    close_pair(pipe_fds);
  });
}

TEST_CASE("sprig_close wakes the fd's waiters with -EBADF") {
  run_green([] {
    FdPair pipe_fds = new_pipe();
    int wait_result = 0;
    sprig_thread_t waiter = spawn_green(
        [&] { wait_result = sprig_wait_fd(pipe_fds.reader(), SPRIG_READABLE, 5 * kSeconds); });
    FdPair sockets = new_socketpair();
    ssize_t read_result = 0;
    sprig_thread_t reader = spawn_green([&] {
      char buf[8];
      read_result = sprig_read(sockets.reader(), buf, sizeof buf, 5 * kSeconds);
    });
    sprig_sleep(10 * kMillis); // both are well into their waits
    int64_t start = now_ns();
    CHECK(sprig_close(pipe_fds.reader()) == 0);
    CHECK(sprig_close(sockets.reader()) == 0);
    CHECK(join(waiter) == 0);
    CHECK(join(reader) == 0);
    CHECK(now_ns() - start < 2 * kSeconds);
    CHECK(wait_result == -EBADF);
    CHECK(read_result == -EBADF);
    CHECK(sprig_close(pipe_fds.writer()) == 0);
    CHECK(sprig_close(sockets.writer()) == 0);
  });
}

// The close comes while the waiter's first wait on the fd is just starting.
// Run in a child: a runtime that gets this wrong may crash.
TEST_CASE("sprig_close right as another thread starts waiting on the fd") {
  int status = status_of_child([] {
    int wait_result = 0;
    int rc = run_green([&] {
      int fds[2];
      if (pipe(fds) != 0) {
        return;
      }
      sprig_thread_t waiter =
          spawn_green([&] { wait_result = sprig_wait_fd(fds[0], SPRIG_READABLE, 5 * kSeconds); });
      sprig_yield(); // the waiter starts its wait
      sprig_close(fds[0]);
      join(waiter);
      sprig_close(fds[1]);
    });
    return rc == 0 && wait_result == -EBADF ? 0 : 1;
  });
  INFO("child killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("TCP over loopback: accept, connect, a 4 MiB write that completes, read to EOF") {
  static constexpr size_t kBytes = 4 << 20;
  run_green([] {
    sockaddr_in address{};
    int listener = listen_on_loopback(&address);
    size_t server_received = 0, server_mismatches = 0;
    int accepted_flags = 0, accepted_fd_flags = 0;
    sprig_thread_t server = spawn_green([&] {
      sockaddr_in peer{};
      socklen_t peer_length = sizeof peer;
      int fd =
          sprig_accept(listener, reinterpret_cast<sockaddr *>(&peer), &peer_length, 5 * kSeconds);
      REQUIRE(fd >= 0);
      CHECK(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
      accepted_flags = fcntl(fd, F_GETFL);
      accepted_fd_flags = fcntl(fd, F_GETFD);
      std::vector<unsigned char> buf(64 * 1024);
      for (;;) {
        ssize_t n = sprig_read(fd, buf.data(), buf.size(), 5 * kSeconds);
        if (n <= 0) {
          CHECK(n == 0); // EOF, not an error
          break;
        }
        for (ssize_t i = 0; i < n; ++i) {
          server_mismatches += buf[i] != pattern_byte(server_received + i);
        }
        server_received += n;
      }
      CHECK(sprig_write(fd, "done", 4, 5 * kSeconds) == 4);
      CHECK(sprig_close(fd) == 0);
    });

    int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(client >= 0);
    CHECK(sprig_connect(client, reinterpret_cast<sockaddr *>(&address), sizeof address,
                        5 * kSeconds) == 0);
    std::vector<unsigned char> data(kBytes);
    for (size_t i = 0; i < kBytes; ++i) {
      data[i] = pattern_byte(i);
    }
    CHECK(sprig_write(client, data.data(), data.size(), 10 * kSeconds) == ssize_t{kBytes});
    CHECK(shutdown(client, SHUT_WR) == 0);
    char reply[8] = {};
    CHECK(sprig_read(client, reply, sizeof reply, 5 * kSeconds) == 4);
    CHECK(std::string(reply, 4) == "done");
    CHECK(sprig_read(client, reply, sizeof reply, 5 * kSeconds) == 0);
    CHECK(join(server) == 0);
    CHECK(server_received == kBytes);
    CHECK(server_mismatches == 0);
    CHECK((accepted_flags & O_NONBLOCK) != 0);
    CHECK((accepted_fd_flags & FD_CLOEXEC) != 0);
    CHECK(sprig_close(client) == 0);
    CHECK(sprig_close(listener) == 0);
  });
}

TEST_CASE("sockets: read and accept time out; connect to a closed port is -ECONNREFUSED") {
  run_green([] {
    sockaddr_in address{};
    int listener = listen_on_loopback(&address);
    int64_t start = now_ns();
    CHECK(sprig_accept(listener, nullptr, nullptr, 20 * kMillis) == -ETIMEDOUT);
    CHECK(now_ns() - start >= 20 * kMillis);

    FdPair pair = new_socketpair();
    char byte = 0;
    CHECK(sprig_read(pair.reader(), &byte, 1, 0) == -ETIMEDOUT);
    CHECK(sprig_read(pair.reader(), &byte, 1, 20 * kMillis) == -ETIMEDOUT);
    close_pair(pair);

    CHECK(sprig_close(listener) == 0); // nobody listens on that port now
    int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(client >= 0);
    CHECK(sprig_connect(client, reinterpret_cast<sockaddr *>(&address), sizeof address,
                        5 * kSeconds) == -ECONNREFUSED);
    CHECK(sprig_close(client) == 0);
  });
}

// ---- offload ------------------------------------------------------------------

namespace {

struct OffloadProbe {
  std::atomic<int> witness_ticks{0};
  std::atomic<bool> saw_ticks{false};
  pid_t tid = 0;
};

// Runs on a pool thread: waits (at most 5 s) until the witness green thread
// has ticked 10 times, which it can do only if the caller parked.
void wait_for_witness(void *arg) {
  auto *probe = static_cast<OffloadProbe *>(arg);
  probe->tid = gettid();
  int64_t give_up = now_ns() + 5 * kSeconds;
  while (probe->witness_ticks.load() < 10 && now_ns() < give_up) {
    usleep(500);
  }
  probe->saw_ticks = probe->witness_ticks.load() >= 10;
}

std::atomic<bool> g_release_blockers{false};
std::atomic<int> g_probe_runs{0};

void block_until_released(void *) {
  int64_t give_up = now_ns() + 5 * kSeconds;
  while (!g_release_blockers.load() && now_ns() < give_up) {
    usleep(500);
  }
}

void count_probe_run(void *) { ++g_probe_runs; }

} // namespace

TEST_CASE("offload runs fn on another OS thread and parks only the caller") {
  OffloadProbe probe;
  run_green([&] {
    bool offloaded = false;
    sprig_thread_t witness = spawn_green([&] {
      while (!offloaded) {
        ++probe.witness_ticks;
        sprig_sleep(kMillis);
      }
    });
    CHECK(sprig_offload(wait_for_witness, &probe, 10 * kSeconds) == 0);
    offloaded = true;
    CHECK(join(witness) == 0);
  });
  CHECK(probe.tid != 0);
  CHECK(probe.tid != gettid());
  CHECK(probe.saw_ticks.load());
}

TEST_CASE("offload: fn that has not started when the timeout passes never runs") {
  constexpr int kBlockers = 16; // more than the libuv pool's threads (4 unless configured)
  g_release_blockers = false;
  g_probe_runs = 0;
  run_green([] {
    std::vector<sprig_thread_t> blockers;
    std::vector<int> results(kBlockers, 1);
    for (int i = 0; i < kBlockers; ++i) {
      blockers.push_back(spawn_green([&results, i] {
        results[i] = sprig_offload(block_until_released, nullptr, SPRIG_FOREVER);
      }));
    }
    sprig_yield(); // every blocker has queued its work
    CHECK(sprig_offload(count_probe_run, nullptr, 20 * kMillis) == -ETIMEDOUT);
    g_release_blockers = true;
    for (sprig_thread_t thread : blockers) {
      CHECK(join(thread) == 0);
    }
    CHECK(results == std::vector<int>(kBlockers, 0));
    CHECK(sprig_offload(count_probe_run, nullptr, 5 * kSeconds) == 0); // the pool drained
  });
  CHECK(g_probe_runs.load() == 1); // only the second probe ran
  CHECK(sprig_offload(count_probe_run, nullptr, 0) == -EPERM);
}

// ---- DNS ----------------------------------------------------------------------

TEST_CASE("getaddrinfo: localhost resolves, an impossible name fails as natively") {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *native = nullptr;
  int native_rc = getaddrinfo("nonexistent.invalid", "80", &hints, &native);
  if (native_rc == 0) {
    freeaddrinfo(native);
  }
  CHECK(native_rc != 0);
  run_green([&] {
    addrinfo *res = nullptr;
    REQUIRE(sprig_getaddrinfo("localhost", "80", &hints, &res, 5 * kSeconds) == 0);
    REQUIRE(res != nullptr);
    REQUIRE(res->ai_family == AF_INET);
    auto *address = reinterpret_cast<sockaddr_in *>(res->ai_addr);
    CHECK(address->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(ntohs(address->sin_port) == 80);
    freeaddrinfo(res);

    res = nullptr;
    CHECK(sprig_getaddrinfo("nonexistent.invalid", "80", &hints, &res, 10 * kSeconds) == native_rc);
    CHECK(res == nullptr);
  });
}

TEST_CASE("getnameinfo on 127.0.0.1 gives what libc gives") {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(80);
  const auto *sa = reinterpret_cast<const sockaddr *>(&address);
  char native_host[NI_MAXHOST] = {}, native_serv[NI_MAXSERV] = {};
  REQUIRE(getnameinfo(sa, sizeof address, native_host, sizeof native_host, native_serv,
                      sizeof native_serv, 0) == 0);
  run_green([&] {
    char host[NI_MAXHOST] = {}, serv[NI_MAXSERV] = {};
    CHECK(sprig_getnameinfo(sa, sizeof address, host, sizeof host, serv, sizeof serv,
                            NI_NUMERICHOST | NI_NUMERICSERV, 5 * kSeconds) == 0);
    CHECK(std::string(host) == "127.0.0.1");
    CHECK(std::string(serv) == "80");
    CHECK(sprig_getnameinfo(sa, sizeof address, host, sizeof host, serv, sizeof serv, 0,
                            5 * kSeconds) == 0);
    CHECK(std::string(host) == native_host);
    CHECK(std::string(serv) == native_serv);
  });
}
