// wait_queue.hpp - the FIFO of parked green threads (declared in green_thread.hpp, with the
// thread it links) and the guard of the object it belongs to.
#pragma once

#include "green_thread.hpp"
#include "object_lock.hpp"
