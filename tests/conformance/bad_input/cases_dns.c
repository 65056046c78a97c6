/* cases_dns.c - bad inputs to getaddrinfo, getnameinfo and the gethostby* family. Only names that
 * /etc/hosts answers ("localhost", 127.0.0.1) or that glibc rejects before any lookup are used:
 * nothing is ever asked of a DNS server. A "_h_errno" case prints h_errno after the call (-1 is
 * NETDB_INTERNAL, then errno; 1 HOST_NOT_FOUND; 0 success). */
#include "bad_input.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* ---- helpers ---- */

static struct outcome h_errno_result(void) { return bad_result(OUTCOME_SYSCALL, h_errno); }

static struct addrinfo hints_with(int family, int socktype, int protocol, int flags) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = socktype;
  hints.ai_protocol = protocol;
  hints.ai_flags = flags;
  return hints;
}

/* getaddrinfo's code; the list, if any, is freed. */
static struct outcome addrinfo_result(const char *node, const char *service,
                                      const struct addrinfo *hints) {
  struct addrinfo *list = NULL;
  errno = 0;
  int rc = getaddrinfo(node, service, hints, &list);
  struct outcome outcome = bad_result(OUTCOME_ERROR, rc);
  if (rc == 0) {
    freeaddrinfo(list);
  }
  return outcome;
}

static struct sockaddr_in loopback_v4(int port) {
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((unsigned short)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

static char host[NI_MAXHOST], serv[NI_MAXSERV];

/* ---- getaddrinfo ---- */

BAD_CASE(getaddrinfo, null_node_null_service) { return addrinfo_result(NULL, NULL, NULL); }
BAD_CASE(getaddrinfo, null_node_null_service_numeric) {
  struct addrinfo hints = hints_with(AF_UNSPEC, 0, 0, AI_NUMERICHOST | AI_NUMERICSERV);
  return addrinfo_result(NULL, NULL, &hints);
}
BAD_CASE(getaddrinfo, null_res) {
  return ERROR_RESULT(getaddrinfo("127.0.0.1", "80", NULL, OPAQUE((struct addrinfo **)NULL)));
}
BAD_CASE(getaddrinfo, null_res_localhost) {
  return ERROR_RESULT(getaddrinfo("localhost", NULL, NULL, OPAQUE((struct addrinfo **)NULL)));
}
BAD_CASE(getaddrinfo, null_res_bad_family) {
  struct addrinfo hints = hints_with(12345, 0, 0, 0);
  return ERROR_RESULT(getaddrinfo("127.0.0.1", NULL, &hints, OPAQUE((struct addrinfo **)NULL)));
}
BAD_CASE(getaddrinfo, node_unmapped) { return addrinfo_result(unmapped_page(), "80", NULL); }
BAD_CASE(getaddrinfo, service_unmapped) {
  return addrinfo_result("127.0.0.1", unmapped_page(), NULL);
}
BAD_CASE(getaddrinfo, hints_unmapped) {
  return addrinfo_result("127.0.0.1", "80", unmapped_page());
}
BAD_CASE(getaddrinfo, bad_family) {
  struct addrinfo hints = hints_with(12345, 0, 0, 0);
  return addrinfo_result("127.0.0.1", NULL, &hints);
}
BAD_CASE(getaddrinfo, bad_family_localhost) {
  struct addrinfo hints = hints_with(AF_UNIX, 0, 0, 0);
  return addrinfo_result("localhost", "80", &hints);
}
BAD_CASE(getaddrinfo, bad_socktype) {
  struct addrinfo hints = hints_with(AF_INET, 77, 0, 0);
  return addrinfo_result("127.0.0.1", "80", &hints);
}
BAD_CASE(getaddrinfo, bad_socktype_localhost) {
  struct addrinfo hints = hints_with(AF_INET, 77, 0, 0);
  return addrinfo_result("localhost", NULL, &hints);
}
BAD_CASE(getaddrinfo, bad_protocol_for_socktype) {
  struct addrinfo hints = hints_with(AF_INET, SOCK_STREAM, IPPROTO_UDP, 0);
  return addrinfo_result("127.0.0.1", "80", &hints);
}
BAD_CASE(getaddrinfo, raw_socktype_with_service) {
  struct addrinfo hints = hints_with(AF_INET, SOCK_RAW, 0, 0);
  return addrinfo_result("127.0.0.1", "80", &hints);
}
BAD_CASE(getaddrinfo, bad_flags) {
  struct addrinfo hints = hints_with(AF_UNSPEC, 0, 0, 0x10000);
  return addrinfo_result("127.0.0.1", "80", &hints);
}
BAD_CASE(getaddrinfo, bad_flags_localhost) {
  struct addrinfo hints = hints_with(AF_UNSPEC, 0, 0, 0x10000);
  return addrinfo_result("localhost", "http", &hints);
}
BAD_CASE(getaddrinfo, canonname_without_node) {
  struct addrinfo hints = hints_with(AF_UNSPEC, 0, 0, AI_CANONNAME);
  return addrinfo_result(NULL, "80", &hints);
}
BAD_CASE(getaddrinfo, numerichost_with_name) {
  struct addrinfo hints = hints_with(AF_UNSPEC, 0, 0, AI_NUMERICHOST);
  return addrinfo_result("localhost", NULL, &hints);
}
BAD_CASE(getaddrinfo, numerichost_bad_address) {
  struct addrinfo hints = hints_with(AF_UNSPEC, 0, 0, AI_NUMERICHOST);
  return addrinfo_result("999.999.999.999", NULL, &hints);
}
BAD_CASE(getaddrinfo, numerichost_empty_node) {
  struct addrinfo hints = hints_with(AF_UNSPEC, 0, 0, AI_NUMERICHOST);
  return addrinfo_result("", "80", &hints);
}
BAD_CASE(getaddrinfo, numericserv_with_name) {
  struct addrinfo hints = hints_with(AF_UNSPEC, 0, 0, AI_NUMERICSERV);
  return addrinfo_result("127.0.0.1", "http", &hints);
}
BAD_CASE(getaddrinfo, unknown_service) {
  return addrinfo_result("127.0.0.1", "no-such-service", NULL);
}
BAD_CASE(getaddrinfo, unknown_service_localhost) {
  return addrinfo_result("localhost", "no-such-service", NULL);
}
BAD_CASE(getaddrinfo, service_port_out_of_range) {
  return addrinfo_result("127.0.0.1", "70000", NULL);
}
BAD_CASE(getaddrinfo, localhost) { return addrinfo_result("localhost", "http", NULL); }
BAD_CASE(getaddrinfo, localhost_canonname) {
  struct addrinfo hints = hints_with(AF_INET, SOCK_STREAM, 0, AI_CANONNAME);
  return addrinfo_result("localhost", NULL, &hints);
}
BAD_CASE(getaddrinfo, v4mapped_without_inet6) {
  struct addrinfo hints = hints_with(AF_INET, 0, 0, AI_V4MAPPED | AI_ALL);
  return addrinfo_result("127.0.0.1", NULL, &hints);
}

/* ---- getnameinfo ---- */

BAD_CASE(getnameinfo, null_host_null_serv) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(
      getnameinfo((struct sockaddr *)&address, sizeof address, NULL, 0, NULL, 0, 0));
}
BAD_CASE(getnameinfo, zero_lengths) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(
      getnameinfo((struct sockaddr *)&address, sizeof address, host, 0, serv, 0, 0));
}
BAD_CASE(getnameinfo, null_addr) {
  return ERROR_RESULT(getnameinfo(OPAQUE((struct sockaddr *)NULL), sizeof(struct sockaddr_in), host,
                                  sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV));
}
BAD_CASE(getnameinfo, unmapped_addr) {
  return ERROR_RESULT(getnameinfo(unmapped_page(), sizeof(struct sockaddr_in), host, sizeof host,
                                  serv, sizeof serv, NI_NUMERICHOST));
}
BAD_CASE(getnameinfo, addrlen_short) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, OPAQUE(sizeof address - 1), host,
                                  sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV));
}
BAD_CASE(getnameinfo, addrlen_short_lookup) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, OPAQUE(sizeof address - 1), host,
                                  sizeof host, serv, sizeof serv, NI_NAMEREQD));
}
BAD_CASE(getnameinfo, addrlen_zero) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(
      getnameinfo((struct sockaddr *)&address, OPAQUE(0), host, sizeof host, serv, sizeof serv, 0));
}
BAD_CASE(getnameinfo, addrlen_huge) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, OPAQUE((socklen_t)-1), host,
                                  sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV));
}
BAD_CASE(getnameinfo, inet6_addrlen_of_inet) {
  struct sockaddr_in6 address;
  memset(&address, 0, sizeof address);
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, OPAQUE(sizeof(struct sockaddr_in)),
                                  host, sizeof host, serv, sizeof serv, NI_NUMERICHOST));
}
BAD_CASE(getnameinfo, bad_family) {
  struct sockaddr_storage address;
  memset(&address, 0, sizeof address);
  address.ss_family = 12345;
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, sizeof address, host, sizeof host,
                                  serv, sizeof serv, 0));
}
BAD_CASE(getnameinfo, bad_flags) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, sizeof address, host, sizeof host,
                                  serv, sizeof serv, OPAQUE(0x10000)));
}
BAD_CASE(getnameinfo, host_too_small_numeric) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, sizeof address, host, OPAQUE(4),
                                  NULL, 0, NI_NUMERICHOST));
}
BAD_CASE(getnameinfo, host_too_small_name) { /* 127.0.0.1 is "localhost" in /etc/hosts */
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, sizeof address, host, OPAQUE(4),
                                  NULL, 0, NI_NAMEREQD));
}
BAD_CASE(getnameinfo, serv_too_small_numeric) {
  struct sockaddr_in address = loopback_v4(8080);
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, sizeof address, NULL, 0, serv,
                                  OPAQUE(2), NI_NUMERICSERV));
}
BAD_CASE(getnameinfo, serv_too_small_name) { /* port 80 is "http" in /etc/services */
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(
      getnameinfo((struct sockaddr *)&address, sizeof address, NULL, 0, serv, OPAQUE(2), 0));
}
BAD_CASE(getnameinfo, host_unmapped) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, sizeof address, unmapped_page(), 64,
                                  NULL, 0, NI_NUMERICHOST));
}
BAD_CASE(getnameinfo, serv_readonly_name) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(
      getnameinfo((struct sockaddr *)&address, sizeof address, NULL, 0, readonly_page(), 64, 0));
}
BAD_CASE(getnameinfo, namereqd_localhost) {
  struct sockaddr_in address = loopback_v4(80);
  return ERROR_RESULT(getnameinfo((struct sockaddr *)&address, sizeof address, host, sizeof host,
                                  serv, sizeof serv, NI_NAMEREQD));
}

/* ---- gethostbyname ---- */

BAD_CASE(gethostbyname, null_name) {
  return POINTER_RESULT(gethostbyname(OPAQUE((const char *)NULL)));
}
BAD_CASE(gethostbyname, unmapped_name) { return POINTER_RESULT(gethostbyname(unmapped_page())); }
BAD_CASE(gethostbyname, localhost) { return POINTER_RESULT(gethostbyname("localhost")); }
BAD_CASE(gethostbyname, localhost_h_errno) { /* h_errno after a success, set to 77 before */
  h_errno = 77;
  gethostbyname("localhost");
  return h_errno_result();
}
BAD_CASE(gethostbyname, address_literal) { return POINTER_RESULT(gethostbyname("127.0.0.1")); }
/* All digits and dots, not an address: not found without a lookup. */
BAD_CASE(gethostbyname, bad_address_literal) {
  return POINTER_RESULT(gethostbyname("999.999.999.999"));
}
BAD_CASE(gethostbyname, bad_address_literal_h_errno) {
  h_errno = 0;
  gethostbyname("999.999.999.999");
  return h_errno_result();
}
BAD_CASE(gethostbyname, bad_ipv6_literal) { return POINTER_RESULT(gethostbyname("::1::2")); }
BAD_CASE(gethostbyname, bad_ipv6_literal_h_errno) {
  h_errno = 0;
  gethostbyname("::1::2");
  return h_errno_result();
}

/* ---- gethostbyaddr ---- */

static const struct in_addr loopback_address = {0x0100007f};

BAD_CASE(gethostbyaddr, localhost) {
  return POINTER_RESULT(gethostbyaddr(&loopback_address, sizeof loopback_address, AF_INET));
}
BAD_CASE(gethostbyaddr, null_addr) {
  return POINTER_RESULT(gethostbyaddr(OPAQUE((const void *)NULL), sizeof(struct in_addr), AF_INET));
}
BAD_CASE(gethostbyaddr, unmapped_addr) {
  return POINTER_RESULT(gethostbyaddr(unmapped_page(), sizeof(struct in_addr), AF_INET));
}
BAD_CASE(gethostbyaddr, len_short) {
  return POINTER_RESULT(gethostbyaddr(&loopback_address, OPAQUE(3), AF_INET));
}
BAD_CASE(gethostbyaddr, len_short_h_errno) {
  h_errno = 0;
  gethostbyaddr(&loopback_address, OPAQUE(3), AF_INET);
  return h_errno_result();
}
BAD_CASE(gethostbyaddr, len_zero_null_addr) {
  return POINTER_RESULT(gethostbyaddr(OPAQUE((const void *)NULL), 0, AF_INET));
}
BAD_CASE(gethostbyaddr, bad_type) {
  return POINTER_RESULT(gethostbyaddr(&loopback_address, sizeof loopback_address, OPAQUE(12345)));
}
BAD_CASE(gethostbyaddr, bad_type_h_errno) {
  h_errno = 0;
  gethostbyaddr(&loopback_address, sizeof loopback_address, OPAQUE(12345));
  return h_errno_result();
}
BAD_CASE(gethostbyaddr, inet6_len_of_inet) {
  return POINTER_RESULT(gethostbyaddr(&loopback_address, sizeof loopback_address, AF_INET6));
}
BAD_CASE(gethostbyaddr, inet6_any) { /* :: is refused before any lookup */
  return POINTER_RESULT(gethostbyaddr(&in6addr_any, sizeof in6addr_any, AF_INET6));
}
BAD_CASE(gethostbyaddr, inet6_any_h_errno) {
  h_errno = 0;
  gethostbyaddr(&in6addr_any, sizeof in6addr_any, AF_INET6);
  return h_errno_result();
}

/* ---- gethostbyname_r, gethostbyname2_r ---- */

static struct hostent entry;
static struct hostent *found;
static int host_error;
static char buffer[1024];

/* Prints the return value; `found` and `host_error` are left for an _h_errno case. */
#define HOSTENT_R(call) (found = &entry, host_error = 12345, ERROR_RESULT(call))
/* Prints host_error, or 1000 + host_error if *result was not set to NULL on failure. */
static struct outcome hostent_r_h_errno(int rc) {
  return bad_result(OUTCOME_SYSCALL, host_error + (rc != 0 && found != NULL ? 1000 : 0));
}

BAD_CASE(gethostbyname_r, localhost) {
  return HOSTENT_R(
      gethostbyname_r("localhost", &entry, buffer, sizeof buffer, &found, &host_error));
}
BAD_CASE(gethostbyname_r, buffer_too_small) {
  return HOSTENT_R(gethostbyname_r("localhost", &entry, buffer, OPAQUE(16), &found, &host_error));
}
BAD_CASE(gethostbyname_r, buffer_too_small_h_errno) {
  found = &entry;
  int rc = gethostbyname_r("localhost", &entry, buffer, OPAQUE(16), &found, &host_error);
  return hostent_r_h_errno(rc);
}
BAD_CASE(gethostbyname_r, buffer_too_small_literal) {
  return HOSTENT_R(gethostbyname_r("127.0.0.1", &entry, buffer, OPAQUE(8), &found, &host_error));
}
BAD_CASE(gethostbyname_r, null_buffer_zero_length) {
  return HOSTENT_R(
      gethostbyname_r("localhost", &entry, OPAQUE((char *)NULL), 0, &found, &host_error));
}
BAD_CASE(gethostbyname_r, unmapped_buffer) {
  return HOSTENT_R(
      gethostbyname_r("localhost", &entry, unmapped_page(), 1024, &found, &host_error));
}
BAD_CASE(gethostbyname_r, readonly_buffer_literal) {
  return HOSTENT_R(
      gethostbyname_r("127.0.0.1", &entry, readonly_page(), 1024, &found, &host_error));
}
BAD_CASE(gethostbyname_r, null_result) {
  return HOSTENT_R(gethostbyname_r("localhost", &entry, buffer, sizeof buffer,
                                   OPAQUE((struct hostent **)NULL), &host_error));
}
BAD_CASE(gethostbyname_r, null_h_errnop) {
  return HOSTENT_R(
      gethostbyname_r("localhost", &entry, buffer, sizeof buffer, &found, OPAQUE((int *)NULL)));
}
BAD_CASE(gethostbyname_r, null_ret) {
  return HOSTENT_R(gethostbyname_r("localhost", OPAQUE((struct hostent *)NULL), buffer,
                                   sizeof buffer, &found, &host_error));
}
BAD_CASE(gethostbyname_r, null_name) {
  return HOSTENT_R(gethostbyname_r(OPAQUE((const char *)NULL), &entry, buffer, sizeof buffer,
                                   &found, &host_error));
}
BAD_CASE(gethostbyname_r, bad_address_literal) {
  return HOSTENT_R(
      gethostbyname_r("999.999.999.999", &entry, buffer, sizeof buffer, &found, &host_error));
}
BAD_CASE(gethostbyname_r, bad_address_literal_h_errno) {
  int rc = gethostbyname_r("999.999.999.999", &entry, buffer, sizeof buffer, &found, &host_error);
  return hostent_r_h_errno(rc == 0 && found == NULL ? -1 : rc);
}

BAD_CASE(gethostbyname2_r, bad_af) {
  return HOSTENT_R(gethostbyname2_r("localhost", OPAQUE(12345), &entry, buffer, sizeof buffer,
                                    &found, &host_error));
}
BAD_CASE(gethostbyname2_r, bad_af_h_errno) {
  found = &entry;
  int rc = gethostbyname2_r("localhost", OPAQUE(12345), &entry, buffer, sizeof buffer, &found,
                            &host_error);
  return hostent_r_h_errno(rc == 0 && found == NULL ? -1 : rc);
}
BAD_CASE(gethostbyname2_r, bad_af_literal) {
  return HOSTENT_R(gethostbyname2_r("127.0.0.1", OPAQUE(12345), &entry, buffer, sizeof buffer,
                                    &found, &host_error));
}
BAD_CASE(gethostbyname2_r, inet6_literal_buffer_too_small) {
  return HOSTENT_R(
      gethostbyname2_r("::1", AF_INET6, &entry, buffer, OPAQUE(16), &found, &host_error));
}
BAD_CASE(gethostbyname2_r, inet_buffer_too_small) {
  return HOSTENT_R(
      gethostbyname2_r("localhost", AF_INET, &entry, buffer, OPAQUE(16), &found, &host_error));
}
BAD_CASE(gethostbyname2_r, inet_buffer_too_small_h_errno) {
  found = &entry;
  int rc = gethostbyname2_r("localhost", AF_INET, &entry, buffer, OPAQUE(16), &found, &host_error);
  return hostent_r_h_errno(rc);
}
BAD_CASE(gethostbyname2_r, bad_ipv6_literal) {
  return HOSTENT_R(
      gethostbyname2_r("::1::2", AF_INET6, &entry, buffer, sizeof buffer, &found, &host_error));
}
