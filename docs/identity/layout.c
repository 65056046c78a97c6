#include <stdio.h>
#include <stdint.h>
#include <dlfcn.h>
#include <pthread.h>
static const char *names[] = {
 "sizeof_pthread","pthread_list","pthread_report_events","pthread_tid","pthread_start_routine",
 "pthread_cancelhandling","pthread_schedpolicy","pthread_schedparam_sched_priority","pthread_specific",
 "pthread_eventbuf","pthread_eventbuf_eventmask","pthread_eventbuf_eventmask_event_bits","pthread_nextevent",
 "pthread_dtvp","sizeof_list_t","list_t_next","list_t_prev","sizeof_pthread_key_struct","pthread_key_struct_seq",
 "pthread_key_struct_destr","sizeof_pthread_key_data","pthread_key_data_seq","pthread_key_data_data",
 "sizeof_pthread_key_data_level2","pthread_key_data_level2_data","__pthread_keys","const_thread_area",
 "dtv_dtv","dtv_t_pointer_val","dtv_t_counter","link_map_l_tls_offset","link_map_l_tls_modid",
 "rtld_global__dl_stack_used","rtld_global__dl_stack_user","__nptl_nthreads",0};
int main(void){
  void *h = dlopen("libc.so.6", RTLD_NOW|RTLD_NOLOAD);
  for (int i=0; names[i]; i++){
    char s[128]; snprintf(s,sizeof s,"_thread_db_%s",names[i]);
    const uint32_t *d = dlsym(h, s);
    if(!d){printf("%-45s MISSING\n", s); continue;}
    if(!__builtin_strncmp(names[i],"sizeof_",7) || !__builtin_strcmp(names[i],"const_thread_area"))
      printf("%-45s value=%u (0x%x)\n", s, d[0], d[0]);
    else printf("%-45s bits=%u nelem=%u offset=%u (0x%x)\n", s, d[0], d[1], d[2], d[2]);
  }
  return 0;
}
