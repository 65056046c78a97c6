// threads.rs - std::thread under sprig: 200 named threads that all exist at once, each counting in its
// own thread_local! (whose Drop is counted at thread exit), sleeping, and returning a value to join().
//
// `threads spin`: the threads meet by counting in an AtomicUsize and yielding until all have come
// (thread::yield_now is sched_yield). `threads barrier`: they meet at a std::sync::Barrier, whose
// Mutex and Condvar wait in futex system calls of their own (std calls syscall(SYS_futex, ...), not
// pthread_cond_wait).
use std::cell::Cell;
use std::env;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

const THREADS: usize = 200;
const ROUNDS: usize = 1000;

static ARRIVED: AtomicUsize = AtomicUsize::new(0);
static DROPS: AtomicUsize = AtomicUsize::new(0);
static DROPPED_TOTAL: AtomicUsize = AtomicUsize::new(0);

struct Counter {
    value: Cell<usize>,
}

impl Drop for Counter {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::SeqCst);
        DROPPED_TOTAL.fetch_add(self.value.get(), Ordering::SeqCst);
    }
}

thread_local! {
    static COUNTER: Counter = Counter { value: Cell::new(0) };
    static LABEL: String = format!("{:?}", thread::current().id());
}

struct Report {
    value: usize,
    count_ok: bool,
    label_ok: bool,
    name_ok: bool,
}

fn meet(barrier: Option<&Barrier>) {
    match barrier {
        Some(barrier) => {
            barrier.wait();
        }
        None => {
            ARRIVED.fetch_add(1, Ordering::SeqCst);
            while ARRIVED.load(Ordering::SeqCst) < THREADS {
                thread::yield_now();
            }
        }
    }
}

// Counts index + ROUNDS times in this thread's counter, yielding and sleeping on the way so that the
// other threads run in between.
fn work(index: usize, barrier: Option<&Barrier>) -> Report {
    meet(barrier);
    let name_ok = thread::current().name() == Some(format!("worker-{index}").as_str());
    for round in 0..index + ROUNDS {
        COUNTER.with(|counter| counter.value.set(counter.value.get() + 1));
        if round % 100 == 0 {
            thread::yield_now();
        }
        if round == ROUNDS / 2 {
            // Long enough that the threads are all still there when the test looks.
            thread::sleep(Duration::from_millis(20 + (index % 10) as u64));
        }
    }
    let label_ok = LABEL.with(|label| *label == format!("{:?}", thread::current().id()));
    let count = COUNTER.with(|counter| counter.value.get());
    Report {
        value: count * 3,
        count_ok: count == index + ROUNDS,
        label_ok,
        name_ok,
    }
}

fn main() {
    let use_barrier = match env::args().nth(1).as_deref() {
        Some("spin") => false,
        Some("barrier") => true,
        _ => panic!("usage: threads spin|barrier"),
    };
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|index| {
            let barrier = Arc::clone(&barrier);
            thread::Builder::new()
                .name(format!("worker-{index}"))
                .spawn(move || work(index, use_barrier.then_some(&*barrier)))
                .expect("spawn")
        })
        .collect();
    let reports: Vec<Report> = handles.into_iter().map(|handle| handle.join().expect("join")).collect();
    let wrong = |ok: fn(&Report) -> bool| reports.iter().filter(|report| !ok(report)).count();
    println!("threads joined: {}", reports.len());
    println!(
        "sum of results: {}",
        reports.iter().map(|report| report.value).sum::<usize>()
    );
    println!("wrong counts: {}", wrong(|report| report.count_ok));
    println!("wrong labels: {}", wrong(|report| report.label_ok));
    println!("wrong names: {}", wrong(|report| report.name_ok));
    println!("main thread name: {:?}", thread::current().name());
    // Each worker's COUNTER was dropped when it ended, before join() returned.
    println!("drops: {}", DROPS.load(Ordering::SeqCst));
    println!("dropped total: {}", DROPPED_TOTAL.load(Ordering::SeqCst));
    let scoped: usize = thread::scope(|scope| {
        let parts: Vec<_> = (0..10)
            .map(|part| scope.spawn(move || (part * 100..part * 100 + 100).sum::<usize>()))
            .collect();
        parts.into_iter().map(|part| part.join().expect("scoped join")).sum()
    });
    println!("scoped sum: {scoped}");
}
