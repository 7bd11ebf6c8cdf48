//! The MPI backend (cargo feature `mpi`): one arr process per MPI rank, all running the same
//! script (SPMD). Every rank traces the same graph and fuses the same plans; the CPU backend
//! runs them with the ranks as its [`Share`]: large stores are spread by rows (each rank
//! computes and holds its own block of rows, fetching the rows its kernels read from their
//! owners, see `cpu::spread`), large matrix products likewise by the rows of their result,
//! and large reductions are shared (each rank its part of the
//! fixed tree, the partials gathered with `MPI_Allgatherv`). Every value observed is
//! gathered whole, bit for bit what one process computes, so conditions decide alike
//! everywhere and no rank waits on a collective another never calls. Rank 0 alone writes the
//! program's output and files; `clock()` reads rank 0's clock. An error or a panic on any
//! rank ends the whole job (`MPI_Abort`) with the error printed once, naming its rank.

use super::cpu::Cpu;
use super::cpu::share::Share;
use super::{Backend, BackendStats, ProgramId};
use crate::diag::{Result, value_error};
use crate::graph::NodeRef;
use crate::runtime::{Array, Operand};
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives, Destination, Root, Source};
use std::rc::Rc;
use std::sync::Mutex;

/// The MPI environment of this process, from the first MPI backend created until
/// [`finish`] (MPI can be started only once per process).
static UNIVERSE: Mutex<Option<Universe>> = Mutex::new(None);
/// Whether MPI was started in this process (it cannot start again after [`finish`]).
static STARTED: Mutex<bool> = Mutex::new(false);

/// The world communicator, for [`Share`]: every rank of the job.
struct World(SimpleCommunicator);

impl Share for World {
    fn place(&self) -> (usize, usize) {
        (self.0.rank() as usize, self.0.size() as usize)
    }

    fn all_gather(&self, mine: &[u8], counts: &[usize], out: &mut [u8]) {
        let fits = |n: usize| i32::try_from(n).is_ok();
        if fits(out.len()) {
            let displs: Vec<i32> = offsets(counts).iter().map(|&d| d as i32).collect();
            let counts: Vec<i32> = counts.iter().map(|&c| c as i32).collect();
            let mut parts = PartitionMut::new(out, &counts[..], &displs[..]);
            self.0.all_gather_varcount_into(mine, &mut parts);
            return;
        }
        // MPI counts bytes in 32-bit integers: gather larger results in rounds of at most
        // ROUND bytes per rank, each through a buffer of its own.
        const ROUND: usize = 1 << 28;
        let starts = offsets(counts);
        let most = counts.iter().copied().max().unwrap_or(0);
        for round in 0..most.div_ceil(ROUND) {
            let at = round * ROUND;
            let now: Vec<usize> = counts
                .iter()
                .map(|&c| c.saturating_sub(at).min(ROUND))
                .collect();
            let mut buffer = vec![0u8; now.iter().sum()];
            let displs: Vec<i32> = offsets(&now).iter().map(|&d| d as i32).collect();
            let sizes: Vec<i32> = now.iter().map(|&c| c as i32).collect();
            let sent = &mine[at.min(mine.len())..(at + ROUND).min(mine.len())];
            let mut parts = PartitionMut::new(&mut buffer[..], &sizes[..], &displs[..]);
            self.0.all_gather_varcount_into(sent, &mut parts);
            for (p, &n) in now.iter().enumerate() {
                let from = displs[p] as usize;
                out[starts[p] + at..starts[p] + at + n].copy_from_slice(&buffer[from..from + n]);
            }
        }
    }

    fn exchange(&self, sends: &[Vec<u8>], recvs: &mut [Vec<u8>], meanwhile: &mut dyn FnMut()) {
        // MPI counts bytes in 32-bit integers: a larger message goes in pieces, which
        // arrive in order (messages between two ranks do not overtake each other).
        const PIECE: usize = 1 << 30;
        mpi::request::scope(|scope| {
            let mut requests = Vec::new();
            for (p, buffer) in recvs.iter_mut().enumerate() {
                let from = self.0.process_at_rank(p as i32);
                for piece in buffer.chunks_mut(PIECE) {
                    requests.push(from.immediate_receive_into(scope, piece));
                }
            }
            for (q, buffer) in sends.iter().enumerate() {
                let to = self.0.process_at_rank(q as i32);
                for piece in buffer.chunks(PIECE) {
                    requests.push(to.immediate_send(scope, piece));
                }
            }
            meanwhile();
            for request in requests {
                request.wait();
            }
        });
    }
}

/// Where each part starts when parts of `counts` bytes follow each other.
fn offsets(counts: &[usize]) -> Vec<usize> {
    counts
        .iter()
        .scan(0, |at, &c| {
            let start = *at;
            *at += c;
            Some(start)
        })
        .collect()
}

/// The MPI backend: the CPU backend, spreading and sharing kernels between the ranks.
pub struct Mpi {
    cpu: Cpu,
    world: SimpleCommunicator,
}

impl Mpi {
    /// The first line of `explain`: this rank and what is spread.
    fn explain_rule(&self) -> String {
        let (rank, ranks) = self.place();
        format!(
            "on MPI rank {rank} of {ranks} (stores into arrays of 2^15 elements and more spread \
             by rows between the ranks, halo rows exchanged; matrix products of 2^18 \
             multiply-adds and more spread by the rows of their result; reductions of 2^16 \
             elements and more shared; other library steps gather their inputs whole)\n"
        )
    }

    /// Joins the MPI job this process was started in (`mpirun -np N arr run …`; a process
    /// started alone is a job of one rank). A program embedding arr calls [`finish`] before
    /// it exits, as the CLI does (MPI reports a rank that exits without finishing it).
    pub fn new() -> Result<Mpi> {
        let mut started = STARTED.lock().unwrap_or_else(|e| e.into_inner());
        if !*started {
            let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Funneled)
                .ok_or_else(|| {
                    value_error("cannot start MPI: it was started already by other code")
                })?;
            *UNIVERSE.lock().unwrap_or_else(|e| e.into_inner()) = Some(universe);
            *started = true;
            install_abort_on_panic();
        }
        if UNIVERSE.lock().unwrap_or_else(|e| e.into_inner()).is_none() {
            return Err(value_error(
                "MPI has finished in this process and cannot start again",
            ));
        }
        let world = SimpleCommunicator::world();
        // Spread arrays are full-sized on every rank but filled only in its rows.
        crate::runtime::reserve::spread_between(world.size() as usize);
        Ok(Mpi {
            cpu: Cpu::new()?.shared(Rc::new(World(SimpleCommunicator::world()))),
            world,
        })
    }

    /// This process's rank and the number of ranks.
    pub fn place(&self) -> (usize, usize) {
        (self.world.rank() as usize, self.world.size() as usize)
    }
}

/// Ends the MPI job of this process cleanly (`MPI_Finalize`); the CLI calls it when a run
/// succeeded. Nothing happens when MPI never started.
pub fn finish() {
    drop(UNIVERSE.lock().unwrap_or_else(|e| e.into_inner()).take());
}

/// When MPI runs in this process: this process's rank and the number of ranks.
pub fn place() -> Option<(usize, usize)> {
    let running = UNIVERSE.lock().unwrap_or_else(|e| e.into_inner()).is_some();
    running.then(|| {
        let world = SimpleCommunicator::world();
        (world.rank() as usize, world.size() as usize)
    })
}

/// Ends the whole job (every rank) with exit status `code`: what a failing rank does, so
/// that no other rank waits forever in a collective it will never complete.
pub fn abort(code: i32) -> ! {
    SimpleCommunicator::world().abort(code)
}

/// Makes a panic on any thread of this process print its message (the default hook), then
/// abort the whole job.
fn install_abort_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        if let Some((rank, _)) = place() {
            eprintln!("internal error on MPI rank {rank}: aborting the job");
            abort(101);
        }
    }));
}

impl Backend for Mpi {
    fn name(&self) -> &'static str {
        "mpi"
    }

    fn compute(&mut self, roots: &[NodeRef], cancel: &dyn Fn() -> bool) -> Result<Vec<Rc<Array>>> {
        self.cpu.compute(roots, cancel)
    }

    fn compute_kept(
        &mut self,
        roots: &[NodeRef],
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::Operands> {
        self.cpu.compute_kept(roots, cancel)
    }

    fn explain(&self, roots: &[NodeRef]) -> String {
        format!("{}{}", self.explain_rule(), self.cpu.explain(roots))
    }

    fn explain_kept(&self, roots: &[NodeRef]) -> String {
        format!("{}{}", self.explain_rule(), self.cpu.explain_kept(roots))
    }

    fn code(&self, roots: &[NodeRef]) -> Option<String> {
        self.cpu.code(roots)
    }

    fn stats(&self) -> BackendStats {
        self.cpu.stats()
    }

    fn prepare(&mut self, roots: &[NodeRef]) -> Result<ProgramId> {
        self.cpu.prepare(roots)
    }

    fn run_prepared(
        &mut self,
        program: ProgramId,
        params: &mut [Operand],
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::Operands> {
        self.cpu.run_prepared(program, params, cancel)
    }

    fn release(&mut self, program: ProgramId) {
        self.cpu.release(program)
    }

    fn join_family(&mut self, programs: [ProgramId; 3], at: [i64; 3]) -> Option<ProgramId> {
        self.cpu.join_family(programs, at)
    }

    fn joins_families(&self) -> bool {
        self.cpu.joins_families()
    }

    fn family_at(&mut self, program: ProgramId, at: i64) -> bool {
        self.cpu.family_at(program, at)
    }

    fn writes_donated_params(&self) -> bool {
        self.cpu.writes_donated_params()
    }

    fn recycle(&mut self, value: Rc<Array>) {
        self.cpu.recycle(value)
    }

    fn leads(&self) -> bool {
        self.world.rank() == 0
    }

    fn agree(&mut self, x: f64) -> f64 {
        let mut x = x;
        self.world.process_at_rank(0).broadcast_into(&mut x);
        x
    }

    fn spread_array(
        &mut self,
        shape: &[usize],
        dtype: crate::dtype::DType,
        fill: &mut crate::backend::FillRows<'_>,
    ) -> Result<Option<crate::runtime::DeviceValue>> {
        self.cpu.spread_array(shape, dtype, fill)
    }
}
