// echo_client.rs - the client of echo_server.rs, run natively: THREADS threads open CONNECTIONS
// connections in all, keep every one open while each sends ROUNDS messages and checks the echo,
// hold them a moment (so that the server has a thread for each at once), then close them.
//
// Each connection's first message is echoed before the thread opens its next connection: at most
// THREADS connections wait to be accepted, well below std's listen backlog of 128 (a full backlog
// drops SYNs, which the kernel sends again only a second later).
use std::env;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

const THREADS: usize = 20;
const ROUNDS: usize = 3;
const HOLD: Duration = Duration::from_millis(300);
const TIMEOUT: Duration = Duration::from_secs(20);

static ECHOED: AtomicUsize = AtomicUsize::new(0);
static WRONG: AtomicUsize = AtomicUsize::new(0);
static ERRORS: AtomicUsize = AtomicUsize::new(0);

fn message(connection: usize, round: usize) -> Vec<u8> {
    let padding = "x".repeat((connection * 31 + round * 17) % 300);
    format!("connection {connection} round {round} {padding}\n").into_bytes()
}

// Sends the message of `round` and reads its echo; -> false (counted) if the echo was not the same.
fn exchange(stream: &mut TcpStream, connection: usize, round: usize) -> std::io::Result<bool> {
    let text = message(connection, round);
    stream.write_all(&text)?;
    expect_echo(stream, &text)
}

fn expect_echo(stream: &mut TcpStream, text: &[u8]) -> std::io::Result<bool> {
    let mut echo = vec![0u8; text.len()];
    stream.read_exact(&mut echo)?;
    if echo == text {
        ECHOED.fetch_add(echo.len(), Ordering::SeqCst);
        return Ok(true);
    }
    WRONG.fetch_add(1, Ordering::SeqCst);
    Ok(false)
}

fn connect(port: u16, connection: usize) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    exchange(&mut stream, connection, 0)?;
    Ok(stream)
}

// One thread's share: connections first, first + THREADS, first + 2 * THREADS, ...
fn session(port: u16, first: usize, connections: usize, barrier: &Barrier) {
    let mut streams: Vec<(usize, TcpStream)> = Vec::new();
    for connection in (first..connections).step_by(THREADS) {
        match connect(port, connection) {
            Ok(stream) => streams.push((connection, stream)),
            Err(error) => {
                eprintln!("connect {connection}: {error}");
                ERRORS.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    barrier.wait(); // every connection of every thread is open
    for round in 1..ROUNDS {
        // All the messages of this round first, then all the echoes: the server's threads run at once.
        let mut sent = Vec::new();
        for (connection, stream) in streams.iter_mut() {
            let text = message(*connection, round);
            match stream.write_all(&text) {
                Ok(()) => sent.push(true),
                Err(error) => {
                    eprintln!("write {connection}: {error}");
                    ERRORS.fetch_add(1, Ordering::SeqCst);
                    sent.push(false);
                }
            }
        }
        for ((connection, stream), sent) in streams.iter_mut().zip(sent) {
            if !sent {
                continue;
            }
            if let Err(error) = expect_echo(stream, &message(*connection, round)) {
                eprintln!("read {connection}: {error}");
                ERRORS.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    barrier.wait();
    thread::sleep(HOLD);
}

fn main() {
    let mut args = env::args().skip(1);
    let (port, connections): (u16, usize) = match (args.next(), args.next()) {
        (Some(port), Some(connections)) => (port.parse().expect("port"), connections.parse().expect("count")),
        _ => panic!("usage: echo_client PORT CONNECTIONS"),
    };
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|first| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || session(port, first, connections, &barrier))
        })
        .collect();
    for thread in threads {
        thread.join().expect("join");
    }
    let expected: usize = (0..connections)
        .flat_map(|c| (0..ROUNDS).map(move |r| message(c, r).len()))
        .sum();
    println!(
        "connections {connections}, rounds {ROUNDS}, echoed {} bytes of {expected}",
        ECHOED.load(Ordering::SeqCst)
    );
    println!(
        "wrong echoes {}, errors {}",
        WRONG.load(Ordering::SeqCst),
        ERRORS.load(Ordering::SeqCst)
    );
    let ok = WRONG.load(Ordering::SeqCst) == 0
        && ERRORS.load(Ordering::SeqCst) == 0
        && ECHOED.load(Ordering::SeqCst) == expected;
    std::process::exit(if ok { 0 } else { 1 });
}
