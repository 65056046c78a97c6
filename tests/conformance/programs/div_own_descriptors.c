/* div_own_descriptors.c - descriptor numbers in a program started with only 0, 1 and 2 open: the first socket's number, dup2() onto descriptor 5, close() of descriptor 6, and how many sockets fit under an RLIMIT_NOFILE of 64. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("sprig's own descriptors"): under sprig the
 * worker holds seven descriptors of its own from before main (normally 3 to
 * 9): the program's first socket is 10, dup2() onto one of sprig's fails with
 * EBUSY, close() of one fails with EBADF as natively for a closed number,
 * and seven fewer sockets fit. test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  alarm(20);
  int first = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("the first socket's number: %d\n", first);
  int rc = dup2(first, 5);
  printf("dup2(that socket, 5): %d%s\n", rc,
         rc < 0 ? (errno == EBUSY ? " EBUSY" : " (other error)") : "");
  if (rc == 5) {
    close(5);
  }
  rc = close(6);
  printf("close(6): %d%s\n", rc, rc < 0 ? (errno == EBADF ? " EBADF" : " (other error)") : "");
  close(first);

  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = 64;
  setrlimit(RLIMIT_NOFILE, &limit);
  int sockets[64];
  int count = 0;
  while (count < 64 && (sockets[count] = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0) {
    count++;
  }
  printf("sockets opened under RLIMIT_NOFILE 64: %d, then %s\n", count,
         errno == EMFILE ? "EMFILE" : strerror(errno));
  for (int i = 0; i < count; i++) {
    close(sockets[i]);
  }
  return 0;
}
