/* dns_errors.c - the rarer inputs of getaddrinfo/getnameinfo give libc's answers: an empty host name, getnameinfo of an AF_UNIX address (libc answers with the node name and the path) and of an unknown family (EAI_FAMILY). */
/* Not "green": sprig runs lookups on libuv's thread pool. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *eai_name(int code) {
  switch (code) {
  case 0: return "0";
  case EAI_NONAME: return "EAI_NONAME";
  case EAI_AGAIN: return "EAI_AGAIN";
  case EAI_FAIL: return "EAI_FAIL";
  case EAI_FAMILY: return "EAI_FAMILY";
  case EAI_SERVICE: return "EAI_SERVICE";
  case EAI_BADFLAGS: return "EAI_BADFLAGS";
  case EAI_SYSTEM: return "EAI_SYSTEM";
  case EAI_OVERFLOW: return "EAI_OVERFLOW";
  default: return "other";
  }
}

int main(void) {
  alarm(20);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *result = NULL;
  errno = 0;
  int rc = getaddrinfo("", "80", &hints, &result);
  printf("getaddrinfo of an empty host name: %s (%s)\n", eai_name(rc), rc != 0 ? gai_strerror(rc) : "found");
  if (result != NULL) {
    freeaddrinfo(result);
  }

  struct utsname names;
  uname(&names);
  struct sockaddr_un local = {.sun_family = AF_UNIX};
  strcpy(local.sun_path, "/tmp/dns_errors.sock");
  char host[NI_MAXHOST] = "", service[NI_MAXSERV] = "";
  rc = getnameinfo((struct sockaddr *)&local, sizeof local, host, sizeof host, service, sizeof service, 0);
  printf("getnameinfo of an AF_UNIX address: %s, host is the node name: %s, service '%s'\n", eai_name(rc),
         strcmp(host, names.nodename) == 0 ? "yes" : "no", service);

  struct sockaddr_storage unknown = {.ss_family = 12345};
  rc = getnameinfo((struct sockaddr *)&unknown, sizeof unknown, host, sizeof host, service, sizeof service, 0);
  printf("getnameinfo of an unknown family: %s\n", eai_name(rc));
  return 0;
}
