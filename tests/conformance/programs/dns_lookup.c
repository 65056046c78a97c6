/* dns_lookup.c - getaddrinfo (localhost, names from /etc/hosts, numeric forms, a name that cannot exist, bad arguments: the same EAI_* codes), gethostbyname/_r/2_r, gethostbyaddr and getnameinfo as natively, and 100 threads resolving at once (dns_errors.c: the odder failures). */
/* Not "green": sprig runs these lookups on libuv's thread pool (4 OS threads). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kThreads = 100 };

static const char *eai_name(int code) {
  switch (code) {
  case 0: return "0";
  case EAI_NONAME: return "EAI_NONAME";
  case EAI_AGAIN: return "EAI_AGAIN";
  case EAI_FAIL: return "EAI_FAIL";
  case EAI_FAMILY: return "EAI_FAMILY";
  case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
  case EAI_SERVICE: return "EAI_SERVICE";
  case EAI_BADFLAGS: return "EAI_BADFLAGS";
  case EAI_MEMORY: return "EAI_MEMORY";
  case EAI_SYSTEM: return "EAI_SYSTEM";
  case EAI_OVERFLOW: return "EAI_OVERFLOW";
#ifdef EAI_NODATA
  case EAI_NODATA: return "EAI_NODATA";
#endif
#ifdef EAI_ADDRFAMILY
  case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
#endif
  default: return "other";
  }
}

static const char *h_errno_name(int code) {
  switch (code) {
  case 0: return "0";
  case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
  case TRY_AGAIN: return "TRY_AGAIN";
  case NO_RECOVERY: return "NO_RECOVERY";
  case NO_DATA: return "NO_DATA";
  default: return "other";
  }
}

static void address_text(const struct sockaddr *address, char *text, size_t size) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (address->sa_family == AF_INET) {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    port = ntohs(v4->sin_port);
  } else if (address->sa_family == AF_INET6) {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    port = ntohs(v6->sin6_port);
  }
  snprintf(text, size, "%s port %d", host, port);
}

/* Prints the result code and every address in order. */
static void lookup(const char *label, const char *node, const char *service, int family, int socktype, int flags) {
  struct addrinfo hints = {.ai_family = family, .ai_socktype = socktype, .ai_flags = flags};
  struct addrinfo *result = NULL;
  errno = 0;
  int rc = getaddrinfo(label == NULL ? node : node, service, &hints, &result);
  printf("getaddrinfo %s: %s", label, eai_name(rc));
  if (rc != 0) {
    printf(" (%s)", gai_strerror(rc));
    if (rc == EAI_SYSTEM) {
      printf(" errno %s", strerror(errno));
    }
  }
  for (struct addrinfo *entry = result; entry != NULL; entry = entry->ai_next) {
    char text[80];
    address_text(entry->ai_addr, text, sizeof text);
    printf("; %s type %d proto %d%s%s", text, entry->ai_socktype, entry->ai_protocol, entry->ai_canonname ? " canon " : "",
           entry->ai_canonname ? entry->ai_canonname : "");
  }
  printf("\n");
  if (result != NULL) {
    freeaddrinfo(result);
  }
}

static void show_hostent(const char *label, const struct hostent *entry, int herr) {
  printf("%s: ", label);
  if (entry == NULL) {
    printf("NULL, h_errno %s\n", h_errno_name(herr));
    return;
  }
  printf("name %s, type %d, length %d, addresses", entry->h_name, entry->h_addrtype, entry->h_length);
  for (char **address = entry->h_addr_list; *address != NULL; address++) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(entry->h_addrtype, *address, text, sizeof text);
    printf(" %s", text);
  }
  printf(", aliases");
  for (char **alias = entry->h_aliases; *alias != NULL; alias++) {
    printf(" %s", *alias);
  }
  printf("\n");
}

static void reverse(const char *label, const struct sockaddr *address, socklen_t length, int flags) {
  char host[NI_MAXHOST] = "", service[NI_MAXSERV] = "";
  int rc = getnameinfo(address, length, host, sizeof host, service, sizeof service, flags);
  printf("getnameinfo %s: %s", label, eai_name(rc));
  if (rc == 0) {
    printf(" host '%s' service '%s'", host, service);
  } else {
    printf(" (%s)", gai_strerror(rc));
  }
  printf("\n");
}

/* Up to three names other than localhost from /etc/hosts, with their address. */
static int hosts_names(char names[3][64], char addresses[3][64]) {
  FILE *file = fopen("/etc/hosts", "r");
  int count = 0;
  char line[512];
  while (file != NULL && count < 3 && fgets(line, sizeof line, file) != NULL) {
    char *hash = strchr(line, '#');
    if (hash != NULL) {
      *hash = '\0';
    }
    char *address = strtok(line, " \t\n");
    if (address == NULL || strchr(address, ':') != NULL) {
      continue; /* IPv4 lines only */
    }
    for (char *name = strtok(NULL, " \t\n"); name != NULL && count < 3; name = strtok(NULL, " \t\n")) {
      if (strcmp(name, "localhost") != 0 && strlen(name) < 64 && strlen(address) < 64) {
        strcpy(names[count], name);
        strcpy(addresses[count], address);
        count++;
      }
    }
  }
  if (file != NULL) {
    fclose(file);
  }
  return count;
}

static atomic_int threads_ok;
static atomic_int threads_bad;

static void *resolve(void *arg) {
  int id = (int)(long)arg;
  char service[16];
  snprintf(service, sizeof service, "%d", 1000 + id);
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
  struct addrinfo *result = NULL;
  int ok = getaddrinfo("localhost", service, &hints, &result) == 0 && result != NULL &&
           ((struct sockaddr_in *)result->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
           ntohs(((struct sockaddr_in *)result->ai_addr)->sin_port) == 1000 + id;
  if (result != NULL) {
    char host[NI_MAXHOST], port[NI_MAXSERV];
    ok = ok && getnameinfo(result->ai_addr, result->ai_addrlen, host, sizeof host, port, sizeof port, NI_NUMERICSERV) == 0 &&
         strcmp(host, "localhost") == 0 && atoi(port) == 1000 + id;
    freeaddrinfo(result);
  }
  struct hostent entry, *found = NULL;
  char buffer[1024];
  int herr = 0;
  ok = ok && gethostbyname_r("localhost", &entry, buffer, sizeof buffer, &found, &herr) == 0 && found != NULL &&
       found->h_addrtype == AF_INET;
  atomic_fetch_add(ok ? &threads_ok : &threads_bad, 1);
  return NULL;
}

int main(void) {
  alarm(20);
  lookup("localhost", "localhost", NULL, AF_UNSPEC, 0, 0);
  lookup("localhost stream", "localhost", "80", AF_UNSPEC, SOCK_STREAM, 0);
  lookup("localhost AF_INET http", "localhost", "http", AF_INET, SOCK_STREAM, AI_CANONNAME);
  lookup("localhost AF_INET6", "localhost", "22", AF_INET6, SOCK_STREAM, 0);
  lookup("localhost AF_INET6 V4MAPPED", "localhost", "22", AF_INET6, SOCK_STREAM, AI_V4MAPPED);
  lookup("127.0.0.1 numeric", "127.0.0.1", "8080", AF_UNSPEC, SOCK_DGRAM, AI_NUMERICHOST | AI_NUMERICSERV);
  lookup("::1 numeric", "::1", "443", AF_UNSPEC, SOCK_STREAM, AI_NUMERICHOST);
  lookup("passive", NULL, "9000", AF_INET, SOCK_STREAM, AI_PASSIVE);
  lookup("NULL node, not passive", NULL, "9000", AF_INET6, SOCK_STREAM, 0);
  char names[3][64], addresses[3][64];
  int count = hosts_names(names, addresses);
  for (int i = 0; i < count; i++) {
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *result = NULL;
    int rc = getaddrinfo(names[i], NULL, &hints, &result);
    char text[INET6_ADDRSTRLEN] = "";
    if (rc == 0) {
      inet_ntop(AF_INET, &((struct sockaddr_in *)result->ai_addr)->sin_addr, text, sizeof text);
      freeaddrinfo(result);
    }
    printf("getaddrinfo of /etc/hosts name %d: %s, the listed address: %s\n", i, eai_name(rc), strcmp(text, addresses[i]) == 0 ? "yes" : "no");
  }
  lookup("nonexistent.invalid", "nonexistent.invalid", NULL, AF_UNSPEC, SOCK_STREAM, 0);
  lookup("not numeric with AI_NUMERICHOST", "localhost", NULL, AF_UNSPEC, 0, AI_NUMERICHOST);
  lookup("unknown service", "localhost", "no-such-service", AF_INET, SOCK_STREAM, 0);
  lookup("service not numeric with AI_NUMERICSERV", "localhost", "http", AF_INET, SOCK_STREAM, AI_NUMERICSERV);
  lookup("bad family", "localhost", NULL, 12345, 0, 0);
  lookup("bad socktype", "localhost", "80", AF_INET, 12345, 0);
  lookup("bad flags", "localhost", NULL, AF_INET, 0, 0x10000);
  lookup("no node and no service", NULL, NULL, AF_INET, 0, 0);
  lookup("bad numeric address", "300.1.2.3", NULL, AF_INET, 0, AI_NUMERICHOST);
  lookup("protocol not of the socktype", "localhost", "80", AF_INET, SOCK_DGRAM, 0);
  struct addrinfo *no_hints = NULL;
  int rc = getaddrinfo("localhost", "80", NULL, &no_hints);
  int entries = 0;
  for (struct addrinfo *entry = no_hints; entry != NULL; entry = entry->ai_next) {
    entries++;
  }
  printf("getaddrinfo localhost with no hints: %s, %d entries\n", eai_name(rc), entries);
  if (no_hints != NULL) {
    freeaddrinfo(no_hints);
  }

  /* The gethostby* family. */
  h_errno = 0;
  struct hostent *entry = gethostbyname("localhost");
  show_hostent("gethostbyname localhost", entry, h_errno);
  h_errno = 0;
  entry = gethostbyname("nonexistent.invalid");
  show_hostent("gethostbyname nonexistent.invalid", entry, h_errno);
  h_errno = 0;
  entry = gethostbyname("127.0.0.1");
  show_hostent("gethostbyname 127.0.0.1", entry, h_errno);
  struct hostent result_entry, *found = NULL;
  char buffer[2048];
  int herr = -1;
  rc = gethostbyname_r("localhost", &result_entry, buffer, sizeof buffer, &found, &herr);
  printf("gethostbyname_r localhost: %d\n", rc);
  show_hostent("  result", found, herr);
  herr = -1;
  rc = gethostbyname_r("nonexistent.invalid", &result_entry, buffer, sizeof buffer, &found, &herr);
  printf("gethostbyname_r nonexistent.invalid: %d\n", rc);
  show_hostent("  result", found, herr);
  herr = -1;
  char tiny[8];
  rc = gethostbyname_r("localhost", &result_entry, tiny, sizeof tiny, &found, &herr);
  printf("gethostbyname_r with an 8-byte buffer: %s, found %s\n", rc == ERANGE ? "ERANGE" : rc == 0 ? "0" : strerror(rc),
         found == NULL ? "NULL" : "something");
  herr = -1;
  rc = gethostbyname2_r("localhost", AF_INET6, &result_entry, buffer, sizeof buffer, &found, &herr);
  printf("gethostbyname2_r localhost AF_INET6: %d\n", rc);
  show_hostent("  result", found, herr);
  herr = -1;
  rc = gethostbyname2_r("localhost", AF_INET, &result_entry, buffer, sizeof buffer, &found, &herr);
  printf("gethostbyname2_r localhost AF_INET: %d\n", rc);
  show_hostent("  result", found, herr);
  struct in_addr loopback = {htonl(INADDR_LOOPBACK)};
  h_errno = 0;
  entry = gethostbyaddr(&loopback, sizeof loopback, AF_INET);
  show_hostent("gethostbyaddr 127.0.0.1", entry, h_errno);

  /* getnameinfo. */
  struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(80), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  reverse("127.0.0.1:80 NI_NUMERICHOST|NI_NUMERICSERV", (struct sockaddr *)&v4, sizeof v4, NI_NUMERICHOST | NI_NUMERICSERV);
  reverse("127.0.0.1:80", (struct sockaddr *)&v4, sizeof v4, 0);
  reverse("127.0.0.1:80 NI_NAMEREQD", (struct sockaddr *)&v4, sizeof v4, NI_NAMEREQD);
  reverse("127.0.0.1:80 NI_DGRAM", (struct sockaddr *)&v4, sizeof v4, NI_DGRAM | NI_NUMERICHOST);
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(22), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  reverse("[::1]:22 numeric", (struct sockaddr *)&v6, sizeof v6, NI_NUMERICHOST | NI_NUMERICSERV);
  reverse("a short length", (struct sockaddr *)&v4, 4, 0);
  char host_only[NI_MAXHOST] = "", service_only[NI_MAXSERV] = "";
  rc = getnameinfo((struct sockaddr *)&v4, sizeof v4, host_only, sizeof host_only, NULL, 0, 0);
  printf("getnameinfo host only: %s '%s'\n", eai_name(rc), host_only);
  rc = getnameinfo((struct sockaddr *)&v4, sizeof v4, NULL, 0, service_only, sizeof service_only, 0);
  printf("getnameinfo service only: %s '%s'\n", eai_name(rc), service_only);
  char small_host[2];
  rc = getnameinfo((struct sockaddr *)&v4, sizeof v4, small_host, sizeof small_host, NULL, 0, 0);
  printf("getnameinfo into a 2-byte host buffer: %s\n", eai_name(rc));

  /* 100 threads at once. */
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, resolve, (void *)(long)i);
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
  }
  printf("%d threads resolving at once: %d right, %d wrong\n", kThreads, atomic_load(&threads_ok), atomic_load(&threads_bad));
  return 0;
}
