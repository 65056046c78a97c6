/* div_sync_outside.c - synchronisation objects used beyond the program's own threads: a mutex an OS thread started before main waits for, a process-shared mutex another program (without LD_PRELOAD) waits for, a robust mutex whose owner exited (a process-private one and a process-shared one), an error-checking mutex a constructor locked, and process-shared semaphores, rwlocks and barriers. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Synchronisation objects shared outside the
 * worker"): under sprig the process-private objects are green, in sprig's
 * layout, so glibc's calls from an OS thread sprig did not make cannot see
 * an unlock (they time out), and a robust mutex whose owner thread exited
 * never says EOWNERDEAD. The process-shared objects are glibc's, and equal
 * native. test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *error_name(int error) {
  switch (error) {
  case 0:
    return "0";
  case EBUSY:
    return "EBUSY";
  case ETIMEDOUT:
    return "ETIMEDOUT";
  case EOWNERDEAD:
    return "EOWNERDEAD";
  case ENOSYS:
    return "ENOSYS";
  case EPERM:
    return "EPERM";
  default:
    return strerror(error);
  }
}

/* pthread_mutex_timedlock for up to 500 ms; the result and whether it came
 * before the deadline. */
static int lock_within_half_a_second(pthread_mutex_t *mutex, int *early) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 500000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000;
  }
  int rc = pthread_mutex_timedlock(mutex, &deadline);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  *early = now.tv_sec < deadline.tv_sec ||
           (now.tv_sec == deadline.tv_sec && now.tv_nsec < deadline.tv_nsec);
  return rc;
}

/* An OS thread started by a constructor, before main: not a green thread
 * under sprig. On request it locks `shared_mutex`, waiting up to 500 ms. */
static pthread_mutex_t shared_mutex = PTHREAD_MUTEX_INITIALIZER;
static int requests[2];
static int replies[2];

static void *early_thread(void *arg) {
  char request;
  if (read(requests[0], &request, 1) != 1) {
    return arg;
  }
  int reply[2];
  reply[0] = lock_within_half_a_second(&shared_mutex, &reply[1]);
  if (reply[0] == 0) {
    pthread_mutex_unlock(&shared_mutex);
  }
  if (write(replies[1], reply, sizeof reply) != sizeof reply) {
    perror("write");
  }
  return arg;
}

static pthread_mutex_t early_locked;

__attribute__((constructor)) static void before_main(void) {
  if (pipe(requests) != 0 || pipe(replies) != 0) {
    abort();
  }
  pthread_t thread;
  pthread_create(&thread, NULL, early_thread, NULL);
  pthread_detach(thread);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&early_locked, &attr);
  pthread_mutex_lock(&early_locked); /* main unlocks it */
}

static void os_thread_waits(void) {
  pthread_mutex_lock(&shared_mutex);
  if (write(requests[1], "l", 1) != 1) {
    return;
  }
  usleep(100000);
  pthread_mutex_unlock(&shared_mutex);
  int reply[2] = {0, 0};
  if (read(replies[0], reply, sizeof reply) != sizeof reply) {
    return;
  }
  printf("an OS thread started before main waits for a mutex main unlocks 100 ms later: %s%s\n",
         error_name(reply[0]), reply[0] == 0 && reply[1] ? " before its 500 ms deadline" : "");
}

/* The mutex in shared memory, for another program: this one run again
 * without LD_PRELOAD, given the memory's descriptor. */
static int other_program(int fd) {
  pthread_mutex_t *mutex = mmap(NULL, sizeof *mutex, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mutex == MAP_FAILED) {
    return 2;
  }
  int early = 0;
  int rc = lock_within_half_a_second(mutex, &early);
  printf("another program waits for a process-shared mutex unlocked 100 ms later: %s%s\n",
         error_name(rc), rc == 0 && early ? " before its 500 ms deadline" : "");
  return 0;
}

static void process_shared_mutex(const char *self) {
  int fd = memfd_create("div_sync_outside", 0);
  if (fd < 0 || ftruncate(fd, 4096) != 0) {
    return;
  }
  pthread_mutex_t *mutex = mmap(NULL, sizeof *mutex, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(mutex, &attr);
  pthread_mutex_lock(mutex);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    unsetenv("LD_PRELOAD");
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", fd);
    execl(self, self, "other-program", fd_text, (char *)NULL);
    _exit(127);
  }
  usleep(100000);
  pthread_mutex_unlock(mutex);
  waitpid(child, NULL, 0);
  munmap(mutex, sizeof *mutex);
  close(fd);
}

static pthread_mutex_t robust;

static void *lock_and_exit(void *arg) {
  pthread_mutex_lock(&robust);
  return arg;
}

static void robust_owner_died(void) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &attr);
  pthread_t thread;
  pthread_create(&thread, NULL, lock_and_exit, NULL);
  pthread_join(thread, NULL);
  printf("trylock of a robust mutex whose owner exited: %s\n",
         error_name(pthread_mutex_trylock(&robust)));
}

static pthread_mutex_t shared_robust;

static void *lock_shared_and_exit(void *arg) {
  pthread_mutex_lock(&shared_robust);
  return arg;
}

/* The same with a process-shared robust mutex: natively the kernel marks it
 * when the thread ends; under sprig only when the process ends. */
static void shared_robust_owner_died(void) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&shared_robust, &attr);
  pthread_t thread;
  pthread_create(&thread, NULL, lock_shared_and_exit, NULL);
  pthread_join(thread, NULL);
  printf("trylock of a process-shared robust mutex whose owner thread exited: %s\n",
         error_name(pthread_mutex_trylock(&shared_robust)));
}

static void process_shared_objects(void) {
  sem_t semaphore;
  printf("sem_init(pshared 1): %s\n", sem_init(&semaphore, 1, 0) == 0 ? "0" : error_name(errno));
  pthread_rwlockattr_t rwlock_attr;
  pthread_rwlockattr_init(&rwlock_attr);
  pthread_rwlockattr_setpshared(&rwlock_attr, PTHREAD_PROCESS_SHARED);
  pthread_rwlock_t rwlock;
  printf("pthread_rwlock_init(process-shared): %s\n",
         error_name(pthread_rwlock_init(&rwlock, &rwlock_attr)));
  pthread_barrierattr_t barrier_attr;
  pthread_barrierattr_init(&barrier_attr);
  pthread_barrierattr_setpshared(&barrier_attr, PTHREAD_PROCESS_SHARED);
  pthread_barrier_t barrier;
  printf("pthread_barrier_init(process-shared): %s\n",
         error_name(pthread_barrier_init(&barrier, &barrier_attr, 2)));
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "other-program") == 0) {
    return other_program(atoi(argv[2]));
  }
  alarm(20);
  os_thread_waits();
  process_shared_mutex(argv[0]);
  robust_owner_died();
  shared_robust_owner_died();
  printf("main unlocks an error-checking mutex a constructor locked: %s\n",
         error_name(pthread_mutex_unlock(&early_locked)));
  process_shared_objects();
  return 0;
}
