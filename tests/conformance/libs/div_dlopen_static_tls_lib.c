/* div_dlopen_static_tls_lib.c - a library whose thread-local variable has the initial-exec model: the loader puts it in the static TLS block of every thread, for div_dlopen_static_tls.c. */
__thread int ie_value __attribute__((tls_model("initial-exec"))) = 42;

int ie_read(void) { return ie_value; }
