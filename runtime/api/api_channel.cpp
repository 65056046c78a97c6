// api_channel.cpp - the C API of channels, wait groups and thread-specific keys.
#include "api_common.hpp"
#include "channel.hpp"
#include "keys.hpp"
#include "sprig.h"

using sprig::begin_wait;
using sprig::Timeout;
using sprig::Worker;

struct sprig_chan : sprig::Channel {
  using Channel::Channel;
};
struct sprig_waitgroup : sprig::WaitGroup {};

int sprig_chan_create(sprig_chan_t **chan, size_t elem_size, size_t capacity) {
  if (chan == nullptr || elem_size == 0 || (capacity != 0 && elem_size > SIZE_MAX / capacity)) {
    return -EINVAL;
  }
  // The ring buffer sits right behind the channel, in the same allocation.
  void *memory = malloc(sizeof(sprig_chan) + elem_size * capacity);
  if (memory == nullptr) {
    return -ENOMEM;
  }
  *chan = new (memory)
      sprig_chan(elem_size, capacity, static_cast<char *>(memory) + sizeof(sprig_chan));
  return 0;
}

int sprig_chan_destroy(sprig_chan_t *chan) { return sprig::destroy_object(chan); }

int sprig_chan_send(sprig_chan_t *chan, const void *elem, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_wait(chan, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  if (elem == nullptr) {
    return -EINVAL;
  }
  return chan->send(elem, timeout.deadline, timeout.try_only);
}

int sprig_chan_recv(sprig_chan_t *chan, void *elem, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_wait(chan, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  if (elem == nullptr) {
    return -EINVAL;
  }
  return chan->receive(elem, timeout.deadline, timeout.try_only);
}

int sprig_chan_close(sprig_chan_t *chan) {
  if (chan == nullptr) {
    return -EINVAL;
  }
  return chan->close();
}

size_t sprig_chan_len(const sprig_chan_t *chan) { return chan == nullptr ? 0 : chan->length(); }

int sprig_waitgroup_create(sprig_waitgroup_t **group) { return sprig::create_object(group); }

int sprig_waitgroup_destroy(sprig_waitgroup_t *group) { return sprig::destroy_object(group); }

int sprig_waitgroup_add(sprig_waitgroup_t *group, int64_t delta) {
  if (group == nullptr) {
    return -EINVAL;
  }
  return group->add(delta);
}

int sprig_waitgroup_done(sprig_waitgroup_t *group) { return sprig_waitgroup_add(group, -1); }

int sprig_waitgroup_wait(sprig_waitgroup_t *group, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_wait(group, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  return group->wait(timeout.deadline);
}

int sprig_key_create(sprig_key_t *key, void (*destructor)(void *)) {
  if (key == nullptr) {
    return -EINVAL;
  }
  return sprig::key_create(key, destructor);
}

int sprig_key_delete(sprig_key_t key) { return sprig::key_delete(key); }

void *sprig_getspecific(sprig_key_t key) {
  sprig::GreenThread *self = Worker::current_thread();
  return self == nullptr ? nullptr : sprig::key_get(self, key);
}

int sprig_setspecific(sprig_key_t key, const void *value) {
  sprig::GreenThread *self = Worker::current_thread();
  if (self == nullptr) {
    return -EPERM;
  }
  return sprig::key_set(self, key, value);
}
