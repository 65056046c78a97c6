#include <cstdio>
#include <dlfcn.h>
#include <iostream>
#include <string>
extern "C" { typedef void (*info_t)(size_t*, size_t*); }
int main(){
  size_t sz, al; ((info_t)dlvsym(RTLD_DEFAULT,"_dl_get_tls_static_info","GLIBC_PRIVATE"))(&sz,&al);
  std::string s("x"); std::cout << "C++ (libstdc++ loaded): static TLS size=" << sz << " align=" << al << s << std::endl;
}
