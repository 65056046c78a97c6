#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <asm/prctl.h>
#include <immintrin.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
static void *getfs(void){void*p;__asm__ volatile("mov %%fs:0,%0":"=r"(p));return p;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
#define N 10000000
int main(void){
  void *(*alloc)(void*)=dlvsym(RTLD_DEFAULT,"_dl_allocate_tls","GLIBC_PRIVATE");
  void (*dealloc)(void*,_Bool)=dlvsym(RTLD_DEFAULT,"_dl_deallocate_tls","GLIBC_PRIVATE");
  void (*info)(size_t*,size_t*)=dlvsym(RTLD_DEFAULT,"_dl_get_tls_static_info","GLIBC_PRIVATE");
  size_t sz,al; info(&sz,&al);
  uint32_t tcb=*(uint32_t*)dlsym(RTLD_DEFAULT,"_thread_db_sizeof_pthread");
  void *orig=getfs();
  double r[3][5];
  for(int run=0;run<5;run++){
    double t0=now();
    for(long i=0;i<N;i++){ _writefsbase_u64((uint64_t)orig+64); _writefsbase_u64((uint64_t)orig); }
    double t1=now();
    for(long i=0;i<N/10;i++){ syscall(SYS_arch_prctl,ARCH_SET_FS,(char*)orig+64); syscall(SYS_arch_prctl,ARCH_SET_FS,orig); }
    double t2=now();
    volatile uint64_t x=0;
    for(long i=0;i<N;i++){ x+=_readfsbase_u64(); }
    double t3=now();
    r[0][run]=(t1-t0)/N/2; r[1][run]=(t2-t1)/(N/10)/2; r[2][run]=(t3-t2)/N;
  }
  for(int k=0;k<3;k++) qsort(r[k],5,sizeof(double),cmp);
  printf("static TLS size=%zu align=%zu (TCB %u, TLS part %zu)\n",sz,al,tcb,sz-tcb);
  printf("wrfsbase: %.2f ns per write (median of 5 x %d pairs)\n",r[0][2],N);
  printf("arch_prctl(ARCH_SET_FS): %.1f ns per call (median of 5 x %d pairs)\n",r[1][2],N/10);
  printf("rdfsbase: %.2f ns per read\n",r[2][2]);
  // _dl_allocate_tls + _dl_deallocate_tls cost, on a pre-allocated block
  size_t len=sz+al; char *blk=aligned_alloc(4096,(len+4095)&~4095ul); memset(blk,0,len);
  char *pd=(char*)(((uintptr_t)(blk+len)-tcb)&~(uintptr_t)(al-1));
  double ra[5], rm[5], rz[5]; int M=200000;
  for(int run=0;run<5;run++){
    double t0=now();
    for(int i=0;i<M;i++){ if(!alloc(pd)) abort(); dealloc(pd,0); }
    double t1=now();
    static char img[8192]; char *dst=pd-(sz-tcb);
    for(int i=0;i<M;i++){ memcpy(dst,img,sz-tcb); __asm__ volatile(""::"r"(dst):"memory"); }
    double t2=now();
    for(int i=0;i<M;i++){ memset(pd,0,tcb); __asm__ volatile(""::"r"(pd):"memory"); }
    double t3=now();
    ra[run]=(t1-t0)/M; rm[run]=(t2-t1)/M; rz[run]=(t3-t2)/M;
  }
  qsort(ra,5,sizeof(double),cmp);qsort(rm,5,sizeof(double),cmp);qsort(rz,5,sizeof(double),cmp);
  printf("_dl_allocate_tls+_dl_deallocate_tls: %.1f ns per pair (median of 5 x %d)\n",ra[2],M);
  printf("memcpy of whole static TLS area (%zu B): %.1f ns; memset of TCB (%u B): %.1f ns\n",sz-tcb,rm[2],tcb,rz[2]);
  return 0;
}
