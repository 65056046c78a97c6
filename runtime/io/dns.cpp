// dns.cpp - sprig_getaddrinfo / sprig_getnameinfo through uv_getaddrinfo / uv_getnameinfo.
//
// A request is heap-allocated: when the caller's timeout passes, the caller
// abandons it (returns EAI_AGAIN) and the libuv callback frees it later.
#include "api_common.hpp"
#include "signals.hpp"
#include "sprig.h"

#include <cstring>

using sprig::Worker;

namespace {

constexpr int kPending = 1;

// libuv's UV_EAI_* codes back to the EAI_* codes getaddrinfo(3) returns. A
// negative errno (libuv's form of EAI_SYSTEM) becomes EAI_SYSTEM with errno.
int eai_from_uv(int status) {
  switch (status) {
  case 0:
    return 0;
  case UV_EAI_ADDRFAMILY:
    return EAI_ADDRFAMILY;
  case UV_EAI_AGAIN:
    return EAI_AGAIN;
  case UV_EAI_BADFLAGS:
  case UV_EAI_BADHINTS:
    return EAI_BADFLAGS;
  case UV_EAI_CANCELED:
    return EAI_CANCELED;
  case UV_EAI_FAIL:
    return EAI_FAIL;
  case UV_EAI_FAMILY:
    return EAI_FAMILY;
  case UV_EAI_MEMORY:
    return EAI_MEMORY;
  case UV_EAI_NODATA:
    return EAI_NODATA;
  case UV_EAI_NONAME:
    return EAI_NONAME;
  case UV_EAI_OVERFLOW:
    return EAI_OVERFLOW;
  case UV_EAI_SERVICE:
    return EAI_SERVICE;
  case UV_EAI_SOCKTYPE:
    return EAI_SOCKTYPE;
  default:
    errno = -status;
    return EAI_SYSTEM;
  }
}

template <typename Request> struct DnsCall {
  Request request;
  sprig::GreenThread *thread;
  Worker *worker;
  int status; // kPending, then a libuv status
  bool abandoned;
};

template <typename Call> Call *new_call() {
  auto *call = static_cast<Call *>(calloc(1, sizeof(Call)));
  if (call != nullptr) {
    call->request.data = call;
    call->worker = Worker::current();
    call->thread = call->worker->running();
    call->status = kPending;
  }
  return call;
}

// Called on the scheduler context after the caller gave up: try to cancel;
// the callback frees the call either way.
template <typename Call> void cancel_abandoned(void *pointer) {
  auto *call = static_cast<Call *>(pointer);
  uv_cancel(reinterpret_cast<uv_req_t *>(&call->request));
}

// Parks until the callback ran or the deadline; returns true if the caller
// still owns `call` (the callback ran), false if it was abandoned.
template <typename Call>
bool park_for(Call *call, void (*start)(void *), int64_t timeout_ns, int *eai) {
  sprig::Timeout timeout;
  if (decode_timeout(timeout_ns, &timeout) != 0) {
    free(call);
    *eai = EAI_BADFLAGS;
    return false;
  }
  call->worker->park_after_scheduler_call(start, call, sprig::WaitReason::kDns, nullptr,
                                          timeout.deadline);
  if (call->status == kPending) {
    call->abandoned = true;
    call->worker->reactor().defer(cancel_abandoned<Call>, call);
    *eai = EAI_AGAIN;
    return false;
  }
  return true;
}

// ---- getaddrinfo --------------------------------------------------------------

struct AddrinfoCall : DnsCall<uv_getaddrinfo_t> {
  const char *node;
  const char *service;
  const addrinfo *hints;
  addrinfo *result;
};

void addrinfo_done(uv_getaddrinfo_t *request, int status, addrinfo *result) {
  auto *call = static_cast<AddrinfoCall *>(request->data);
  if (call->abandoned) {
    if (result != nullptr) {
      uv_freeaddrinfo(result);
    }
    free(call);
    return;
  }
  call->status = status;
  call->result = result;
  call->worker->wake(call->thread, 0);
}

void addrinfo_start(void *pointer) {
  auto *call = static_cast<AddrinfoCall *>(pointer);
  // libuv copies node, service and hints before returning.
  sprig::signals::PoolStartGuard pool_start;
  int rc = uv_getaddrinfo(call->worker->reactor().loop(), &call->request, addrinfo_done, call->node,
                          call->service, call->hints);
  if (rc != 0) {
    addrinfo_done(&call->request, rc, nullptr);
  }
}

// ---- getnameinfo --------------------------------------------------------------

struct NameinfoCall : DnsCall<uv_getnameinfo_t> {
  sockaddr_storage address;
  int flags;
};

void nameinfo_done(uv_getnameinfo_t *request, int status, const char *, const char *) {
  auto *call = static_cast<NameinfoCall *>(request->data);
  if (call->abandoned) {
    free(call);
    return;
  }
  call->status = status;
  call->worker->wake(call->thread, 0);
}

void nameinfo_start(void *pointer) {
  auto *call = static_cast<NameinfoCall *>(pointer);
  sprig::signals::PoolStartGuard pool_start;
  int rc = uv_getnameinfo(call->worker->reactor().loop(), &call->request, nameinfo_done,
                          reinterpret_cast<const sockaddr *>(&call->address), call->flags);
  if (rc != 0) {
    nameinfo_done(&call->request, rc, nullptr, nullptr);
  }
}

int copy_name(char *destination, socklen_t capacity, const char *source) {
  if (destination == nullptr || capacity == 0) {
    return 0;
  }
  size_t length = strlen(source);
  if (length >= capacity) {
    return EAI_OVERFLOW;
  }
  memcpy(destination, source, length + 1);
  return 0;
}

} // namespace

int sprig_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                      struct addrinfo **res, int64_t timeout_ns) {
  if (res == nullptr || (node == nullptr && service == nullptr)) {
    return EAI_NONAME;
  }
  if (Worker::current_thread() == nullptr) {
    return getaddrinfo(node, service, hints, res); // not green: block as libc does
  }
  auto *call = new_call<AddrinfoCall>();
  if (call == nullptr) {
    return EAI_MEMORY;
  }
  call->node = node;
  call->service = service;
  call->hints = hints;
  int eai = 0;
  if (!park_for(call, addrinfo_start, timeout_ns, &eai)) {
    return eai;
  }
  eai = eai_from_uv(call->status);
  *res = call->result;
  free(call);
  return eai;
}

int sprig_getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, socklen_t hostlen,
                      char *serv, socklen_t servlen, int flags, int64_t timeout_ns) {
  if (addr == nullptr || addrlen > sizeof(sockaddr_storage) ||
      (addr->sa_family == AF_INET && addrlen < sizeof(sockaddr_in)) ||
      (addr->sa_family == AF_INET6 && addrlen < sizeof(sockaddr_in6))) {
    return EAI_FAMILY;
  }
  if (Worker::current_thread() == nullptr) {
    return getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags);
  }
  auto *call = new_call<NameinfoCall>();
  if (call == nullptr) {
    return EAI_MEMORY;
  }
  memcpy(&call->address, addr, addrlen);
  call->flags = flags;
  int eai = 0;
  if (!park_for(call, nameinfo_start, timeout_ns, &eai)) {
    return eai;
  }
  eai = eai_from_uv(call->status);
  if (eai == 0) {
    eai = copy_name(host, hostlen, call->request.host);
  }
  if (eai == 0) {
    eai = copy_name(serv, servlen, call->request.service);
  }
  free(call);
  return eai;
}
