# conftest.py - shared fixtures for the pytest suite: where the build is, and running its programs.
import os
import pathlib
import subprocess

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
PROGRAM_TIMEOUT_S = 60


@pytest.fixture(scope="session")
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope="session")
def build_dir():
    """The build directory: $SPRIG_BUILD (set by `make test-py`), else REPO/build."""
    path = pathlib.Path(os.environ.get("SPRIG_BUILD") or REPO_ROOT / "build").resolve()
    if not (path / "libsprig-rt.so").exists():
        pytest.fail(f"no libsprig-rt.so in {path}: run `make examples bench-build` first")
    return path


@pytest.fixture
def run(build_dir):
    """run(relative_path, *args) -> CompletedProcess of build_dir/relative_path, with a timeout."""

    def run_program(relative_path, *args, timeout=PROGRAM_TIMEOUT_S):
        program = build_dir / relative_path
        assert program.exists(), f"{program} is not built"
        return subprocess.run([str(program), *map(str, args)], capture_output=True, text=True, timeout=timeout)

    return run_program


def parse_fields(line):
    """'a=1 b=x' -> {'a': '1', 'b': 'x'}; tokens without '=' are skipped."""
    return dict(token.split("=", 1) for token in line.split() if "=" in token)


@pytest.fixture(scope="session")
def fields():
    """fields(output, first_key) -> the key=value pairs of the last line starting with first_key=."""

    def last_line_fields(output, first_key):
        lines = [line for line in output.splitlines() if line.startswith(first_key + "=")]
        assert lines, f"no line starting with {first_key}= in:\n{output}"
        return parse_fields(lines[-1])

    return last_line_fields


OBSERVE_DIR = REPO_ROOT / "tests" / "py" / "observe"
CONFORMANCE_PROGRAMS_DIR = REPO_ROOT / "tests" / "conformance" / "programs"


@pytest.fixture(scope="session")
def observe_program(build_dir):
    """observe_program(name) -> path of tests/py/observe/NAME (or tests/conformance/programs/NAME), compiled
    into build/observe/ with symbols, as a user's program would be."""

    def compile_program(name):
        source = OBSERVE_DIR / name
        if not source.exists():
            source = CONFORMANCE_PROGRAMS_DIR / name
        out_dir = build_dir / "observe"
        out_dir.mkdir(parents=True, exist_ok=True)
        binary = out_dir / source.stem
        if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
            command = ["gcc", "-O1", "-g", "-pthread", "-Wall", "-Wextra", "-o", str(binary), str(source)]
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}{result.stderr}"
        return binary

    return compile_program


@pytest.fixture(scope="session")
def sprig_env(build_dir):
    """sprig_env(**variables) -> an environment that preloads build/libsprig.so with the SPRIG_* variables given."""
    preload = build_dir / "libsprig.so"
    if not preload.exists():
        pytest.fail(f"no libsprig.so in {build_dir}: run `make` first")

    def environment(**variables):
        env = {key: value for key, value in os.environ.items()
               if key != "LD_PRELOAD" and not key.startswith("SPRIG_")}
        env["LD_PRELOAD"] = str(preload)
        env["LC_ALL"] = "C"
        env.update({key: str(value) for key, value in variables.items()})
        return env

    return environment


@pytest.fixture(scope="session")
def sprig_ps(repo_root):
    """sprig_ps(pid, *options) -> CompletedProcess of `scripts/sprig ps` (the launcher runs scripts/sprig-ps)."""

    def run_ps(pid, *options, timeout=30):
        return subprocess.run([str(repo_root / "scripts" / "sprig"), "ps", *options, str(pid)],
                              capture_output=True, text=True, timeout=timeout)

    return run_ps
