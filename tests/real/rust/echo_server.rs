// echo_server.rs - a std::net echo server under sprig: one thread per accepted connection, blocking
// reads and writes; it prints its port, serves exactly CONNECTIONS connections, and prints a summary.
use std::env;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

static BYTES: AtomicUsize = AtomicUsize::new(0);

// Echoes until the client closes; -> the bytes echoed (0 and a message on stderr after an error).
fn echo(mut stream: TcpStream) -> usize {
    // A client that went away must not keep the server (and the test) waiting for ever.
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set_read_timeout");
    let mut buffer = [0u8; 4096];
    let mut echoed = 0;
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return echoed,
            Ok(length) => {
                if let Err(error) = stream.write_all(&buffer[..length]) {
                    eprintln!("write: {error}");
                    return 0;
                }
                echoed += length;
            }
            Err(error) => {
                eprintln!("read: {error}");
                return 0;
            }
        }
    }
}

fn main() {
    let connections: usize = env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .expect("usage: echo_server CONNECTIONS");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("port {}", listener.local_addr().expect("local_addr").port());
    std::io::stdout().flush().expect("flush");
    let mut handles = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (stream, _) = listener.accept().expect("accept");
        let handle = thread::spawn(move || echo(stream));
        handles.push(handle);
    }
    let mut served = 0;
    for handle in handles {
        let echoed = handle.join().expect("join");
        BYTES.fetch_add(echoed, Ordering::Relaxed);
        served += usize::from(echoed > 0);
    }
    println!(
        "served {served} connections, echoed {} bytes",
        BYTES.load(Ordering::Relaxed)
    );
}
