# test_switch_syscalls.py - a switch between green threads makes no system call, with per-thread signal masks: strace counts rt_sigprocmask over 200,000 yields.
import pathlib
import re
import shutil
import subprocess

import pytest

SWITCHES = 200_000


def sigprocmask_calls(observe_program, sprig_env, tmp_path, mode):
    """Runs yield_masks MODE under sprig inside strace -f; returns how many rt_sigprocmask calls it made.
    One worker: the switches measured are those between threads of one worker."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace(1) is needed (make deps installs it)")
    binary = observe_program("yield_masks.c")
    log = tmp_path / f"strace-{mode}.log"
    done = subprocess.run([strace, "-f", "-qq", "-c", "-o", str(log), "-e", "trace=rt_sigprocmask", str(binary),
                           mode], capture_output=True, text=True, timeout=120, env=sprig_env(SPRIG_WORKERS=1))
    assert done.returncode == 0 and done.stdout == f"yields {SWITCHES}\n", done.stdout + done.stderr
    text = log.read_text()
    match = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?rt_sigprocmask\s*$", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("mode", ["same", "blocked"])
def test_threads_with_one_mask_switch_without_a_system_call(observe_program, sprig_env, tmp_path, mode):
    """Every thread has the same mask (the process's, or one that blocks SIGUSR1 in every thread): the kernel
    mask is never set on a switch. A handful of calls come from thread creation and the masks' changes."""
    calls = sigprocmask_calls(observe_program, sprig_env, tmp_path, mode)
    assert calls < 100, f"{calls} rt_sigprocmask calls for {SWITCHES} yields"


def test_threads_with_different_masks_set_the_kernel_mask(observe_program, sprig_env, tmp_path):
    """The check can fail: with two masks, each switch between the two threads sets the kernel's."""
    calls = sigprocmask_calls(observe_program, sprig_env, tmp_path, "differ")
    assert calls > SWITCHES // 2, f"{calls} rt_sigprocmask calls for {SWITCHES} yields"
