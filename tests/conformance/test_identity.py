# test_identity.py - thread identities that need more than the generic comparison: dynamic TLS of a library
# loaded with dlopen(), in threads started before and after it was loaded; initial-exec TLS of such a library.
import pytest


@pytest.fixture(scope="session")
def dlopen_tls_library(library_of):
    """tests/conformance/libs/dlopen_tls_lib.c built as a shared library, for dlopen()."""
    return library_of("dlopen_tls_lib.c", "libdlopen_tls.so")


def test_dynamic_tls_of_a_dlopened_library(binary_of, preload, results, run, dlopen_tls_library,
                                           max_sprig_os_threads):
    """Each thread gets its own instance of the library's TLS from its image, whether it started before or after
    the dlopen(), and a thread's block is freed when it exits (3,000 threads do not grow the heap by 12 MiB)."""
    binary = binary_of("dlopen_tls.c")
    native = run(binary, [dlopen_tls_library])
    sprig = run(binary, [dlopen_tls_library], preload=preload)
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    results["dlopen_tls.c"] = {"equal": native.stdout == sprig.stdout and native.status == sprig.status,
                               "native_status": native.status, "sprig_status": sprig.status,
                               "native_max_os_threads": native.max_os_threads,
                               "sprig_max_os_threads": sprig.max_os_threads}
    assert native.status == 0 and native.stdout.splitlines() == [
        "threads 21, wrong values 0, distinct instances 1",
        "main's counter 42",
        "3000 threads later the heap grew by less than 1 MiB: yes",
    ], report
    assert sprig.status == native.status and sprig.stdout == native.stdout, report
    assert native.max_os_threads > 1, report
    assert sprig.max_os_threads <= max_sprig_os_threads, report


@pytest.fixture(scope="session")
def static_tls_library(library_of):
    """tests/conformance/libs/div_dlopen_static_tls_lib.c built as a shared library, for dlopen()."""
    return library_of("div_dlopen_static_tls_lib.c", "libdiv_dlopen_static_tls.so")


def test_initial_exec_tls_of_a_library_loaded_while_green_threads_run(binary_of, preload, results, run,
                                                                       static_tls_library):
    """sprig(7), "Initial-exec TLS of a library loaded while green threads run": natively every thread reads the
    image's 42; under sprig a green thread that existed at the dlopen() reads 0 (its block never got the image),
    while main (the OS thread's own identity) and a thread made afterwards read 42."""
    results["div_dlopen_static_tls.c"] = {"equal": None, "as_documented": False,
                                          "divergence": "Initial-exec TLS of a library loaded while green threads run"}
    binary = binary_of("div_dlopen_static_tls.c")
    native = run(binary, [static_tls_library])
    sprig = run(binary, [static_tls_library], preload=preload)
    report = f"native: {native.describe()}\nsprig: {sprig.describe()}"
    assert native.status == 0 and sprig.status == 0, report
    assert native.stdout.splitlines() == [
        "a thread started before the dlopen() reads 42",
        "main reads 42",
        "a thread started after the dlopen() reads 42",
    ], report
    assert sprig.stdout.splitlines() == [
        "a thread started before the dlopen() reads 0",
        "main reads 42",
        "a thread started after the dlopen() reads 42",
    ], report
    results["div_dlopen_static_tls.c"]["as_documented"] = True
