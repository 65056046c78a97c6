# conftest.py - the conformance harness: builds programs/*, runs each natively and under libsprig.so, counts OS threads.
import concurrent.futures
import dataclasses
import json
import os
import pathlib
import re
import subprocess
import tempfile
import time

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
PROGRAMS_DIR = pathlib.Path(__file__).resolve().parent / "programs"
RUN_TIMEOUT_S = 30
NOCOMPARE_PREFIX = "#nocompare "

# Under sprig every green thread runs on a worker, one OS thread per CPU of
# the affinity mask by default (SPRIG_WORKERS=N sets the count; `make
# test-workers` runs the compared programs again with SPRIG_WORKERS=1). libuv's
# pool, 4 threads, starts only for DNS and offloaded calls, which only the
# "pool" programs make. The limit leaves room for one helper OS thread of
# sprig's own (a watchdog or signal thread, if one is ever added). Most
# programs keep 5 to 1,000 threads alive at once (as many OS threads natively),
# so a green thread that got its own OS thread goes far past the limit.


def workers_under_sprig():
    """The workers a program run under sprig here gets: SPRIG_WORKERS, else one per usable CPU."""
    given = os.environ.get("SPRIG_WORKERS", "")
    return int(given) if given else min(len(os.sched_getaffinity(0)), 64)


MAX_SPRIG_OS_THREADS = 1 + workers_under_sprig()

COMPILERS = {
    ".c": ["gcc", "-O1", "-pthread", "-Wall", "-Wextra"],
    ".cpp": ["g++", "-std=c++20", "-O1", "-pthread", "-Wall", "-Wextra"],
}

# program name -> {"equal": bool, ...} for a program compared with native; {"equal": None, "summary": text}
# for another own-test result; {"equal": None, "divergence": sprig(7) entry, "as_documented": bool} for a
# program that shows a divergence. Filled by the tests, printed at the end.
RESULTS = {}


def build_dir_path():
    return pathlib.Path(os.environ.get("SPRIG_BUILD") or REPO_ROOT / "build").resolve()


@dataclasses.dataclass(frozen=True)
class Program:
    """A source file in programs/ and what its `/* sprig: ... */` header comment declares."""

    source: pathlib.Path
    traits: frozenset  # "green": OS-thread check ("pool": plus libuv's 4 pool threads); "compare-stderr";
    #                    "own-test": not in the generic comparison; "counts-tasks": prints its
    #                    count of OS threads, not compared with several workers;
    #                    "-lNAME": link with libNAME

    @property
    def name(self):
        return self.source.name

    @property
    def libraries(self):
        return sorted(trait for trait in self.traits if trait.startswith("-l"))


def read_program(source):
    head = "\n".join(source.read_text().splitlines()[:5])
    match = re.search(r"/\*\s*sprig:\s*([^*]*?)\s*\*/", head)
    return Program(source, frozenset(match.group(1).split()) if match else frozenset())


def all_programs():
    return [read_program(path) for path in sorted(PROGRAMS_DIR.iterdir()) if path.suffix in COMPILERS]


@dataclasses.dataclass
class Run:
    """One run of a program: what it printed, how it ended, the most OS threads seen at once."""

    stdout: str
    stderr: str
    status: int  # exit status, or -signal
    max_os_threads: int
    seconds: float
    timed_out: bool

    def compared_stdout(self):
        return [line for line in self.stdout.splitlines() if not line.startswith(NOCOMPARE_PREFIX)]

    def describe(self):
        end = "timed out" if self.timed_out else f"status {self.status}"
        return (f"{end}, {self.seconds:.2f} s, max {self.max_os_threads} OS threads\n"
                f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}---")


def os_thread_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:  # gone, or a zombie being reaped
        return 0


def run_program(binary, args=(), preload=None, timeout=RUN_TIMEOUT_S, env=None):
    """Runs binary with stdin from /dev/null, sampling /proc/PID/task about every millisecond; `env` adds
    variables (SPRIG_TLS=shared)."""
    extra = env or {}
    env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
    env["LC_ALL"] = "C"
    env.update(extra)
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        process = subprocess.Popen([str(binary), *map(str, args)], stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=err, env=env)
        max_threads = 0
        timed_out = False
        while process.poll() is None:
            max_threads = max(max_threads, os_thread_count(process.pid))
            if time.monotonic() - start > timeout:
                process.kill()
                process.wait()
                timed_out = True
                break
            time.sleep(0.001)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Run(out.read().decode(errors="replace"), err.read().decode(errors="replace"), process.returncode,
                   max_threads, seconds, timed_out)


def compile_program(program, out_dir):
    """-> (binary path, None) or (None, compiler output)."""
    binary = out_dir / program.source.stem
    if binary.exists() and binary.stat().st_mtime >= program.source.stat().st_mtime:
        return binary, None
    command = [*COMPILERS[program.source.suffix], "-o", str(binary), str(program.source), *program.libraries]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        binary.unlink(missing_ok=True)
        return None, f"{' '.join(command)}\n{result.stdout}{result.stderr}"
    return binary, None


@pytest.fixture(scope="session")
def sprig_build():
    path = build_dir_path()
    if not (path / "libsprig.so").exists():
        pytest.fail(f"no libsprig.so in {path}: run `make` first")
    return path


@pytest.fixture(scope="session")
def preload(sprig_build):
    return sprig_build / "libsprig.so"


@pytest.fixture(scope="session")
def binaries(sprig_build):
    """Every program compiled into $SPRIG_BUILD/conformance/: name -> (binary, compile error)."""
    out_dir = sprig_build / "conformance"
    out_dir.mkdir(parents=True, exist_ok=True)
    programs = all_programs()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        built = pool.map(lambda program: compile_program(program, out_dir), programs)
        return {program.name: result for program, result in zip(programs, built)}


@pytest.fixture(scope="session")
def binary_of(binaries):
    def get(name):
        binary, error = binaries[name]
        if binary is None:
            pytest.fail(f"{name} does not compile:\n{error}")
        return binary

    return get


@pytest.fixture(scope="session")
def results():
    return RESULTS


@pytest.fixture(scope="session")
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope="session")
def library_of(sprig_build, repo_root):
    """library_of(source name in libs/, library name) -> the shared library built from it (for dlopen()), with
    gcc for .c and g++ -std=c++20 for .cpp; rebuilt when the source is newer."""
    def get(source_name, library_name):
        source = repo_root / "tests/conformance/libs" / source_name
        library = sprig_build / "conformance" / library_name
        library.parent.mkdir(parents=True, exist_ok=True)
        compiler = ["g++", "-std=c++20"] if source.suffix == ".cpp" else ["gcc"]
        if not library.exists() or library.stat().st_mtime < source.stat().st_mtime:
            subprocess.run([*compiler, "-O1", "-Wall", "-Wextra", "-shared", "-fPIC", "-o", str(library),
                            str(source)], check=True, capture_output=True, text=True, timeout=120)
        return library
    return get


@pytest.fixture(scope="session")
def run():
    """run(binary, args=(), preload=None, timeout=30, env=None) -> Run."""
    return run_program


@pytest.fixture(scope="session")
def max_sprig_os_threads():
    return MAX_SPRIG_OS_THREADS


@pytest.fixture(scope="session")
def sprig_workers():
    return workers_under_sprig()


@pytest.fixture
def one_worker(monkeypatch):
    """The sprig runs of the test get SPRIG_WORKERS=1: what it shows is stated in sprig(7) for one
    worker (with several, it holds for the worker a thread runs on)."""
    monkeypatch.setenv("SPRIG_WORKERS", "1")


def pytest_generate_tests(metafunc):
    """A test taking `program` runs once per program of programs/ (not the own-test ones), named after the file."""
    if "program" in metafunc.fixturenames:
        compared = [program for program in all_programs() if "own-test" not in program.traits]
        metafunc.parametrize("program", compared, ids=[program.name for program in compared])


def pytest_terminal_summary(terminalreporter):
    compared = {name: result for name, result in RESULTS.items() if result.get("equal") is not None}
    if compared:
        equal = sum(1 for result in compared.values() if result["equal"])
        terminalreporter.write_line(f"conformance: {len(compared)} programs, {equal} equal to native")
        for name in sorted(name for name, result in compared.items() if not result["equal"]):
            terminalreporter.write_line(f"  differs from native: {name}")
    # Programs that show a divergence sprig(7) lists: both outputs asserted by their own test.
    shown = {name: result for name, result in RESULTS.items() if "divergence" in result}
    if shown:
        documented = sum(1 for result in shown.values() if result["as_documented"])
        terminalreporter.write_line(f"divergences: {len(shown)} programs show what sprig(7) lists, "
                                    f"{documented} as documented")
        for name in sorted(name for name, result in shown.items() if not result["as_documented"]):
            terminalreporter.write_line(f"  not as documented: {name} ({shown[name]['divergence']})")
    for name, result in sorted(RESULTS.items()):
        if result.get("equal") is None and "divergence" not in result:
            terminalreporter.write_line(f"{name}: {result['summary']}")
    out_dir = build_dir_path() / "conformance"
    if RESULTS and out_dir.is_dir():
        (out_dir / "results.json").write_text(json.dumps(RESULTS, indent=2, sort_keys=True) + "\n")
