// dns.cpp - name lookups that park: glibc's resolver functions run on libuv's thread pool.
#include "pool.hpp"
#include "real.hpp"
#include "shim.hpp"

namespace sprig::shim {

// getaddrinfo and getnameinfo run glibc's own functions on the pool, not
// uv_getaddrinfo: libuv converts names to IDNA first and knows fewer address
// families, so its answers differ from glibc's for some inputs.
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
  return run_on_pool([&] { return real::getaddrinfo(node, service, hints, res); });
}

int getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags) {
  return run_on_pool(
      [&] { return real::getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags); });
}

struct hostent *gethostbyname(const char *name) {
  return run_on_pool([&] { return real::gethostbyname(name); });
}

struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type) {
  return run_on_pool([&] { return real::gethostbyaddr(addr, len, type); });
}

int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                    struct hostent **result, int *h_errnop) {
  return run_on_pool(
      [&] { return real::gethostbyname_r(name, ret, buf, buflen, result, h_errnop); });
}

int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
                     struct hostent **result, int *h_errnop) {
  return run_on_pool(
      [&] { return real::gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop); });
}

} // namespace sprig::shim
