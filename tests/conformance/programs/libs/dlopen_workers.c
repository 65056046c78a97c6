/* dlopen_workers.c - a shared library (built by test_hard_cases.py with -shared -fPIC) whose constructor starts a housekeeping thread and whose workers_run() creates threads that share a mutex and sleep. */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_t housekeeper;
static int housekeeper_started;
static int stopping;
static int housekeeping_rounds;
static long shared_counter;

struct job {
  int rounds;
  long done;
};

/* A background thread, as libraries start in their constructors: wakes every 2 ms until told to stop. */
static void *housekeeping(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < 10000 && !stopping; i++) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 2000000;
    if (deadline.tv_nsec >= 1000000000) {
      deadline.tv_sec++;
      deadline.tv_nsec -= 1000000000;
    }
    if (pthread_cond_timedwait(&wake, &lock, &deadline) == ETIMEDOUT) {
      housekeeping_rounds++;
    }
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

__attribute__((constructor)) static void library_start(void) {
  housekeeper_started = pthread_create(&housekeeper, NULL, housekeeping, NULL) == 0;
}

static void *worker(void *arg) {
  struct job *job = arg;
  for (int i = 0; i < job->rounds; i++) {
    pthread_mutex_lock(&lock);
    long seen = shared_counter;
    usleep(200); /* holds the mutex across a sleep: another thread's increment would be lost without it */
    shared_counter = seen + 1;
    pthread_mutex_unlock(&lock);
    job->done++;
    usleep(1000);
  }
  return NULL;
}

int workers_housekeeper_started(void) { return housekeeper_started; }

/* Runs count threads of rounds increments each; returns how many threads were created and joined. */
int workers_run(int count, int rounds, long *done) {
  enum { kMaxWorkers = 64 };
  pthread_t threads[kMaxWorkers];
  struct job jobs[kMaxWorkers];
  int created = 0;
  *done = 0;
  for (int i = 0; i < count && i < kMaxWorkers; i++) {
    jobs[i].rounds = rounds;
    jobs[i].done = 0;
    if (pthread_create(&threads[i], NULL, worker, &jobs[i]) != 0) {
      break;
    }
    created++;
  }
  for (int i = 0; i < created; i++) {
    pthread_join(threads[i], NULL);
    *done += jobs[i].done;
  }
  return created;
}

long workers_counter(void) {
  pthread_mutex_lock(&lock);
  long value = shared_counter;
  pthread_mutex_unlock(&lock);
  return value;
}

/* Stops and joins the housekeeping thread; returns how many times it woke on its timeout. */
int workers_stop(void) {
  pthread_mutex_lock(&lock);
  stopping = 1;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&lock);
  if (housekeeper_started) {
    pthread_join(housekeeper, NULL);
    housekeeper_started = 0;
  }
  return housekeeping_rounds;
}
