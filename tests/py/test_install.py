# test_install.py - `make install` into a temporary prefix: pkg-config builds a direct-API program, PREFIX/bin/sprig runs one with green threads.
import os
import subprocess

import pytest

MAKE_TIMEOUT_S = 300
RUN_TIMEOUT_S = 30

INSTALLED_FILES = (
    "bin/sprig",
    "lib/libsprig.so",
    "lib/libsprig-rt.so",
    "lib/libsprig-rt.so.0",
    "lib/libsprig-rt.a",
    "lib/pkgconfig/sprig.pc",
    "include/sprig.h",
    "include/sprig.hpp",
    "share/man/man1/sprig.1",
    "share/man/man3/libsprig.3",
    "share/man/man7/sprig.7",
)

DIRECT_API_PROGRAM = r"""
#include <sprig.h>
#include <stdio.h>

static void *hello(void *arg) {
  sprig_sleep(1000000);
  printf("hello from green thread %s\n", (const char *)arg);
  return NULL;
}

static void *main_thread(void *arg) {
  sprig_thread_t threads[2];
  sprig_spawn(&threads[0], NULL, hello, "one");
  sprig_join(threads[0], NULL, SPRIG_FOREVER);
  sprig_spawn(&threads[1], NULL, hello, "two");
  sprig_join(threads[1], NULL, SPRIG_FOREVER);
  return arg;
}

int main(void) { return sprig_run(main_thread, NULL, NULL) == 0 ? 0 : 1; }
"""

# An ordinary pthread program: 50 threads alive at once, each counting the
# OS threads of its process; whether sprig's API is in the process at all.
THREADS_PROGRAM = r"""
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_barrier_t all_started;
static int most_os_threads;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int os_threads(void) {
  DIR *tasks = opendir("/proc/self/task");
  int count = 0;
  for (struct dirent *entry; (entry = readdir(tasks)) != NULL;)
    count += entry->d_name[0] != '.';
  closedir(tasks);
  return count;
}

static void *worker(void *arg) {
  pthread_barrier_wait(&all_started);
  int now = os_threads();
  pthread_mutex_lock(&lock);
  if (now > most_os_threads) most_os_threads = now;
  pthread_mutex_unlock(&lock);
  usleep(20000);
  return arg;
}

int main(void) {
  alarm(20);
  enum { THREADS = 50 };
  pthread_t threads[THREADS];
  pthread_barrier_init(&all_started, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, worker, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  printf("threads=%d most_os_threads=%d sprig_api=%s\n", THREADS, most_os_threads,
         dlsym(RTLD_DEFAULT, "sprig_spawn") != NULL ? "yes" : "no");
  return 0;
}
"""


def make(repo_root, build_dir, *arguments):
    """Runs make in the repository, clean of the calling make's jobserver."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKE_TERMINATE")}
    result = subprocess.run(["make", "-C", str(repo_root), f"BUILD={build_dir}", *arguments],
                            capture_output=True, text=True, timeout=MAKE_TIMEOUT_S, env=environment)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def prefix(repo_root, build_dir, tmp_path_factory):
    prefix = tmp_path_factory.mktemp("prefix")
    make(repo_root, build_dir, f"PREFIX={prefix}", "install")
    return prefix


def test_install_puts_every_file_in_place(prefix):
    missing = [name for name in INSTALLED_FILES if not (prefix / name).exists()]
    assert missing == []
    assert os.access(prefix / "bin" / "sprig", os.X_OK)
    assert (prefix / "lib" / "libsprig-rt.so").resolve().name.startswith("libsprig-rt.so.")


def test_pkg_config_builds_and_runs_a_direct_api_program(prefix, tmp_path):
    environment = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "sprig"], capture_output=True, text=True,
                           timeout=RUN_TIMEOUT_S, env=environment)
    assert flags.returncode == 0, flags.stderr
    assert f"-I{prefix}/include" in flags.stdout and f"-L{prefix}/lib" in flags.stdout
    source = tmp_path / "hello.c"
    source.write_text(DIRECT_API_PROGRAM)
    compiled = subprocess.run(["cc", str(source), "-o", str(tmp_path / "hello"), *flags.stdout.split()],
                              capture_output=True, text=True, timeout=60)
    assert compiled.returncode == 0, compiled.stderr
    environment = {name: value for name, value in os.environ.items()
                   if name != "LD_PRELOAD" and not name.startswith("SPRIG_")}
    environment["LD_LIBRARY_PATH"] = str(prefix / "lib")
    result = subprocess.run([str(tmp_path / "hello")], capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                            env=environment)
    assert (result.returncode, result.stdout) == (0, "hello from green thread one\nhello from green thread two\n")
    # It ran against the installed runtime.
    traced = subprocess.run([str(tmp_path / "hello")], capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                            env=dict(environment, LD_TRACE_LOADED_OBJECTS="1"))
    assert f"{prefix}/lib/libsprig-rt.so.0" in traced.stdout


def test_installed_launcher_runs_threads_as_green_threads(prefix, tmp_path):
    source = tmp_path / "threads.c"
    source.write_text(THREADS_PROGRAM)
    subprocess.run(["cc", "-O1", "-pthread", str(source), "-o", str(tmp_path / "threads")], check=True,
                   capture_output=True, timeout=60)
    environment = {name: value for name, value in os.environ.items()
                   if name != "LD_PRELOAD" and not name.startswith("SPRIG_")}
    native = subprocess.run([str(tmp_path / "threads")], capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                            env=environment)
    assert native.stdout == "threads=50 most_os_threads=51 sprig_api=no\n"
    launcher = prefix / "bin" / "sprig"
    library = subprocess.run([str(launcher), "--print-library"], capture_output=True, text=True,
                             timeout=RUN_TIMEOUT_S, env=environment)
    assert library.stdout == f"{prefix}/lib/libsprig.so\n"
    green = subprocess.run([str(launcher), str(tmp_path / "threads")], capture_output=True, text=True,
                           timeout=RUN_TIMEOUT_S, env=environment)
    # One OS thread per worker: by default one per CPU this process may run on.
    workers = min(len(os.sched_getaffinity(0)), 64)
    assert (green.returncode, green.stdout) == (0, f"threads=50 most_os_threads={workers} sprig_api=yes\n")


def test_destdir_stages_under_the_prefix_and_uninstall_removes_everything(repo_root, build_dir, tmp_path):
    stage = tmp_path / "stage"
    final_prefix = "/opt/sprig-staged-test"
    make(repo_root, build_dir, f"PREFIX={final_prefix}", f"DESTDIR={stage}", "install")
    staged = stage / final_prefix.lstrip("/")
    assert [name for name in INSTALLED_FILES if not (staged / name).exists()] == []
    assert (staged / "lib" / "pkgconfig" / "sprig.pc").read_text().startswith(f"prefix={final_prefix}\n")
    # The staged launcher finds the staged library: it looks next to itself.
    found = subprocess.run([str(staged / "bin" / "sprig"), "--print-library"], capture_output=True, text=True,
                           timeout=RUN_TIMEOUT_S)
    assert found.stdout == f"{staged}/lib/libsprig.so\n"
    make(repo_root, build_dir, f"PREFIX={final_prefix}", f"DESTDIR={stage}", "uninstall")
    assert [path for path in stage.rglob("*") if not path.is_dir()] == []
