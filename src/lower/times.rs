//! [`PhaseTimes`]: where a session's time went, per phase, for `--time` and `:time`.

use std::time::Duration;

/// Time spent per phase, shown by `--time` and `:time`.
#[derive(Debug, Default, Clone, Copy)]
pub struct PhaseTimes {
    /// Lexing and parsing.
    pub parse: Duration,
    /// Tracing statements into the graph (minus the time spent computing).
    pub trace: Duration,
    /// Computing forced values on the backend.
    pub run: Duration,
    /// Values forced.
    pub forced: u64,
    /// Loop iterations run from a recorded program instead of being traced.
    pub replayed: u64,
    /// Indexed updates written into their array's own memory (see `lower::inplace`).
    pub updated_in_place: u64,
    /// Graph nodes built: by tracing, and one per result of a replayed iteration.
    pub nodes: u64,
    /// The backend's fuse/compile counters (part of `run`).
    pub backend: crate::backend::BackendStats,
}

impl PhaseTimes {
    /// One line for `--time`: each phase, with fuse and compile taken out of run.
    pub fn report(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let b = &self.backend;
        let run = self.run.saturating_sub(b.fuse + b.compile);
        let transfers = if b.uploads + b.readbacks > 0 {
            format!(
                ", {} uploads to the gpu, {} read back",
                b.uploads, b.readbacks
            )
        } else {
            String::new()
        };
        let spread = if b.kernels_spread + b.bytes_received > 0 {
            format!(
                ", {} kernels spread between MPI ranks, {} of them computing while their halo \
                 rows travelled, {:.3} MB received from other ranks",
                b.kernels_spread,
                b.kernels_overlapped,
                b.bytes_received as f64 / 1e6
            )
        } else {
            String::new()
        };
        format!(
            "time: parse {:.3} ms, trace {:.3} ms, fuse {:.3} ms, compile {:.3} ms \
             ({} kernels compiled, {} loaded from disk, {} cache hits), run {:.3} ms ({} values computed, {} kernel runs, \
             {} arrays copied for updates, {} updated in place, {} loop iterations replayed{transfers}{spread})",
            ms(self.parse),
            ms(self.trace),
            ms(b.fuse),
            ms(b.compile),
            b.kernels_compiled,
            b.kernels_loaded,
            b.cache_hits,
            ms(run),
            self.forced,
            b.kernels_run,
            b.updates_copied,
            self.updated_in_place,
            self.replayed
        )
    }

    /// The work done between `earlier` and `self`.
    pub fn since(&self, earlier: &PhaseTimes) -> PhaseTimes {
        let (a, e) = (&self.backend, &earlier.backend);
        PhaseTimes {
            parse: self.parse.saturating_sub(earlier.parse),
            trace: self.trace.saturating_sub(earlier.trace),
            run: self.run.saturating_sub(earlier.run),
            forced: self.forced - earlier.forced,
            replayed: self.replayed - earlier.replayed,
            updated_in_place: self.updated_in_place - earlier.updated_in_place,
            nodes: self.nodes - earlier.nodes,
            backend: crate::backend::BackendStats {
                fuse: a.fuse.saturating_sub(e.fuse),
                compile: a.compile.saturating_sub(e.compile),
                kernels_compiled: a.kernels_compiled - e.kernels_compiled,
                kernels_loaded: a.kernels_loaded - e.kernels_loaded,
                cache_hits: a.cache_hits - e.cache_hits,
                kernels_run: a.kernels_run - e.kernels_run,
                updates_copied: a.updates_copied - e.updates_copied,
                uploads: a.uploads - e.uploads,
                readbacks: a.readbacks - e.readbacks,
                kernels_spread: a.kernels_spread - e.kernels_spread,
                bytes_received: a.bytes_received - e.bytes_received,
                kernels_overlapped: a.kernels_overlapped - e.kernels_overlapped,
            },
        }
    }
}
