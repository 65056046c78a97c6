// dns.cpp - name lookups that park: getaddrinfo/getnameinfo via libuv, the gethostby* family on its
// pool.
#include "real.hpp"
#include "shim.hpp"
#include "sprig.h"

namespace sprig::shim {

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
  return sprig_getaddrinfo(node, service, hints, res, SPRIG_FOREVER);
}

int getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags) {
  return sprig_getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags, SPRIG_FOREVER);
}

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

} // namespace

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
