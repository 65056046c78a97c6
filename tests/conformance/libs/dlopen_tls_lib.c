/* dlopen_tls_lib.c - a library with thread-local variables of the general-dynamic model, for dlopen_tls.c: each thread that touches them gets its own block through the DTV. */
#include <string.h>

__thread int lib_counter = 42;
__thread char lib_buffer[4096] = "lib image";

int *lib_counter_address(void) { return &lib_counter; }

int lib_bump(int by) {
  lib_counter += by;
  return lib_counter;
}

int lib_buffer_is_image(void) { return strcmp(lib_buffer, "lib image") == 0; }

void lib_buffer_set(const char *text) {
  strncpy(lib_buffer, text, sizeof lib_buffer - 1);
}
