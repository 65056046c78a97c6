# test_man.py - the man pages render without a single groff warning, and document every launcher option and SPRIG_* variable.
import pathlib
import re
import subprocess

import pytest

MAN_DIR = pathlib.Path(__file__).resolve().parents[2] / "man"
MAN_PAGES = sorted(path.name for path in MAN_DIR.iterdir() if re.search(r"\.[1-8]$", path.name))


def render(page_path):
    """groff -man -Tutf8 -ww: every warning on; returns (status, text, warnings)."""
    result = subprocess.run(["groff", "-man", "-Tutf8", "-ww", str(page_path)], capture_output=True, timeout=60)
    text = subprocess.run(["col", "-bx"], input=result.stdout, capture_output=True, timeout=60).stdout
    return result.returncode, text.decode(), result.stderr.decode()


@pytest.mark.parametrize("page", MAN_PAGES)
def test_page_renders_without_warnings(repo_root, page):
    status, text, warnings = render(repo_root / "man" / page)
    assert (status, warnings) == (0, "")
    name, section = page.rsplit(".", 1)
    assert text.lstrip().startswith(f"{name.upper()}({section})")
    assert "\nNAME\n" in text and "\nSEE ALSO\n" in text


def test_the_three_pages_are_there():
    assert {"sprig.1", "libsprig.3", "sprig.7"} <= set(MAN_PAGES)


def test_sprig1_documents_every_option_of_the_help(repo_root):
    help_text = subprocess.run([str(repo_root / "scripts" / "sprig"), "--help"], capture_output=True, text=True,
                               timeout=30).stdout
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])\b", help_text))
    assert {"--stack-size", "--stack-pool", "--switch", "--no-inherit", "--inherit", "--print-library", "--help",
            "--version", "-h", "-V"} <= options
    _, text, _ = render(repo_root / "man" / "sprig.1")
    options_section = text.split("\nOPTIONS\n", 1)[1].split("\nEXIT STATUS\n", 1)[0]
    for option in options:
        assert re.search(rf"^\s+.*(?<![\w-]){re.escape(option)}(?![\w-])", options_section, re.M), option


def test_every_sprig_variable_the_runtime_reads_is_documented(repo_root):
    variables = set(re.findall(r'getenv\("(SPRIG_[A-Z_]+)"\)', (repo_root / "runtime" / "core" / "config.cpp").read_text()))
    assert {"SPRIG_STACK_SIZE", "SPRIG_STACK_POOL", "SPRIG_SWITCH", "SPRIG_INHERIT"} <= variables
    _, sprig7, _ = render(repo_root / "man" / "sprig.7")
    environment7 = sprig7.split("\nENVIRONMENT\n", 1)[1].split("\nDIAGNOSTICS\n", 1)[0]
    _, sprig1, _ = render(repo_root / "man" / "sprig.1")
    environment1 = sprig1.split("\nENVIRONMENT\n", 1)[1].split("\nEXAMPLES\n", 1)[0]
    for variable in variables:
        assert re.search(rf"^ {{7}}{variable}\b", environment7, re.M), f"sprig(7) ENVIRONMENT lacks {variable}"
        assert variable in environment1, f"sprig(1) ENVIRONMENT lacks {variable}"
