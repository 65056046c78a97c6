// dns.cpp - name lookups that park: getaddrinfo/getnameinfo via libuv, the gethostby* family on its
// pool.
#include "real.hpp"
#include "shim.hpp"
#include "sprig.h"

namespace sprig::shim {

namespace {

// Runs `lookup` on a libuv pool thread while the caller parks, and carries
// h_errno (per OS thread) back to the caller.
template <typename Lookup> void on_pool(Lookup lookup) {
  struct Job {
    Lookup *lookup;
    int h_errno_value;
  } job{&lookup, 0};
  sprig_offload(
      [](void *pointer) {
        auto *running = static_cast<Job *>(pointer);
        (*running->lookup)();
        running->h_errno_value = h_errno;
      },
      &job, SPRIG_FOREVER);
  h_errno = job.h_errno_value;
}

// errno too: EAI_SYSTEM results carry their cause in it.
template <typename Lookup> int on_pool_with_errno(Lookup lookup) {
  int rc = 0;
  int error = 0;
  on_pool([&] {
    rc = lookup();
    error = errno;
  });
  if (rc == EAI_SYSTEM) {
    errno = error;
  }
  return rc;
}

} // namespace

// getaddrinfo and getnameinfo run glibc's own functions on the pool, not
// uv_getaddrinfo: libuv converts names to IDNA first and knows fewer address
// families, so its answers differ from glibc's for some inputs.
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
  return on_pool_with_errno([&] { return real::getaddrinfo(node, service, hints, res); });
}

int getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags) {
  return on_pool_with_errno(
      [&] { return real::getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags); });
}

struct hostent *gethostbyname(const char *name) {
  struct hostent *found = nullptr;
  on_pool([&] { found = real::gethostbyname(name); });
  return found;
}

struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type) {
  struct hostent *found = nullptr;
  on_pool([&] { found = real::gethostbyaddr(addr, len, type); });
  return found;
}

int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                    struct hostent **result, int *h_errnop) {
  int rc = 0;
  on_pool([&] { rc = real::gethostbyname_r(name, ret, buf, buflen, result, h_errnop); });
  return rc;
}

int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
                     struct hostent **result, int *h_errnop) {
  int rc = 0;
  on_pool([&] { rc = real::gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop); });
  return rc;
}

} // namespace sprig::shim
