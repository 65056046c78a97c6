# conftest.py - the fixtures and the end-of-session summary of tests/real (the helpers are in harness.py).
import json

import pytest

from harness import RESULTS, build_dir_path


@pytest.fixture(scope="session")
def preload():
    path = build_dir_path() / "libsprig.so"
    if not path.exists():
        pytest.fail(f"no libsprig.so in {path.parent}: run `make` first")
    return path


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    terminalreporter.write_line("real programs (native vs sprig):")
    for name, result in sorted(RESULTS.items()):
        terminalreporter.write_line(f"  {name}: {result['summary']}")
    out_dir = build_dir_path() / "real"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(RESULTS, indent=2, sort_keys=True) + "\n")
