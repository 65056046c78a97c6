/* wrap_usleep.c - a preloaded wrapper of usleep, as tools like libfaketime are: it counts the calls
 * and hands each to the next definition, found with dlsym(RTLD_NEXT). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>

int wrapped_usleep_calls;

int usleep(useconds_t usec) {
  static int (*next)(useconds_t);
  if (next == NULL) {
    next = (int (*)(useconds_t))dlsym(RTLD_NEXT, "usleep");
  }
  wrapped_usleep_calls++;
  return next(usec);
}
