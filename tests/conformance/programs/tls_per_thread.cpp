/* tls_per_thread.cpp - thread_local and __thread per thread: 40 threads alive at once each start from the initial image, see their own addresses, count on their own across sleeps; thread_local destructors run once per thread, on that thread, in reverse order of construction; errno, h_errno, strerror's buffer and uselocale() are per thread too. */
/* sprig: green */
#include <atomic>
#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstring>
#include <locale.h>
#include <mutex>
#include <netdb.h>
#include <pthread.h>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

constexpr int kThreads = 40;

std::atomic<int> g_wrong{0};
std::atomic<int> g_destroyed_on_own_thread{0};
std::atomic<int> g_destroyed_in_order{0};
std::mutex g_lock;
std::set<const void *> g_addresses;
std::atomic<int> g_alive{0};

__thread int t_plain = 7;                    // C-style, initialised image
thread_local std::string t_text = "initial"; // dynamic initialisation, per thread

struct First {
  pthread_t owner = pthread_self();
  ~First() {
    if (pthread_equal(owner, pthread_self())) {
      g_destroyed_on_own_thread++;
    }
  }
};
thread_local int t_order = 0; // 2 when Second is gone first, as C++ requires
struct Second {
  ~Second() { t_order = 2; }
};
struct FirstChecksOrder {
  ~FirstChecksOrder() {
    if (t_order == 2) {
      g_destroyed_in_order++;
    }
  }
};

void wait_for_everyone() {
  g_alive++;
  for (int nap = 0; g_alive.load() < kThreads && nap < 5000; ++nap) {
    usleep(1000);
  }
}

void body(int index) {
  thread_local First first;                // constructed first
  thread_local FirstChecksOrder checker;   // constructed second, destroyed after Second
  thread_local Second second;              // constructed last, destroyed first
  (void)first;
  (void)checker;
  (void)second;
  if (t_plain != 7 || t_text != "initial") {
    g_wrong++;
  }
  {
    std::lock_guard<std::mutex> hold(g_lock);
    if (!g_addresses.insert(&t_plain).second || !g_addresses.insert(&t_text).second) {
      g_wrong++; // another thread has the same instance
    }
  }
  wait_for_everyone(); // all alive at once: natively, 40 OS threads
  t_text = "thread " + std::to_string(index);
  for (int step = 0; step < 20; ++step) {
    t_plain += index;
    errno = 1000 + index;
    h_errno = index;
    usleep(200);
    if (errno != 1000 + index || h_errno != index) {
      g_wrong++;
    }
  }
  if (t_plain != 7 + 20 * index || t_text != "thread " + std::to_string(index)) {
    g_wrong++;
  }
  // strerror of an unknown number writes a per-thread buffer.
  const char *message = strerror(5000 + index);
  usleep(500);
  if (std::string(message) != "Unknown error " + std::to_string(5000 + index)) {
    g_wrong++;
  }
  // A per-thread locale: the odd threads switch to C.UTF-8 (multibyte), the
  // even ones stay in the global C locale (one byte per character).
  locale_t utf8 = newlocale(LC_ALL_MASK, "C.UTF-8", nullptr);
  if (utf8 != nullptr && index % 2 == 1) {
    uselocale(utf8);
  }
  usleep(500);
  bool utf8_here = MB_CUR_MAX > 1;
  if (utf8 != nullptr && utf8_here != (index % 2 == 1)) {
    g_wrong++;
  }
  uselocale(LC_GLOBAL_LOCALE);
  if (utf8 != nullptr) {
    freelocale(utf8);
  }
}

} // namespace

int main() {
  alarm(20);
  t_plain = 99;
  t_text = "main's";
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(body, i);
  }
  for (std::thread &thread : threads) {
    thread.join();
  }
  printf("threads %d, wrong values %d\n", kThreads, g_wrong.load());
  printf("distinct thread_local addresses %zu\n", g_addresses.size());
  printf("destructors run on their own thread %d, in reverse order %d\n",
         g_destroyed_on_own_thread.load(), g_destroyed_in_order.load());
  printf("main still has %d and \"%s\"\n", t_plain, t_text.c_str());
  return 0;
}
