// dns.cpp - name lookups that park: glibc's resolver functions run on libuv's thread pool.
#include "pool.hpp"
#include "real.hpp"
#include "shim.hpp"

#include <arpa/inet.h>

namespace sprig::shim {

namespace {

bool is_port_number(const char *service) {
  if (*service == '\0') {
    return false;
  }
  for (const char *digit = service; *digit != '\0'; ++digit) {
    if (*digit < '0' || *digit > '9') {
      return false;
    }
  }
  return true;
}

bool is_address_literal(const char *node) {
  in6_addr parsed{};
  return inet_pton(AF_INET, node, &parsed) == 1 || inet_pton(AF_INET6, node, &parsed) == 1;
}

// A lookup that asks no name service: the node is absent or an address
// literal, the service absent or a port number, no canonical name wanted.
// glibc answers it by parsing (AI_ADDRCONFIG asks the kernel over netlink),
// which cannot block, so it runs on the caller's stack. On the pool it would
// start libuv's four OS threads in every program that binds or connects to
// 127.0.0.1 through getaddrinfo (redis-server, python's create_connection).
bool needs_no_name_service(const char *node, const char *service, const struct addrinfo *hints) {
  return (node == nullptr || is_address_literal(node)) &&
         (service == nullptr || is_port_number(service)) &&
         (hints == nullptr || (hints->ai_flags & AI_CANONNAME) == 0);
}

} // namespace

// getaddrinfo and getnameinfo run glibc's own functions on the pool, not
// uv_getaddrinfo: libuv converts names to IDNA first and knows fewer address
// families, so its answers differ from glibc's for some inputs.
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
  if (needs_no_name_service(node, service, hints)) {
    return real::getaddrinfo(node, service, hints, res);
  }
  return run_on_pool([&] { return real::getaddrinfo(node, service, hints, res); });
}

int getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags) {
  // Numbers only (or nothing asked): glibc formats them without a lookup.
  bool numeric_host = host == nullptr || hostlen == 0 || (flags & NI_NUMERICHOST) != 0;
  bool numeric_service = serv == nullptr || servlen == 0 || (flags & NI_NUMERICSERV) != 0;
  if (numeric_host && numeric_service && (flags & NI_NAMEREQD) == 0) {
    return real::getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags);
  }
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
