# test_cpp_api.py - runs the sprig.hpp smoke program and checks that every check passed.
CHECKS = ["spawn_outside_run_throws", "self_nonzero", "mutex_lock_guard", "mutex_try_lock", "condvar_predicate",
          "condvar_timeout", "semaphore", "waitgroup_detach", "channel", "thread_move_join_timeout",
          "destructor_joins", "sleep_for_chrono", "run_returns_0"]


def test_cpp_api_smoke_passes_every_check(run):
    done = run("bench/cpp_api_smoke")
    lines = done.stdout.splitlines()
    failed = [line for line in lines if line.endswith("FAILED")]
    assert not failed, done.stdout + done.stderr
    for check in CHECKS:
        assert f"check {check} ok" in lines, f"missing check {check}:\n{done.stdout}{done.stderr}"
    assert lines[-1] == "cpp_api_smoke: all ok"
    assert done.returncode == 0
