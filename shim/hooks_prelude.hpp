// hooks_prelude.hpp - the system headers hooks.def's signatures need.
#pragma once

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
