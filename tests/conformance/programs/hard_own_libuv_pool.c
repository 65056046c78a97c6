/* hard_own_libuv_pool.c - a program linked with its own libuv runs work on libuv's thread pool (uv_queue_work: 4 pool threads, created with pthread_create) and an asynchronous uv_fs_write; at exit libuv's destructor (uv_library_shutdown) joins its pool threads. */
/* sprig: green -luv */
/* Under sprig the pool threads are green, and the destructor joins them from outside any green
 * thread, after exit() began: sprig's pthread_join counts them as joined there. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

enum { kJobs = 16 };

struct job {
  uv_work_t request;
  int input;
  long output;
};

static int completed;
static long total;

static void compute(uv_work_t *request) {
  struct job *job = request->data;
  usleep(2000);
  job->output = (long)job->input * job->input;
}

static void after_compute(uv_work_t *request, int status) {
  struct job *job = request->data;
  if (status == 0) {
    completed++;
    total += job->output;
  }
}

static void after_write(uv_fs_t *request) { (void)request; }

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  uv_loop_t loop;
  uv_loop_init(&loop);
  static struct job jobs[kJobs];
  for (int i = 0; i < kJobs; i++) {
    jobs[i].input = i;
    jobs[i].request.data = &jobs[i];
    uv_queue_work(&loop, &jobs[i].request, compute, after_compute);
  }
  int run = uv_run(&loop, UV_RUN_DEFAULT);
  printf("uv_queue_work: %d of %d jobs completed, sum of squares %ld, uv_run %d\n", completed, kJobs, total, run);

  char path[] = "/tmp/sprig-libuv-pool-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  uv_fs_t request;
  int file = uv_fs_open(&loop, &request, path, O_WRONLY | O_TRUNC, 0600, NULL);
  uv_fs_req_cleanup(&request);
  uv_buf_t buffer = uv_buf_init("written on the pool\n", 20);
  uv_fs_write(&loop, &request, file, &buffer, 1, 0, after_write); /* with a callback: on the pool */
  uv_run(&loop, UV_RUN_DEFAULT);
  int written = (int)request.result;
  uv_fs_req_cleanup(&request);
  uv_fs_close(&loop, &request, file, NULL);
  uv_fs_req_cleanup(&request);
  unlink(path);
  printf("uv_fs_write: %d bytes\n", written);
  printf("uv_loop_close: %d\n", uv_loop_close(&loop));
  return 0;
}
