// inherit.cpp - SPRIG_INHERIT=0: takes libsprig.so out of LD_PRELOAD before main runs.
//
// The loader has read LD_PRELOAD long before this runs, so this process keeps
// sprig; only the environment that exec(3), system(3) and posix_spawn(3) pass
// on changes. glibc splits LD_PRELOAD on spaces and colons.
#include "inherit.hpp"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sys/stat.h>

namespace sprig {

namespace {

constexpr const char *kPreloadSeparators = " :";

struct OwnFile {
  const char *base_name;
  struct stat identity;
};

bool find_own_file(OwnFile *own) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void *>(&preload_leave_out_of_children), &info) == 0 ||
      info.dli_fname == nullptr || stat(info.dli_fname, &own->identity) != 0) {
    return false;
  }
  const char *slash = strrchr(info.dli_fname, '/');
  own->base_name = slash != nullptr ? slash + 1 : info.dli_fname;
  return true;
}

// A path names the file by device and inode; a bare name is searched by the
// loader in its library directories, so it can only be told by its name.
bool names_own_file(const char *entry, size_t length, const OwnFile &own) {
  char path[PATH_MAX];
  if (length >= sizeof path) {
    return false;
  }
  memcpy(path, entry, length);
  path[length] = '\0';
  if (strchr(path, '/') == nullptr) {
    return strcmp(path, own.base_name) == 0;
  }
  struct stat identity {};
  return stat(path, &identity) == 0 && identity.st_dev == own.identity.st_dev &&
         identity.st_ino == own.identity.st_ino;
}

} // namespace

void preload_leave_out_of_children() {
  char *list = getenv("LD_PRELOAD");
  OwnFile own{};
  if (list == nullptr || !find_own_file(&own)) {
    return;
  }
  // Kept entries move left over the removed ones: the write position never
  // passes the read position, since every entry after the first follows at
  // least one separator.
  char *kept_end = list;
  char *cursor = list;
  for (;;) {
    cursor += strspn(cursor, kPreloadSeparators);
    size_t length = strcspn(cursor, kPreloadSeparators);
    if (length == 0) {
      break;
    }
    if (!names_own_file(cursor, length, own)) {
      if (kept_end != list) {
        *kept_end++ = ':';
      }
      memmove(kept_end, cursor, length);
      kept_end += length;
    }
    cursor += length;
  }
  *kept_end = '\0';
  if (*list == '\0') {
    unsetenv("LD_PRELOAD");
  }
}

} // namespace sprig
