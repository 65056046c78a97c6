# test_ruby.py - Debian's ruby under sprig: 1,000 sleeping threads, TCP echo with a thread-per-connection TCPServer, thread-locals.
from harness import SCRIPTS, assert_green, require, run_compared


def test_ruby_1000_threads_sleep_tcp_and_locals(preload):
    """1,000 Ruby threads, all alive at once, sleep 0.2-0.5 s, then each talks TCP to a TCPServer in the
    same process (a handler thread per connection) and checks Thread.current[:x] and thread_variable_get."""
    ruby = require("ruby", "ruby")
    argv = [ruby, SCRIPTS / "ruby_threads.rb"]
    native, sprig, report = run_compared("ruby ruby_threads.rb", argv, preload, timeout=60)
    assert native.status == 0, f"the script fails natively\n{report}"
    assert "wrong values: 0" in native.stdout, report
    assert sprig.stdout == native.stdout, f"stdout differs\n{report}"
    assert sprig.status == native.status, f"exit status differs\n{report}"
    assert_green(native, sprig, report, native_at_least=500)
