# test_launcher.py - the sprig launcher (scripts/sprig): LD_PRELOAD, options, PATH lookup, refusals with status 2, exit status.
import os
import pathlib
import re
import shutil
import subprocess

import pytest

TIMEOUT_S = 30
# A library every Debian system has that none of the programs below loads by
# itself: if it shows up in a process's maps, LD_PRELOAD put it there.
OTHER_PRELOAD = pathlib.Path("/usr/lib/x86_64-linux-gnu/libz.so.1")


def clean_environment(**extra):
    """The test's environment without any preload or SPRIG_* variable it may carry (make sets SPRIG_BUILD)."""
    environment = {name: value for name, value in os.environ.items()
                   if name != "LD_PRELOAD" and not name.startswith("SPRIG_")}
    environment.update(extra)
    return environment


@pytest.fixture(scope="module")
def installed_layout(build_dir, tmp_path_factory):
    """PREFIX/bin/sprig and PREFIX/lib/libsprig.so, copied, as `make install` lays them out."""
    prefix = tmp_path_factory.mktemp("layout")
    (prefix / "bin").mkdir()
    (prefix / "lib").mkdir()
    shutil.copy2(pathlib.Path(__file__).resolve().parents[2] / "scripts" / "sprig", prefix / "bin" / "sprig")
    shutil.copy2(build_dir / "libsprig.so", prefix / "lib" / "libsprig.so")
    return prefix


@pytest.fixture(scope="module")
def sprig(installed_layout):
    """sprig(*args, env=..., cwd=...) -> CompletedProcess of the launcher, libsprig.so from this build."""

    def run_launcher(*args, env=None, cwd=None):
        if env is None:
            env = clean_environment()
        return subprocess.run([str(installed_layout / "bin" / "sprig"), *map(str, args)], capture_output=True,
                              text=True, timeout=TIMEOUT_S, env=env, cwd=cwd)

    return run_launcher


@pytest.fixture(scope="module")
def library(installed_layout):
    return str(installed_layout / "lib" / "libsprig.so")


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """Small programs: 'dynamic' exits with its first argument; 'static' is the same, linked statically."""
    directory = tmp_path_factory.mktemp("programs")
    source = directory / "exit_with.c"
    source.write_text("#include <stdlib.h>\nint main(int argc, char **argv) { return argc > 1 ? atoi(argv[1]) : 0; }\n")
    for name, flags in (("dynamic", []), ("static", ["-static"])):
        subprocess.run(["gcc", "-O1", *flags, str(source), "-o", str(directory / name)], check=True,
                       capture_output=True, timeout=60)
    return directory


def assert_usage_error(result, *words):
    """Status 2, nothing on stdout, exactly one line on stderr starting 'sprig: ' and holding each word."""
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sprig: "), result.stderr
    for word in words:
        assert word in lines[0], result.stderr


def makefile_version():
    makefile = (pathlib.Path(__file__).resolve().parents[2] / "Makefile").read_text()
    return re.search(r"^VERSION := (\S+)$", makefile, re.M).group(1)


def test_help_lists_every_option_and_exits_0(sprig):
    for flag in ("--help", "-h"):
        result = sprig(flag)
        assert result.returncode == 0 and result.stderr == ""
        assert result.stdout.startswith("Usage: sprig [OPTIONS] [--] PROG [ARGS...]\n")
        for option in ("--stack-size=SIZE", "--stack-pool=COUNT", "--switch=KIND", "--tls=MODE", "--no-inherit",
                       "--inherit",
                       "--stats", "--trace=FILE", "--dump-signal=SIG", "--on-deadlock=WHAT", "--watchdog-ms=MS",
                       "--print-library", "--help", "--version", "sprig ps"):
            assert option in result.stdout


def test_version_is_the_makefile_version(sprig):
    for flag in ("--version", "-V"):
        result = sprig(flag)
        assert (result.returncode, result.stdout, result.stderr) == (0, f"sprig {makefile_version()}\n", "")


def test_print_library_installed_and_source_tree(sprig, library, repo_root):
    assert sprig("--print-library").stdout == library + "\n"
    # scripts/sprig in the source tree uses build/libsprig.so, or says it is missing.
    result = subprocess.run([str(repo_root / "scripts" / "sprig"), "--print-library"], capture_output=True,
                            text=True, timeout=TIMEOUT_S)
    if (repo_root / "build" / "libsprig.so").exists():
        assert result.stdout == str((repo_root / "build" / "libsprig.so").resolve()) + "\n"
    else:
        assert_usage_error(result, "cannot find libsprig.so")


def test_symlinked_launcher_finds_the_library_of_its_target(installed_layout, library, tmp_path):
    link = tmp_path / "sprig"
    link.symlink_to(installed_layout / "bin" / "sprig")
    result = subprocess.run([str(link), "--print-library"], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.stdout == library + "\n"


def test_no_library_next_to_the_launcher_is_a_usage_error(repo_root, programs, tmp_path):
    (tmp_path / "bin").mkdir()
    shutil.copy2(repo_root / "scripts" / "sprig", tmp_path / "bin" / "sprig")
    result = subprocess.run([str(tmp_path / "bin" / "sprig"), str(programs / "dynamic")], capture_output=True,
                            text=True, timeout=TIMEOUT_S)
    assert_usage_error(result, "cannot find libsprig.so")


def test_preload_is_set_alone_when_there_was_none(sprig, library):
    result = sprig("/bin/sh", "-c", 'printf "%s\\n" "$LD_PRELOAD"; grep -c libsprig.so /proc/$$/maps')
    assert result.returncode == 0, result.stderr
    value, count = result.stdout.split("\n", 1)
    assert value == library
    assert int(count) >= 1  # the shell really loaded it


def test_preload_is_prepended_to_an_existing_one(sprig, library):
    environment = clean_environment(LD_PRELOAD=str(OTHER_PRELOAD))
    result = sprig("/bin/sh", "-c", 'printf "%s\\n" "$LD_PRELOAD"; cat /proc/$$/maps', env=environment)
    assert result.returncode == 0, result.stderr
    value, maps = result.stdout.split("\n", 1)
    assert value == f"{library}:{OTHER_PRELOAD}"
    assert "libsprig.so" in maps and OTHER_PRELOAD.name in maps


def test_options_set_the_sprig_variables(sprig):
    result = sprig("--stack-size=1M", "--stack-pool", "7", "--switch", "ucontext", "--tls=shared", "--inherit",
                   "/usr/bin/env")
    assert result.returncode == 0, result.stderr
    variables = dict(line.split("=", 1) for line in result.stdout.splitlines() if line.startswith("SPRIG_"))
    assert variables == {"SPRIG_STACK_SIZE": "1M", "SPRIG_STACK_POOL": "7", "SPRIG_SWITCH": "ucontext",
                         "SPRIG_TLS": "shared", "SPRIG_INHERIT": "1"}


def test_observation_options_set_their_variables(sprig):
    result = sprig("--stats", "--trace", "/tmp/t.json", "--dump-signal=USR2", "--on-deadlock", "abort",
                   "--watchdog-ms=250", "/usr/bin/env")
    assert result.returncode == 0, result.stderr
    variables = dict(line.split("=", 1) for line in result.stdout.splitlines() if line.startswith("SPRIG_"))
    assert variables == {"SPRIG_STATS": "1", "SPRIG_TRACE": "/tmp/t.json", "SPRIG_DUMP_SIGNAL": "USR2",
                         "SPRIG_ON_DEADLOCK": "abort", "SPRIG_WATCHDOG_MS": "250"}


def test_an_option_overrides_the_environment_and_an_unset_one_keeps_it(sprig):
    environment = clean_environment(SPRIG_STACK_SIZE="64K", SPRIG_STACK_POOL="3")
    result = sprig("--stack-size=128K", "/usr/bin/env", env=environment)
    variables = dict(line.split("=", 1) for line in result.stdout.splitlines() if line.startswith("SPRIG_"))
    assert variables == {"SPRIG_STACK_SIZE": "128K", "SPRIG_STACK_POOL": "3"}


def test_a_bad_value_is_refused_by_the_runtime_with_127(sprig, programs):
    result = sprig("--stack-size=1k", programs / "dynamic", 5)
    assert result.returncode == 127
    assert result.stderr == "sprig: SPRIG_STACK_SIZE: bad value '1k' (want a size from 16K to 1G, such as 256K)\n"
    result = sprig("--switch=fast", programs / "dynamic", 5)
    assert (result.returncode, result.stderr) == (127, "sprig: SPRIG_SWITCH: bad value 'fast' (want asm or ucontext)\n")


def test_children_inherit_the_preload_by_default(sprig):
    # The shell's child (grep) has libsprig.so in its own maps.
    result = sprig("/bin/sh", "-c", "grep -c libsprig.so /proc/self/maps")
    assert result.returncode == 0 and int(result.stdout) >= 1, result


def test_no_inherit_takes_only_sprig_out_of_the_children_preload(sprig):
    environment = clean_environment(LD_PRELOAD=str(OTHER_PRELOAD))
    script = ('grep -c libsprig.so /proc/$$/maps; printf "%s\\n" "$LD_PRELOAD"; '
              'grep -c libsprig.so /proc/self/maps; grep -c ' + OTHER_PRELOAD.name + ' /proc/self/maps; exit 0')
    result = sprig("--no-inherit", "/bin/sh", "-c", script, env=environment)
    assert result.returncode == 0, result.stderr
    in_shell, shell_preload, in_child, other_in_child = result.stdout.splitlines()
    assert int(in_shell) >= 1  # the shell itself still runs under sprig
    assert shell_preload == str(OTHER_PRELOAD)  # its environment lost sprig's entry, kept the other
    assert int(in_child) == 0  # its child (grep) started without sprig
    assert int(other_in_child) >= 1  # but with the other preload


def test_sprig_inherit_without_the_launcher(library):
    """The runtime, not the launcher, strips LD_PRELOAD; a bare name entry counts, a bad value is refused."""
    environment = clean_environment(LD_PRELOAD=f"{OTHER_PRELOAD} {library}:{library}", SPRIG_INHERIT="0")
    result = subprocess.run(["/usr/bin/env"], capture_output=True, text=True, timeout=TIMEOUT_S, env=environment)
    assert f"LD_PRELOAD={OTHER_PRELOAD}\n" in result.stdout
    environment = clean_environment(LD_PRELOAD=pathlib.Path(library).name, SPRIG_INHERIT="0",
                                    LD_LIBRARY_PATH=str(pathlib.Path(library).parent))
    result = subprocess.run(["/usr/bin/env"], capture_output=True, text=True, timeout=TIMEOUT_S, env=environment)
    assert result.returncode == 0 and "LD_PRELOAD=" not in result.stdout
    environment = clean_environment(LD_PRELOAD=library, SPRIG_INHERIT="no")
    result = subprocess.run(["/usr/bin/env"], capture_output=True, text=True, timeout=TIMEOUT_S, env=environment)
    assert (result.returncode, result.stdout) == (127, "")
    assert result.stderr == "sprig: SPRIG_INHERIT: bad value 'no' (want 1 or 0)\n"


def test_exit_status_of_the_program_is_passed_through(sprig, programs):
    for code in (0, 1, 42, 255):
        assert sprig(programs / "dynamic", code).returncode == code
    assert sprig("/bin/sh", "-c", "kill -TERM $$").returncode == -15


def test_arguments_after_the_program_are_the_programs(sprig):
    result = sprig("/bin/sh", "-c", 'printf "[%s]" "$@"', "sh", "--version", "--", "-h", "a b")
    assert (result.returncode, result.stdout) == (0, "[--version][--][-h][a b]")
    result = sprig("--", "/bin/sh", "-c", "echo after-dashes")
    assert result.stdout == "after-dashes\n"


def test_the_program_is_found_in_path_like_exec(sprig, programs, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "sprig-test-prog").write_text("not executable\n")  # skipped: not executable
    shutil.copy2(programs / "dynamic", second / "sprig-test-prog")
    environment = clean_environment(PATH=f"{first}:{second}:/usr/bin:/bin")
    assert sprig("sprig-test-prog", 9, env=environment).returncode == 9
    # An empty PATH entry is the current directory.
    environment["PATH"] = "/usr/bin::/bin"
    assert sprig("sprig-test-prog", 8, env=environment, cwd=second).returncode == 8
    environment["PATH"] = f"{first}"
    assert_usage_error(sprig("sprig-test-prog", env=environment), "sprig-test-prog: command not found")


def test_unknown_option_is_a_usage_error_and_runs_nothing(sprig, tmp_path):
    marker = tmp_path / "ran"
    for option in ("--bogus", "-x", "--stack-size-typo=1M"):
        assert_usage_error(sprig(option, "/usr/bin/touch", marker), f"unknown option '{option}'")
    assert not marker.exists()


def test_missing_option_value_is_a_usage_error(sprig):
    assert_usage_error(sprig("--stack-size"), "'--stack-size' needs a value")
    assert_usage_error(sprig("--switch="), "'--switch' needs a value")


def test_missing_program_is_a_usage_error(sprig, tmp_path):
    assert_usage_error(sprig(), "no program given")
    assert_usage_error(sprig("--switch=asm"), "no program given")
    assert_usage_error(sprig("sprig-no-such-program-anywhere"), "command not found")
    assert_usage_error(sprig(tmp_path / "absent"), "no such file")
    assert_usage_error(sprig(tmp_path), "not a regular file")
    text = tmp_path / "text"
    text.write_text("hello\n")
    assert_usage_error(sprig(text), "not executable")


def test_static_binary_is_a_usage_error(sprig, programs):
    # The static program itself runs fine natively: the refusal is about the preload.
    assert subprocess.run([str(programs / "static"), "4"], timeout=TIMEOUT_S).returncode == 4
    assert_usage_error(sprig(programs / "static", 4), "statically linked", "static")


def test_scripts_run_and_a_static_interpreter_is_a_usage_error(sprig, library, programs, tmp_path):
    script = tmp_path / "script.sh"
    script.write_text('#!/bin/sh\nprintf "%s" "$LD_PRELOAD"\nexit 6\n')
    script.chmod(0o755)
    result = sprig(script)
    assert (result.returncode, result.stdout) == (6, library)
    with_spaces = tmp_path / "env_script"
    with_spaces.write_text("#! /usr/bin/env sh\nexit 5\n")
    with_spaces.chmod(0o755)
    assert sprig(with_spaces).returncode == 5
    static_script = tmp_path / "static_script"
    static_script.write_text(f"#!{programs / 'static'}\n")
    static_script.chmod(0o755)
    assert_usage_error(sprig(static_script), "interpreter", "statically linked")


def test_a_non_x86_64_elf_is_a_usage_error(sprig, programs, tmp_path):
    other = tmp_path / "other_machine"
    data = bytearray((programs / "dynamic").read_bytes())
    data[18:20] = (183).to_bytes(2, "little")  # EM_AARCH64
    other.write_bytes(bytes(data))
    other.chmod(0o755)
    assert_usage_error(sprig(other), "not an x86-64 program")
