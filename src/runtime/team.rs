//! A team of helper threads that split mid-sized jobs with the calling thread.
//!
//! rayon parks idle workers in the OS, and waking one costs tens of µs on a 2-core machine —
//! more than a 10,000-element stencil step takes (a time-stepping loop runs tens of
//! thousands of those). The team's helpers instead spin for [`SPIN`] after each job, so a
//! loop of small kernels keeps them awake and hands a job over in about 0.6 µs; only
//! then do they park. A job is a number of pieces claimed one at a time by whoever is free,
//! so a helper that wakes late only takes fewer pieces, and the caller never waits for one
//! to wake.
//!
//! One caller owns the team at a time; a second caller (another thread running a kernel at
//! the same moment) runs its pieces alone. Which thread runs a piece never changes what the
//! piece computes, so results are the same for any number of helpers.

use std::cell::UnsafeCell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long a helper keeps spinning for the next job before it parks.
const SPIN: Duration = Duration::from_micros(200);
/// `state` bit that marks the current job closed: no helper may join it any more.
const CLOSED: u64 = 1 << 31;
/// `state` bits counting the helpers that joined the current job.
const JOINED: u64 = CLOSED - 1;

/// What the caller and its helpers share.
struct Team {
    /// Epoch of the current job (high 32 bits), [`CLOSED`], and the [`JOINED`] count.
    state: AtomicU64,
    /// The current job's work for each piece, its lifetime erased: valid while the job is
    /// open or any helper that joined it works. Written only by the owner while the
    /// previous job is closed and left.
    work: UnsafeCell<*const (dyn Fn(usize) + Sync)>,
    /// Pieces not yet claimed: `front << 32 | back`. The owner claims from the front and
    /// helpers from the back, so with one helper each thread runs one contiguous half.
    unclaimed: AtomicU64,
    /// Pieces finished (or failed).
    done: AtomicUsize,
    /// Helpers that joined the current job and have finished with it.
    left: AtomicUsize,
    /// Whether a piece of the current job panicked on a helper.
    failed: AtomicBool,
    /// Whether a caller owns the team.
    owned: AtomicBool,
    /// Per helper: whether it is parked (or about to park).
    parked: Box<[AtomicBool]>,
    /// The helpers that started, with their index in `parked`.
    threads: OnceLock<Vec<(usize, Thread)>>,
}

// SAFETY: `work` is written only by the owner while no helper can read it (the previous job
// is closed and every helper that joined it has left); helpers read it only after joining
// an open job, which the `state` CAS orders after the write. The work it points to is `Sync`.
#[allow(unsafe_code)]
unsafe impl Sync for Team {}

static TEAM: OnceLock<&'static Team> = OnceLock::new();

/// The team, started on first use with one helper fewer than rayon's pool has threads
/// (`--threads`), and never more than the machine has other cores: a spinning helper
/// without a core of its own would take the caller's.
fn team() -> &'static Team {
    TEAM.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let helpers = rayon::current_num_threads().min(cores).saturating_sub(1);
        let team: &'static Team = Box::leak(Box::new(Team {
            state: AtomicU64::new(CLOSED),
            work: UnsafeCell::new(&|_| {}),
            unclaimed: AtomicU64::new(0),
            done: AtomicUsize::new(0),
            left: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
            owned: AtomicBool::new(false),
            parked: (0..helpers).map(|_| AtomicBool::new(false)).collect(),
            threads: OnceLock::new(),
        }));
        let threads = (0..helpers)
            .filter_map(|i| {
                let spawned = std::thread::Builder::new()
                    .name(format!("arr-team-{}", i + 1))
                    .spawn(move || help(team, i));
                spawned.ok().map(|h| (i, h.thread().clone()))
            })
            .collect();
        let _ = team.threads.set(threads);
        team
    })
}

/// How many threads run a job's pieces: the caller and the helpers.
pub fn threads() -> usize {
    1 + team().threads.get().map_or(0, Vec::len)
}

/// Runs `work(0)`, …, `work(pieces - 1)`, each exactly once, on the calling thread and the
/// team's helpers; returns when all have run. A panic in a piece is raised here, after
/// every piece has finished.
pub fn run(pieces: usize, work: &(dyn Fn(usize) + Sync)) {
    let team = team();
    let threads = team.threads.get().map_or(&[][..], Vec::as_slice);
    if pieces < 2
        || pieces > u32::MAX as usize
        || threads.is_empty()
        || team.owned.swap(true, Acquire)
    {
        (0..pieces).for_each(work);
        return;
    }
    // SAFETY: only the lifetime is erased; it is honoured because this function does not
    // return (or unwind) before the job is closed and every helper that joined it has left.
    #[allow(unsafe_code)]
    let erased: *const (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(work) };
    // SAFETY: we own the team and the previous job is closed and left (see `Team::work`).
    #[allow(unsafe_code)]
    unsafe {
        *team.work.get() = erased
    };
    team.unclaimed.store(pieces as u64, Relaxed);
    team.done.store(0, Relaxed);
    team.left.store(0, Relaxed);
    team.failed.store(false, Relaxed);
    let epoch = ((team.state.load(Relaxed) >> 32) + 1) & 0xffff_ffff;
    team.state.store(epoch << 32, SeqCst);
    for (i, thread) in threads {
        if team.parked[*i].swap(false, SeqCst) {
            thread.unpark();
        }
    }
    let mine = claim(team, true, work);
    while team.done.load(Acquire) < pieces {
        std::hint::spin_loop();
    }
    let joined = team.state.fetch_or(CLOSED, AcqRel) & JOINED;
    while (team.left.load(Acquire) as u64) < joined {
        std::hint::spin_loop();
    }
    let failed = team.failed.load(Relaxed);
    team.owned.store(false, Release);
    if let Err(payload) = mine {
        std::panic::resume_unwind(payload);
    }
    assert!(!failed, "a kernel piece panicked on a helper thread");
}

/// `work(i, parts[i])` for every part, as [`run`]'s pieces: each piece writes its own part
/// of an output the caller split (blocks of a product's rows, a selection's runs).
pub fn each_mut<T: Send>(parts: Vec<&mut [T]>, work: impl Fn(usize, &mut [T]) + Sync) {
    let parts: Vec<std::sync::Mutex<&mut [T]>> =
        parts.into_iter().map(std::sync::Mutex::new).collect();
    run(parts.len(), &|i| {
        // Each part is locked once, by the one piece that owns it.
        let mut part = parts[i].lock().unwrap_or_else(|e| e.into_inner());
        work(i, &mut part);
    });
}

/// `f(0)`, …, `f(n - 1)` computed as [`run`]'s pieces, in index order.
pub fn map<T: Send + Sync>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let slots: Vec<OnceLock<T>> = (0..n).map(|_| OnceLock::new()).collect();
    run(n, &|i| {
        let _ = slots[i].set(f(i));
    });
    slots
        .into_iter()
        .map(|s| s.into_inner().expect("run runs every piece"))
        .collect()
}

/// Claims and runs pieces until none is left, from the front (the owner) or the back;
/// returns the first panic among them (the other pieces still run, so the job finishes).
fn claim(team: &Team, front: bool, work: &(dyn Fn(usize) + Sync)) -> std::thread::Result<()> {
    let mut result = Ok(());
    loop {
        let u = team.unclaimed.load(Relaxed);
        let (f, b) = (u >> 32, u & 0xffff_ffff);
        if f >= b {
            return result;
        }
        let (claimed, rest) = if front {
            (f, u + (1 << 32))
        } else {
            (b - 1, u - 1)
        };
        if team
            .unclaimed
            .compare_exchange_weak(u, rest, Relaxed, Relaxed)
            .is_err()
        {
            continue;
        }
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(claimed as usize)));
        if result.is_ok() {
            result = ran;
        }
        team.done.fetch_add(1, Release);
    }
}

/// A helper's life: wait for an open job it has not seen, join it, claim pieces, leave;
/// park after [`SPIN`] without work.
fn help(team: &'static Team, me: usize) {
    let mut seen = 0u64;
    let mut idle_since = Instant::now();
    let mut spins = 0u32;
    loop {
        let s = team.state.load(Acquire);
        let fresh = s >> 32 != seen;
        if fresh && s & CLOSED == 0 {
            if team
                .state
                .compare_exchange_weak(s, s + 1, AcqRel, Relaxed)
                .is_err()
            {
                continue;
            }
            seen = s >> 32;
            // SAFETY: we joined an open job; the owner neither rewrites `work` nor lets
            // it go until we have left.
            #[allow(unsafe_code)]
            let work = unsafe { &**team.work.get() };
            if claim(team, false, work).is_err() {
                team.failed.store(true, Relaxed);
            }
            team.left.fetch_add(1, Release);
            idle_since = Instant::now();
            continue;
        }
        seen = s >> 32;
        spins = spins.wrapping_add(1);
        if !spins.is_multiple_of(256) {
            std::hint::spin_loop();
            continue;
        }
        if idle_since.elapsed() < SPIN {
            continue;
        }
        // Park, unless a job was published after the check above (its owner clears
        // `parked` and unparks us; an unpark that comes first makes `park` return at once).
        team.parked[me].store(true, SeqCst);
        let s = team.state.load(SeqCst);
        if s >> 32 == seen || s & CLOSED != 0 {
            std::thread::park();
        }
        team.parked[me].store(false, SeqCst);
        idle_since = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_piece_runs_once_in_order_of_index() {
        for n in [0, 1, 2, 3, 17, 1000] {
            let counts: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            run(n, &|i| {
                counts[i].fetch_add(1, Relaxed);
            });
            assert!(counts.iter().all(|c| c.load(Relaxed) == 1), "n = {n}");
            assert_eq!(map(n, |i| i * i), (0..n).map(|i| i * i).collect::<Vec<_>>());
        }
    }

    #[test]
    fn callers_on_several_threads_share_the_team() {
        std::thread::scope(|s| {
            for t in 0..4 {
                s.spawn(move || {
                    for k in 0..500 {
                        let got = map(7, |i| i * t + k);
                        assert_eq!(got, (0..7).map(|i| i * t + k).collect::<Vec<_>>());
                    }
                });
            }
        });
    }

    #[test]
    fn a_panicking_piece_is_raised_after_every_piece_ran() {
        let ran = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(64, &|i| {
                ran.fetch_add(1, Relaxed);
                assert!(i != 5, "piece 5 fails");
            })
        }));
        assert!(result.is_err());
        assert_eq!(ran.load(Relaxed), 64);
        // The team is free again.
        assert_eq!(map(4, |i| i + 1), vec![1, 2, 3, 4]);
    }
}
