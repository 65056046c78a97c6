# test_java.py - the JVM under sprig (its GC, JIT compiler and VM threads green), JDK 17 and 25: `java -version`, and java/Echo.java run from source, a thread-per-connection echo server with 500 client threads in the same JVM.
import pathlib

import pytest

from harness import assert_green, require, run_compared

ECHO_SOURCE = pathlib.Path(__file__).resolve().parent / "java" / "Echo.java"
JDK25 = pathlib.Path("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")
ECHO_OUTPUT = """\
clients: 500, rounds: 4
right answers: 2000 of 2000
connections served: 500
bytes echoed: 88560
failures: 0
"""


@pytest.fixture(params=["17", "25"])
def java(request):
    """-> (JDK version, java launcher): Debian's JDK 17 at /usr/bin/java, or Temurin 25."""
    if request.param == "17":
        return "17", require("java", "openjdk-17-jdk-headless")
    if not JDK25.exists():
        pytest.skip(f"{JDK25} not found: Temurin 25 is not installed")
    return "25", JDK25


def test_java_version(java, preload):
    version, launcher = java
    native, sprig, report = run_compared(f"java {version} -version", [launcher, "-version"], preload, timeout=20,
                                    names=True)
    assert native.status == 0 and f'version "{version}.' in native.stderr, report
    assert sprig.status == 0, f"the sprig run ended with status {sprig.status}\n{report}"
    assert sprig.stderr == native.stderr and sprig.stdout == native.stdout, f"output differs\n{report}"
    # Natively the JVM starts some 16 threads before it prints: VM Thread, GC and G1 threads,
    # C1 and C2 compilers, Reference Handler, Finalizer, Signal Dispatcher, Service Thread, ...
    assert_green(native, sprig, report, native_at_least=10)


def test_java_echo_500_clients(java, preload):
    """java Echo.java (the source launcher compiles it in the same JVM, under sprig too)."""
    version, launcher = java
    native, sprig, report = run_compared(f"java {version} Echo.java", [launcher, ECHO_SOURCE], preload, timeout=50)
    assert native.status == 0 and native.stdout == ECHO_OUTPUT, f"unexpected native output\n{report}"
    assert sprig.status == 0, f"the sprig run ended with status {sprig.status}\n{report}"
    assert sprig.stdout == native.stdout, f"output differs\n{report}"
    # Natively the 500 clients and main meet at a barrier once connected, with the acceptor,
    # the server threads accepted so far and the JVM's own: 800 to 1,000 were seen here.
    assert_green(native, sprig, report, native_at_least=500)
