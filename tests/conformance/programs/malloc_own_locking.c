/* malloc_own_locking.c - a program with its own malloc that takes a pthread mutex, as jemalloc does (redis-server), starts and runs threads: libc calls that malloc while sprig resolves its symbols. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A bump allocator over one static arena; free gives nothing back. Every
 * call takes a mutex first, as jemalloc's arenas do. */
enum { kArenaSize = 64 << 20, kAlign = 16 };
static _Alignas(64) unsigned char arena[kArenaSize];
static size_t arena_used;
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long mallocs;

static void *take(size_t size, size_t align) {
  if (align < kAlign) {
    align = kAlign;
  }
  pthread_mutex_lock(&arena_lock);
  size_t start = (arena_used + sizeof(size_t) + align - 1) & ~(align - 1);
  void *block = NULL;
  if (start + size <= kArenaSize) {
    memcpy(arena + start - sizeof(size_t), &size, sizeof size);
    arena_used = start + size;
    block = arena + start;
    mallocs++;
  }
  pthread_mutex_unlock(&arena_lock);
  if (block == NULL) {
    errno = ENOMEM;
  }
  return block;
}

static int ours(const void *block) {
  return (const unsigned char *)block >= arena && (const unsigned char *)block < arena + kArenaSize;
}

static size_t size_of(const void *block) {
  size_t size;
  memcpy(&size, (const unsigned char *)block - sizeof(size_t), sizeof size);
  return size;
}

void *malloc(size_t size) { return take(size, kAlign); }
void free(void *block) { (void)block; }
void *calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  return take(count * size, kAlign); /* the arena starts zeroed and is never reused */
}
void *realloc(void *block, size_t size) {
  void *moved = take(size, kAlign);
  if (moved != NULL && block != NULL && ours(block)) {
    size_t old = size_of(block);
    memcpy(moved, block, old < size ? old : size);
  }
  return moved;
}
void *aligned_alloc(size_t align, size_t size) { return take(size, align); }
void *memalign(size_t align, size_t size) { return take(size, align); }
int posix_memalign(void **out, size_t align, size_t size) {
  void *block = take(size, align);
  if (block == NULL) {
    return ENOMEM;
  }
  *out = block;
  return 0;
}
size_t malloc_usable_size(void *block) { return block != NULL && ours(block) ? size_of(block) : 0; }

static void *worker(void *arg) {
  long index = (long)arg;
  long sum = 0;
  for (int i = 0; i < 1000; i++) {
    char *text = malloc(32);
    snprintf(text, 32, "%ld-%d", index, i);
    sum += (long)strlen(text);
    free(text);
  }
  usleep(10000);
  return (void *)sum;
}

int main(void) {
  alarm(20);
  enum { kThreads = 8 };
  pthread_t threads[kThreads];
  for (long i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, worker, (void *)i);
  }
  long total = 0;
  for (int i = 0; i < kThreads; i++) {
    void *sum;
    pthread_join(threads[i], &sum);
    total += (long)sum;
  }
  char *line = NULL;
  size_t capacity = 0;
  FILE *text = fmemopen("a line read with getline\n", 25, "r");
  ssize_t length = getline(&line, &capacity, text);
  fclose(text);
  printf("threads %d, characters written %ld\n", kThreads, total);
  printf("getline through our malloc: %zd %s", length, line);
  printf("our malloc was used: %s\n", mallocs > 8000 ? "yes" : "no");
  return 0;
}
