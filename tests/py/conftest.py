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
