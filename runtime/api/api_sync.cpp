// api_sync.cpp - the C API of the green mutex, condition variable, rwlock, semaphore, barrier and
// once.
#include "api_common.hpp"
#include "sprig.h"
#include "sync.hpp"

using sprig::begin_wait;
using sprig::Timeout;
using sprig::Worker;

// The opaque C types are the runtime classes themselves.
struct sprig_mutex : sprig::Mutex {
  using Mutex::Mutex;
};
struct sprig_cond : sprig::CondVar {
  using CondVar::CondVar;
};
struct sprig_rwlock : sprig::RwLock {};
struct sprig_sem : sprig::Semaphore {
  using Semaphore::Semaphore;
};
struct sprig_barrier : sprig::Barrier {
  using Barrier::Barrier;
};

int sprig_mutex_create(sprig_mutex_t **mutex, int kind) {
  if (kind < SPRIG_MUTEX_NORMAL || kind > SPRIG_MUTEX_ERRORCHECK) {
    return -EINVAL;
  }
  return sprig::create_object(mutex, static_cast<sprig::MutexKind>(kind));
}

int sprig_mutex_destroy(sprig_mutex_t *mutex) { return sprig::destroy_object(mutex); }

int sprig_mutex_lock(sprig_mutex_t *mutex, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_wait(mutex, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  return timeout.try_only ? mutex->try_lock() : mutex->lock(timeout.deadline);
}

int sprig_mutex_unlock(sprig_mutex_t *mutex) {
  if (mutex == nullptr) {
    return -EINVAL;
  }
  if (Worker::current_thread() == nullptr) {
    return -EPERM;
  }
  return mutex->unlock();
}

int sprig_cond_create(sprig_cond_t **cond, clockid_t clock) {
  if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME) {
    return -EINVAL;
  }
  return sprig::create_object(cond, clock);
}

int sprig_cond_destroy(sprig_cond_t *cond) { return sprig::destroy_object(cond); }

int sprig_cond_wait(sprig_cond_t *cond, sprig_mutex_t *mutex, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_wait(cond, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  if (mutex == nullptr) {
    return -EINVAL;
  }
  return cond->wait(*mutex, timeout.deadline);
}

int sprig_cond_wait_until(sprig_cond_t *cond, sprig_mutex_t *mutex,
                          const struct timespec *deadline) {
  Timeout timeout;
  if (int rc = begin_wait(cond, SPRIG_FOREVER, &timeout); rc != 0) {
    return rc;
  }
  if (mutex == nullptr) {
    return -EINVAL;
  }
  if (deadline != nullptr) {
    if (int rc = sprig::absolute_to_deadline(cond->clock(), *deadline, &timeout.deadline);
        rc != 0) {
      return rc;
    }
  }
  return cond->wait(*mutex, timeout.deadline);
}

int sprig_cond_signal(sprig_cond_t *cond) {
  if (cond == nullptr) {
    return -EINVAL;
  }
  cond->signal();
  return 0;
}

int sprig_cond_broadcast(sprig_cond_t *cond) {
  if (cond == nullptr) {
    return -EINVAL;
  }
  cond->broadcast();
  return 0;
}

int sprig_rwlock_create(sprig_rwlock_t **rwlock) { return sprig::create_object(rwlock); }

int sprig_rwlock_destroy(sprig_rwlock_t *rwlock) { return sprig::destroy_object(rwlock); }

int sprig_rwlock_rdlock(sprig_rwlock_t *rwlock, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_wait(rwlock, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  int rc = rwlock->read_lock(timeout.deadline);
  return timeout.try_only && rc == -ETIMEDOUT ? -EBUSY : rc;
}

int sprig_rwlock_wrlock(sprig_rwlock_t *rwlock, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_wait(rwlock, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  int rc = rwlock->write_lock(timeout.deadline);
  return timeout.try_only && rc == -ETIMEDOUT ? -EBUSY : rc;
}

int sprig_rwlock_unlock(sprig_rwlock_t *rwlock) {
  if (rwlock == nullptr) {
    return -EINVAL;
  }
  if (Worker::current_thread() == nullptr) {
    return -EPERM;
  }
  return rwlock->unlock();
}

int sprig_sem_create(sprig_sem_t **sem, unsigned initial) {
  if (initial > static_cast<unsigned>(INT32_MAX)) {
    return -EINVAL;
  }
  return sprig::create_object(sem, initial);
}

int sprig_sem_destroy(sprig_sem_t *sem) { return sprig::destroy_object(sem); }

int sprig_sem_wait(sprig_sem_t *sem, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_wait(sem, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  int rc = sem->wait(timeout.deadline);
  return timeout.try_only && rc == -ETIMEDOUT ? -EAGAIN : rc;
}

int sprig_sem_post(sprig_sem_t *sem) {
  if (sem == nullptr) {
    return -EINVAL;
  }
  return sem->post();
}

int sprig_sem_value(sprig_sem_t *sem, unsigned *value) {
  if (sem == nullptr || value == nullptr) {
    return -EINVAL;
  }
  *value = sem->value();
  return 0;
}

int sprig_barrier_create(sprig_barrier_t **barrier, unsigned count) {
  if (count == 0) {
    return -EINVAL;
  }
  return sprig::create_object(barrier, count);
}

int sprig_barrier_destroy(sprig_barrier_t *barrier) { return sprig::destroy_object(barrier); }

int sprig_barrier_wait(sprig_barrier_t *barrier, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_wait(barrier, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  return barrier->wait(timeout.deadline);
}

int sprig_once(sprig_once_t *once, void (*init)(void)) {
  if (once == nullptr || init == nullptr) {
    return -EINVAL;
  }
  if (Worker::current_thread() == nullptr) {
    return -EPERM;
  }
  return sprig::once_run(&once->state, &once->waiters, init);
}
