/* watchdog_spin.c - one thread computes for 200 ms without a call while another sleeps in 10 ms steps. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
static double now(void){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec+t.tv_nsec/1e9;}
volatile unsigned long sink;
__attribute__((noinline)) static void busy_loop(double seconds){ double end=now()+seconds; while(now()<end) sink++; }
static void *spinner(void *a){ pthread_setname_np(pthread_self(),"spinner"); usleep(20000); busy_loop(0.2); return a; }
static void *ticker(void *a){ for(int i=0;i<30;i++) usleep(10000); return a; }
int main(void){ pthread_t a,b; pthread_create(&a,0,spinner,0); pthread_create(&b,0,ticker,0); pthread_join(a,0); pthread_join(b,0); puts("done"); return 0; }
