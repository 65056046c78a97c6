# test_exports.py - libsprig.so exports exactly the rows of shim/hooks.def and the sprig_ API of sprig.h.
import re
import subprocess


def hooks_def_names(repo_root):
    """The second argument of every SPRIG_HOOK(...), SPRIG_HOOK_CANCEL(...), SPRIG_HOOK_FOREIGN(...) and SPRIG_HOOK_CUSTOM(...) row, rows may span lines."""
    text = (repo_root / "shim" / "hooks.def").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    names = re.findall(r"\bSPRIG_HOOK(?:_CUSTOM|_CANCEL|_FOREIGN)?\s*\(\s*[^,]+?,\s*([A-Za-z_][A-Za-z0-9_]*)\s*,", text)
    assert names, "no SPRIG_HOOK rows found in shim/hooks.def"
    assert len(names) == len(set(names)), f"a symbol is listed twice in hooks.def: {sorted(names)}"
    return set(names)


def sprig_api_names(repo_root):
    text = (repo_root / "runtime" / "include" / "sprig.h").read_text()
    return {match.rstrip("(") for match in re.findall(r"sprig_[a-z_]*\(", text)}


def exported_names(library):
    output = subprocess.run(["nm", "-D", "--defined-only", str(library)], capture_output=True, text=True,
                            check=True).stdout
    names = set()
    for line in output.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[1] == "A":  # "A": a symbol version node, not a symbol
            continue
        names.add(fields[2].split("@")[0])
    return names


def test_hooks_def_parses(repo_root):
    names = hooks_def_names(repo_root)
    assert {"__libc_start_main", "pthread_create", "pthread_exit", "nanosleep"} <= names


def test_exports_equal_hooks_def_and_api(repo_root, preload):
    expected = hooks_def_names(repo_root) | sprig_api_names(repo_root)
    exported = exported_names(preload)
    assert sorted(exported - expected) == [], "exported but not in hooks.def or sprig.h"
    assert sorted(expected - exported) == [], "in hooks.def or sprig.h but not exported"
