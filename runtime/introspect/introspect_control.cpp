// introspect_control.cpp - the control socket `sprig ps` talks to: a unix socket in a directory
// only the user can enter, served by the reactor on the scheduler context.
//
// Where: $XDG_RUNTIME_DIR/sprig/PID.sock when XDG_RUNTIME_DIR names a
// directory of the user's that nobody else may enter, /tmp/sprig-UID/PID.sock
// otherwise; the directory is made 0700 and refused unless it is a real
// directory (no symlink) owned by the user with no group or other access.
// The socket itself is 0600, and a connection from another user (SO_PEERCRED)
// is closed unanswered.
//
// Protocol: one request line, "ps" or "ps stacks"; the reply is the dump,
// then the connection closes. The dump is made on the scheduler context, so
// it comes when the worker next polls: a worker held by a computing green
// thread answers only when that thread lets go (the client has a timeout).
//
// The socket is made on the first poll of the loop (a program that never
// waits for anything never gets one) and moved to an fd number far above
// the program's, so the program's own fds are numbered as without sprig.
//
// At most kMaxClients connections are served at once. A new one when all
// are taken closes the oldest that has not sent its whole request yet, so
// clients that connect and say nothing cannot lock `sprig ps` out (there
// is no timer: libuv's are not used by sprig).
#include "introspect.hpp"
#include "reactor.hpp"
#include "sys.hpp"
#include "text_buffer.hpp"
#include "worker.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace sprig::observe {

namespace {

constexpr int kMaxClients = 8;
constexpr size_t kMaxRequest = 128;

struct Client {
  uv_pipe_t pipe;
  uv_write_t write;
  char request[kMaxRequest];
  size_t used;
  char *reply;
  uint64_t arrival; // order of connection, for eviction
  bool answering;   // the whole request came: its reply is being written
  bool closing;
};

struct ControlSocket {
  uv_pipe_t *listener = nullptr; // malloc'ed: freed by its close callback
  bool open = false;
  pid_t owner_pid = 0; // the process that made the path (the child of fork did not)
  char path[sizeof(sockaddr_un::sun_path)] = {};
  Client *clients[kMaxClients] = {};
  uint64_t arrivals = 0;
};

ControlSocket g_control;

bool private_directory(const char *path) {
  struct stat status {};
  return lstat(path, &status) == 0 && S_ISDIR(status.st_mode) && status.st_uid == geteuid() &&
         (status.st_mode & 077) == 0;
}

bool make_private_directory(char *out, size_t length) {
  const char *runtime = getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && runtime[0] == '/' && private_directory(runtime)) {
    int used = snprintf(out, length, "%s/sprig", runtime);
    if (used > 0 && static_cast<size_t>(used) < length - 16) {
      sys::call(SYS_mkdir, out, 0700);
      if (private_directory(out)) {
        return true;
      }
    }
  }
  snprintf(out, length, "/tmp/sprig-%u", static_cast<unsigned>(geteuid()));
  sys::call(SYS_mkdir, out, 0700);
  return private_directory(out);
}

// Removes the sockets of processes that ended without removing theirs
// (killed by a signal); a few per start, so a full directory costs little.
void remove_stale_sockets(const char *directory) {
  DIR *listing = opendir(directory);
  if (listing == nullptr) {
    return;
  }
  constexpr int kMaxLooks = 64;
  int looks = 0;
  while (dirent *entry = readdir(listing)) {
    char *end = nullptr;
    long pid = strtol(entry->d_name, &end, 10);
    if (pid <= 0 || end == entry->d_name || strcmp(end, ".sock") != 0) {
      continue;
    }
    if (++looks > kMaxLooks) {
      break;
    }
    if (sys::call(SYS_kill, pid, 0) == -ESRCH) {
      char path[sizeof g_control.path + sizeof entry->d_name + 2];
      snprintf(path, sizeof path, "%s/%s", directory, entry->d_name);
      sys::call(SYS_unlink, path);
    }
  }
  closedir(listing);
}

void free_handle(uv_handle_t *handle) { free(handle); }

void forget_client(Client *client) {
  for (Client *&slot : g_control.clients) {
    if (slot == client) {
      slot = nullptr;
    }
  }
}

void free_client(uv_handle_t *handle) {
  auto *client = static_cast<Client *>(handle->data);
  free(client->reply);
  free(client);
}

void close_client(Client *client) {
  if (!client->closing) {
    client->closing = true;
    forget_client(client);
    uv_close(reinterpret_cast<uv_handle_t *>(&client->pipe), free_client);
  }
}

void on_written(uv_write_t *request, int) { close_client(static_cast<Client *>(request->data)); }

void answer(Client *client) {
  bool stacks = strncmp(client->request, "ps stacks", 9) == 0;
  if (!stacks && strncmp(client->request, "ps", 2) != 0) {
    close_client(client);
    return;
  }
  Worker *worker = static_cast<Reactor *>(client->pipe.loop->data)->worker();
  TextBuffer out;
  dump_threads(*worker, stacks, out);
  size_t length = out.size();
  client->reply = out.release();
  if (client->reply == nullptr) {
    close_client(client);
    return;
  }
  uv_buf_t buffer = uv_buf_init(client->reply, static_cast<unsigned>(length));
  client->write.data = client;
  if (uv_write(&client->write, reinterpret_cast<uv_stream_t *>(&client->pipe), &buffer, 1,
               on_written) != 0) {
    close_client(client);
  }
}

void give_buffer(uv_handle_t *handle, size_t, uv_buf_t *buffer) {
  auto *client = static_cast<Client *>(handle->data);
  *buffer = uv_buf_init(client->request + client->used,
                        static_cast<unsigned>(kMaxRequest - 1 - client->used));
}

void on_request(uv_stream_t *stream, ssize_t count, const uv_buf_t *) {
  auto *client = static_cast<Client *>(stream->data);
  if (count < 0 || client->used + static_cast<size_t>(count) >= kMaxRequest - 1) {
    close_client(client); // end of input, an error, or a request too long
    return;
  }
  client->used += static_cast<size_t>(count);
  client->request[client->used] = '\0';
  if (strchr(client->request, '\n') != nullptr) {
    uv_read_stop(stream);
    client->answering = true;
    answer(client);
  }
}

bool same_user(uv_pipe_t *pipe) {
  uv_os_fd_t fd = -1;
  ucred peer{};
  socklen_t length = sizeof peer;
  return uv_fileno(reinterpret_cast<uv_handle_t *>(pipe), &fd) == 0 &&
         sys::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0 && peer.uid == geteuid();
}

void on_connection(uv_stream_t *server, int status) {
  if (status != 0) {
    return;
  }
  auto *client = static_cast<Client *>(calloc(1, sizeof(Client)));
  if (client == nullptr) {
    return;
  }
  uv_pipe_init(server->loop, &client->pipe, 0);
  client->pipe.data = client;
  if (uv_accept(server, reinterpret_cast<uv_stream_t *>(&client->pipe)) != 0 ||
      !same_user(&client->pipe)) {
    close_client(client);
    return;
  }
  Client **free_slot = nullptr;
  Client **oldest_silent = nullptr;
  for (Client *&slot : g_control.clients) {
    if (slot == nullptr) {
      free_slot = &slot;
      break;
    }
    if (!slot->answering &&
        (oldest_silent == nullptr || slot->arrival < (*oldest_silent)->arrival)) {
      oldest_silent = &slot;
    }
  }
  if (free_slot == nullptr && oldest_silent != nullptr) {
    close_client(*oldest_silent); // empties its slot (forget_client)
    free_slot = oldest_silent;
  }
  if (free_slot == nullptr) {
    close_client(client); // every slot is answering
    return;
  }
  client->arrival = ++g_control.arrivals;
  *free_slot = client;
  uv_read_start(reinterpret_cast<uv_stream_t *>(&client->pipe), give_buffer, on_request);
}

} // namespace

void control_open(Reactor &reactor) {
  char directory[sizeof g_control.path];
  if (g_control.open || !make_private_directory(directory, sizeof directory)) {
    return;
  }
  remove_stale_sockets(directory);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  int used = snprintf(address.sun_path, sizeof address.sun_path, "%s/%d.sock", directory,
                      static_cast<int>(getpid()));
  if (used < 0 || static_cast<size_t>(used) >= sizeof address.sun_path) {
    return;
  }
  long fd = sys::call(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return;
  }
  sys::call(SYS_unlink, address.sun_path); // a socket left by an earlier process of this pid
  if (sys::call(SYS_bind, fd, &address, sizeof address) != 0) {
    sys::close(static_cast<int>(fd));
    return;
  }
  sys::call(SYS_chmod, address.sun_path, 0600);
  int high = move_fd_high(static_cast<int>(fd));
  auto *listener = static_cast<uv_pipe_t *>(malloc(sizeof(uv_pipe_t)));
  if (listener == nullptr || uv_pipe_init(reactor.loop(), listener, 0) != 0) {
    free(listener);
    sys::close(high);
    sys::call(SYS_unlink, address.sun_path);
    return;
  }
  // The first stream handle makes libuv open its spare descriptor for
  // EMFILE (/dev/null, loop->emfile_fd) at the lowest free number, which is
  // the program's: it goes high too, and the program cannot close it.
  uv_loop_t *loop = reactor.loop();
  if (loop->emfile_fd >= 0 && loop->emfile_fd < high) {
    loop->emfile_fd = move_fd_high(loop->emfile_fd);
    reactor.note_own_fd(loop->emfile_fd, true);
  }
  if (uv_pipe_open(listener, high) != 0 ||
      uv_listen(reinterpret_cast<uv_stream_t *>(listener), kMaxClients, on_connection) != 0) {
    uv_close(reinterpret_cast<uv_handle_t *>(listener), free_handle);
    sys::call(SYS_unlink, address.sun_path);
    return;
  }
  // The socket alone must not keep the loop alive, nor hide a deadlock.
  uv_unref(reinterpret_cast<uv_handle_t *>(listener));
  g_control.listener = listener;
  reactor.note_own_fd(high, true);
  memcpy(g_control.path, address.sun_path, sizeof g_control.path);
  g_control.owner_pid = getpid();
  g_control.open = true;
}

void control_forget_path() {
  if (g_control.open && g_control.owner_pid == sys::call(SYS_getpid)) {
    sys::call(SYS_unlink, g_control.path);
  }
}

void control_close(Reactor &reactor, bool in_child) {
  if (!g_control.open) {
    return;
  }
  if (!in_child && g_control.owner_pid == getpid()) {
    sys::call(SYS_unlink, g_control.path);
  }
  if (Worker::current() != reactor.worker() || Worker::current_thread() != nullptr) {
    // exit() on another OS thread: only the path is this thread's business.
    return;
  }
  g_control.open = false;
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t *>(g_control.listener), &fd) == 0) {
    reactor.note_own_fd(fd, false);
  }
  uv_close(reinterpret_cast<uv_handle_t *>(g_control.listener), free_handle);
  g_control.listener = nullptr;
  for (Client *client : g_control.clients) {
    if (client != nullptr) {
      close_client(client);
    }
  }
}

} // namespace sprig::observe
