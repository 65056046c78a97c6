# ruby_threads.rb - 1,000 Ruby threads that sleep at once, then talk TCP to a thread-per-connection
# TCPServer in the same process, each checking its fiber-local and thread variables; prints only
# results that do not depend on scheduling.
require "socket"

THREADS = 1000
SLEEPS_S = [0.2, 0.3, 0.4, 0.5]  # thread i sleeps SLEEPS_S[i % 4]
BOUND_S = 30

server = TCPServer.new("127.0.0.1", 0)
server.listen(THREADS)
port = server.addr[1]

# The server: one handler thread per connection, answering one line with it reversed and upcased.
handlers = Queue.new
acceptor = Thread.new do
  THREADS.times do
    connection = server.accept
    handlers << Thread.new(connection) do |peer|
      Thread.current[:peer] = peer
      line = peer.gets
      Thread.current[:peer].write("#{line.chomp.reverse.upcase}\n")
      peer.close
      line.bytesize
    end
  end
end

# All clients are alive and asleep at once: each counts itself in and waits (up to 10 s) for the rest.
latch = Mutex.new
arrived = ConditionVariable.new
started = 0

started_at = Process.clock_gettime(Process::CLOCK_MONOTONIC)
clients = Array.new(THREADS) do |index|
  Thread.new(index) do |i|
    Thread.current[:index] = i
    Thread.current.thread_variable_set(:square, i * i)
    Thread.current.name = "client-#{i}"
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 10
    all_alive = latch.synchronize do
      started += 1
      arrived.broadcast
      while started < THREADS && (left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)) > 0
        arrived.wait(latch, left)
      end
      started == THREADS
    end
    sleep(SLEEPS_S[i % SLEEPS_S.size])
    answer = TCPSocket.open("127.0.0.1", port) do |socket|
      socket.write("ping #{i}\n")
      socket.gets
    end
    wrong = all_alive ? 0 : 1
    wrong += 1 unless answer == "ping #{i}".reverse.upcase + "\n"
    wrong += 1 unless Thread.current[:index] == i
    wrong += 1 unless Thread.current.thread_variable_get(:square) == i * i
    wrong += 1 unless Thread.current.name == "client-#{i}"
    [i, wrong]
  end
end

results = clients.map(&:value)
elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started_at
acceptor.join
served = Array.new(THREADS) { handlers.pop.value }
server.close

wrong = results.sum { |_, count| count }
indexes = results.sum { |i, _| i }
puts "threads #{THREADS}, all alive at once before sleeping (else counted wrong)"
puts "answers checked: #{results.size}, wrong values: #{wrong}"
puts "sum of indexes #{indexes} (want #{THREADS * (THREADS - 1) / 2})"
puts "server handlers #{served.size}, bytes read #{served.sum}"
total = (0...THREADS).sum { |i| SLEEPS_S[i % SLEEPS_S.size] }.round
puts "#{THREADS} sleeps of #{SLEEPS_S.min}-#{SLEEPS_S.max} s (#{total} s in all) overlapped: " \
     "took at least #{SLEEPS_S.max} s: #{elapsed >= SLEEPS_S.max}, under #{BOUND_S} s: #{elapsed < BOUND_S}"
puts "main's fiber-local untouched: #{Thread.current[:index].nil?}, threads left: #{Thread.list.size}"
exit(wrong.zero? && elapsed >= SLEEPS_S.max && elapsed < BOUND_S ? 0 : 1)
