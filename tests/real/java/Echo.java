// Echo.java - a thread-per-connection ServerSocket echo server and 500 platform client threads in the same JVM, all connected at once, each doing a few line round trips; prints a deterministic summary.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

public class Echo {
    static final int CLIENTS = 500;
    static final int ROUNDS = 4;

    static final AtomicInteger served = new AtomicInteger();
    static final AtomicInteger rightAnswers = new AtomicInteger();
    static final AtomicLong bytesEchoed = new AtomicLong();
    static final AtomicInteger failures = new AtomicInteger();

    static BufferedReader reader(Socket socket) throws Exception {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    static PrintWriter writer(Socket socket) throws Exception {
        return new PrintWriter(new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8), true);
    }

    // One thread per connection: echoes each line, upper-cased, until the client closes.
    static void serve(Socket connection) {
        try (connection; BufferedReader in = reader(connection); PrintWriter out = writer(connection)) {
            for (String line; (line = in.readLine()) != null; ) {
                out.println(line.toUpperCase());
                bytesEchoed.addAndGet(line.length() + 1);
            }
            served.incrementAndGet();
        } catch (Exception error) {
            failures.incrementAndGet();
            System.err.println("server: " + error);
        }
    }

    static void client(int index, int port, CyclicBarrier allConnected) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 20000);
            socket.setSoTimeout(20000);
            BufferedReader in = reader(socket);
            PrintWriter out = writer(socket);
            allConnected.await(30, TimeUnit.SECONDS);
            for (int round = 0; round < ROUNDS; round++) {
                String line = "client " + index + " round " + round + " " + "x".repeat(index % 50);
                out.println(line);
                if (line.toUpperCase().equals(in.readLine())) {
                    rightAnswers.incrementAndGet();
                }
            }
        } catch (Exception error) {
            failures.incrementAndGet();
            System.err.println("client " + index + ": " + error);
        }
    }

    public static void main(String[] args) throws Exception {
        ServerSocket listener = new ServerSocket(0, CLIENTS, InetAddress.getLoopbackAddress());
        int port = listener.getLocalPort();
        Thread acceptor = new Thread(() -> {
            try {
                for (int accepted = 0; accepted < CLIENTS; accepted++) {
                    Socket connection = listener.accept();
                    new Thread(() -> serve(connection), "echo-" + accepted).start();
                }
            } catch (Exception error) {
                failures.incrementAndGet();
                System.err.println("acceptor: " + error);
            }
        }, "acceptor");
        acceptor.start();

        // The clients and main meet once all are connected: then 500 client threads and 500
        // server threads are alive at once.
        CyclicBarrier allConnected = new CyclicBarrier(CLIENTS + 1);
        Thread[] clients = new Thread[CLIENTS];
        for (int index = 0; index < CLIENTS; index++) {
            int which = index;
            clients[index] = new Thread(() -> client(which, port, allConnected), "client-" + index);
            clients[index].start();
        }
        allConnected.await(30, TimeUnit.SECONDS);
        for (Thread thread : clients) {
            thread.join(30000);
        }
        acceptor.join(30000);
        listener.close();
        // The server threads end when their client closes; wait a little for the last counts.
        for (int waited = 0; served.get() < CLIENTS && waited < 300; waited++) {
            Thread.sleep(100);
        }
        System.out.println("clients: " + CLIENTS + ", rounds: " + ROUNDS);
        System.out.println("right answers: " + rightAnswers.get() + " of " + CLIENTS * ROUNDS);
        System.out.println("connections served: " + served.get());
        System.out.println("bytes echoed: " + bytesEchoed.get());
        System.out.println("failures: " + failures.get());
    }
}
