/* segv_action.c - prints whether SIGSEGV has its default action and whether an alternate signal stack is set, before the program sets either. */
#include <signal.h>
#include <stdio.h>

int main(void) {
  struct sigaction action;
  stack_t alternate;
  sigaction(SIGSEGV, NULL, &action);
  sigaltstack(NULL, &alternate);
  printf("segv_default=%d altstack=%d\n", action.sa_handler == SIG_DFL, (alternate.ss_flags & SS_DISABLE) == 0);
  return 0;
}
