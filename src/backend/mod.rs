//! Backends turn graph nodes into values. `interp` is the reference; `cpu` (the default)
//! fuses and compiles; `gpu` runs the same plans' kernels as WGSL shaders; `mpi` (cargo
//! feature `mpi`) runs the CPU backend on every rank of an MPI job, sharing large kernels.

pub mod cpu;
pub mod gpu;
pub mod interp;
#[cfg(feature = "mpi")]
pub mod mpi;

use crate::diag::{Result, value_error};
use crate::graph::NodeRef;
use crate::runtime::{Array, Operand};
use std::rc::Rc;
use std::time::Duration;

/// Something that computes the values of graph nodes.
pub trait Backend {
    /// The backend's name as given to `--backend`.
    fn name(&self) -> &'static str;

    /// Computes `roots`; `cancel` is polled between steps and stops the work when true.
    fn compute(&mut self, roots: &[NodeRef], cancel: &dyn Fn() -> bool) -> Result<Vec<Rc<Array>>>;

    /// Computes `roots` that nothing observes yet (a loop's starting state, a deep graph
    /// settled between statements): a backend with a device may keep results there
    /// ([`Operand::Device`]: a GPU's buffers, an MPI rank's rows of a spread array), as
    /// [`Backend::run_prepared`] does, to be read back only where something observes them.
    /// By default, [`Backend::compute`]'s host arrays.
    fn compute_kept(
        &mut self,
        roots: &[NodeRef],
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::Operands> {
        let values = self.compute(roots, cancel)?;
        Ok(values.into_iter().map(Operand::Host).collect())
    }

    /// A readable account of how `roots` would be computed (`explain`).
    fn explain(&self, roots: &[NodeRef]) -> String {
        roots
            .iter()
            .map(|r| crate::graph::explain(r, self.name()))
            .collect()
    }

    /// `explain` of values nothing observes yet, computed by `compute_kept` or a prepared
    /// program (they stay where the backend keeps them).
    fn explain_kept(&self, roots: &[NodeRef]) -> String {
        self.explain(roots)
    }

    /// The code the backend generates for `roots` (`--emit`): Cranelift IR on `cpu`, WGSL on
    /// `gpu`; `None` where a backend generates none.
    fn code(&self, _roots: &[NodeRef]) -> Option<String> {
        None
    }

    /// Work counters since the backend was created (zero where a backend has no kernels).
    fn stats(&self) -> BackendStats {
        BackendStats::default()
    }

    /// Prepares a program to be run many times: `roots` are graphs over [`Op::Param`]
    /// leaves (a recorded loop body, see `lower::replay`). Fusing and compiling happen here,
    /// once; the handle names the program in [`Backend::run_prepared`].
    ///
    /// [`Op::Param`]: crate::graph::Op::Param
    fn prepare(&mut self, roots: &[NodeRef]) -> Result<ProgramId>;

    /// Computes a prepared program's roots with `params[n]` bound to parameter `n` (each a
    /// row-major array of the parameter's shape and dtype). A backend with a device may
    /// return results it keeps there ([`Operand::Device`]) and receives them back as
    /// parameters of later runs; every other backend receives host arrays only.
    ///
    /// A parameter held only by `params` (nothing else shares its array) that the program
    /// last reads in an indexed update may be updated in place: the backend then takes it
    /// out of `params` (leaving a placeholder) and never fails after doing so, so on an
    /// error every parameter still holds its value.
    fn run_prepared(
        &mut self,
        program: ProgramId,
        params: &mut [Operand],
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::Operands>;

    /// Forgets a prepared program.
    fn release(&mut self, program: ProgramId);

    /// Joins three programs prepared from one loop body at the loop variable's values
    /// `at` — the same plan but for sizes and offsets that move with the variable
    /// (`r[:k]`) — into one program for every value (see `fuse::family`; set the value
    /// with [`Backend::family_at`] before each run). `None` when they are not such a
    /// family or the backend runs no families. The three programs stay prepared.
    fn join_family(&mut self, _programs: [ProgramId; 3], _at: [i64; 3]) -> Option<ProgramId> {
        None
    }

    /// Whether [`Backend::join_family`] can join programs (elsewhere a recording stops at a
    /// slice bound on the loop variable, as it would be recorded again every iteration).
    fn joins_families(&self) -> bool {
        false
    }

    /// Sets the loop variable's value a family program (from [`Backend::join_family`])
    /// runs at next. False when its plan is not well formed there (an address outside a
    /// buffer): it must not run at that value.
    fn family_at(&mut self, _program: ProgramId, _at: i64) -> bool {
        false
    }

    /// Whether [`Backend::run_prepared`] writes a lent parameter's update into its array
    /// (the evaluator then computes a large update of a named array as a program, instead
    /// of computing the value apart and copying it in).
    fn writes_donated_params(&self) -> bool {
        false
    }

    /// Takes back an array the evaluator is done with, to reuse its memory for a later
    /// result if nothing else holds it.
    fn recycle(&mut self, _value: Rc<Array>) {}

    /// Whether this process writes the program's output and files: true but on the MPI
    /// ranks other than 0 (every rank runs the whole program).
    fn leads(&self) -> bool {
        true
    }

    /// `x` as the leading process has it (rank 0's, on MPI): for values read from the
    /// outside world, such as a clock, that every process must agree on.
    fn agree(&mut self, x: f64) -> f64 {
        x
    }

    /// An array of `shape` and `dtype` spread by rows between the processes of an SPMD
    /// job, as a value the backend keeps: `fill` writes this process's own block of rows
    /// (given the rows and their bytes), the others' rows it never touches (`load` of a
    /// large `.npy` file reads each rank's rows only). None where arrays are not spread
    /// (one process, or an array too small to spread).
    fn spread_array(
        &mut self,
        _shape: &[usize],
        _dtype: crate::dtype::DType,
        _fill: &mut FillRows<'_>,
    ) -> Result<Option<crate::runtime::DeviceValue>> {
        Ok(None)
    }
}

/// Writes a block of an array's rows (given the rows and their bytes), as
/// [`Backend::spread_array`] asks.
pub type FillRows<'a> = dyn FnMut(std::ops::Range<usize>, &mut [u8]) -> Result<()> + 'a;

/// A program prepared by a backend ([`Backend::prepare`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProgramId(pub u64);

/// A backend's prepared programs, by handle.
#[derive(Debug)]
pub(crate) struct Programs<T> {
    /// Boxed: taking one out to run it and putting it back moves a pointer, not the
    /// program (a replayed loop does both every iteration).
    table: rustc_hash::FxHashMap<u64, Box<T>>,
    next: u64,
}

impl<T> Default for Programs<T> {
    fn default() -> Programs<T> {
        Programs {
            table: Default::default(),
            next: 0,
        }
    }
}

impl<T> Programs<T> {
    /// Keeps `program` and returns its new handle.
    pub(crate) fn insert(&mut self, program: T) -> ProgramId {
        self.next += 1;
        self.table.insert(self.next, Box::new(program));
        ProgramId(self.next)
    }

    /// The program of a handle.
    pub(crate) fn get(&self, id: ProgramId) -> Result<&T> {
        self.table
            .get(&id.0)
            .map(|p| &**p)
            .ok_or_else(unknown_program)
    }

    /// The program of a handle, to change it.
    pub(crate) fn get_mut(&mut self, id: ProgramId) -> Result<&mut T> {
        (self.table.get_mut(&id.0))
            .map(|p| &mut **p)
            .ok_or_else(unknown_program)
    }

    /// Takes a program out (to run it while the backend is borrowed mutably); give it back
    /// with [`Programs::put_back`].
    pub(crate) fn take(&mut self, id: ProgramId) -> Result<Box<T>> {
        self.table.remove(&id.0).ok_or_else(unknown_program)
    }

    /// Returns a program taken out with [`Programs::take`].
    pub(crate) fn put_back(&mut self, id: ProgramId, program: Box<T>) {
        self.table.insert(id.0, program);
    }

    /// Forgets a program.
    pub(crate) fn remove(&mut self, id: ProgramId) {
        self.table.remove(&id.0);
    }
}

fn unknown_program() -> crate::diag::Error {
    value_error("internal error: no such prepared program")
}

/// What a compiling backend has done: for `--time` and `:time`.
#[derive(Debug, Default, Clone, Copy)]
pub struct BackendStats {
    /// Time spent turning graphs into plans.
    pub fuse: Duration,
    /// Time spent compiling kernels.
    pub compile: Duration,
    /// Kernels compiled.
    pub kernels_compiled: u64,
    /// Kernels whose machine code an earlier run compiled, loaded from the kernel store on
    /// disk (`backend/cpu/stored.rs`) instead of compiling them.
    pub kernels_loaded: u64,
    /// Kernels found already compiled.
    pub cache_hits: u64,
    /// Kernel runs.
    pub kernels_run: u64,
    /// Indexed updates that had to copy their array first (another value still needed it).
    pub updates_copied: u64,
    /// Arrays uploaded to a GPU (not found resident there).
    pub uploads: u64,
    /// Arrays read back from a GPU.
    pub readbacks: u64,
    /// Kernels and matrix products whose work was spread by rows between MPI ranks (each
    /// its own rows).
    pub kernels_spread: u64,
    /// Bytes this MPI rank received of other ranks' rows (halos, gathers).
    pub bytes_received: u64,
    /// Spread kernels that computed the positions reading only this rank's rows while the
    /// halo rows they lacked travelled.
    pub kernels_overlapped: u64,
}

/// The backends a user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendKind {
    /// The reference interpreter.
    Interp,
    /// Fused kernels compiled with Cranelift (the default).
    #[default]
    Cpu,
    /// WGSL compute shaders through wgpu.
    Gpu,
    /// SPMD across MPI ranks.
    Mpi,
}

impl BackendKind {
    /// Parses a backend name.
    pub fn parse(name: &str) -> Option<BackendKind> {
        Some(match name {
            "interp" => BackendKind::Interp,
            "cpu" => BackendKind::Cpu,
            "gpu" => BackendKind::Gpu,
            "mpi" => BackendKind::Mpi,
            _ => return None,
        })
    }

    /// Creates the backend, or explains why it is not available in this build.
    /// `fallback_cpu`: on the GPU, kernels needing a dtype the adapter lacks run on the CPU
    /// instead of stopping with an error (`--fallback cpu`; other backends ignore it).
    pub fn create(self, fallback_cpu: bool) -> Result<Box<dyn Backend>> {
        match self {
            BackendKind::Interp => Ok(Box::new(interp::Interp::default())),
            BackendKind::Cpu => Ok(Box::new(cpu::Cpu::new()?)),
            BackendKind::Gpu => Ok(Box::new(gpu::Gpu::new(fallback_cpu)?)),
            #[cfg(feature = "mpi")]
            BackendKind::Mpi => Ok(Box::new(mpi::Mpi::new()?)),
            #[cfg(not(feature = "mpi"))]
            BackendKind::Mpi => Err(value_error(
                "this arr was built without the MPI backend: install an MPI library and \
                 libclang (Debian: libopenmpi-dev openmpi-bin libclang-dev), build with \
                 `cargo build --release --features mpi`, and run \
                 `mpirun -np 4 target/release/arr run --backend mpi script.arr`",
            )),
        }
    }
}
