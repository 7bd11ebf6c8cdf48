//! The CPU backend: fuses the graph into a plan (`fuse`), compiles each kernel to native code
//! with Cranelift (`codegen`, cached by the kernel's code), and runs kernels on all cores in
//! fixed pieces (`exec`). Plan steps that are not kernels run the interpreter's code.

mod clif_int;
mod clif_math;
mod codegen;
mod exec;
mod memory;
mod reduce;
mod reduce_loops;
mod row_loops;
mod run;
pub mod share;
mod shims;
mod simd;
pub mod spread;
mod stored;
mod update;
pub mod wide;

pub use codegen::Jit;

use super::{Backend, BackendStats, ProgramId, Programs};
use crate::diag::{Error, ErrorKind, Result};
use crate::fuse::family::Family;
use crate::fuse::{Buffer, Kernel, Plan, Step};
use crate::graph::NodeRef;
use crate::runtime::{Array, Operand, with_host_params};
use exec::Code;
use rustc_hash::FxHashMap as HashMap;
use std::rc::Rc;
use std::time::Instant;

/// Plans whose largest array has fewer elements than this run on the interpreter's code when
/// a kernel would have to be compiled first: compiling costs more than the work...
const JIT_MIN_ELEMENTS: usize = 2048;
/// ...unless the kernel is hot: seen this many times (a loop body), it is compiled.
const HOT_KERNEL: u32 = 3;

/// The Cranelift backend.
pub struct Cpu {
    jit: Jit,
    jit_min_elements: usize,
    cache: HashMap<u64, Code>,
    /// Arrays that died inside a plan, reused for later results of the same size.
    pool: memory::Pool,
    /// How often each not-yet-compiled small kernel was interpreted instead.
    seen: HashMap<u64, u32>,
    /// Prepared programs: their plans with every kernel compiled.
    programs: Programs<Prepared>,
    stats: BackendStats,
    /// The processes this one shares large kernels with (the MPI backend's ranks).
    share: Option<Rc<dyn share::Share>>,
    /// The vector width kernels run at (see [`wide`]).
    width: wide::Width,
}

/// A plan whose kernels are compiled: each step's function and whether it runs by columns
/// (`None` for steps that are not kernels).
type Compiled = Vec<Option<(Code, bool)>>;

/// A prepared program: run without fusing, hashing or looking anything up.
struct Prepared {
    plan: Plan,
    kernels: Compiled,
    lifetimes: Lifetimes,
    /// For a family program (`Backend::join_family`): how `plan`'s sizes and offsets move
    /// with the loop variable, and whether `plan` is well formed at the value last set.
    family: Option<(Family, bool)>,
    /// What its last run hands on to the next.
    scratch: run::Scratch,
}

/// When a plan's buffers die: each buffer's last step, and the buffers freed after each step.
struct Lifetimes {
    last_use: Vec<usize>,
    dying: Vec<Vec<usize>>,
    /// No step from this one on can fail (`fuse::overlap::cannot_fail`), so a parameter
    /// may be updated in place from here (see `Backend::run_prepared`).
    infallible_from: usize,
    /// Gathers and updates through index arrays the run has before it starts (parameters,
    /// constants): checked first, they cannot fail later (`update::positions_fit`).
    checkable: Vec<usize>,
    /// Like `infallible_from`, once the `checkable` updates' positions are checked.
    infallible_once_checked: usize,
}

impl Lifetimes {
    fn of(plan: &Plan) -> Lifetimes {
        let last_use = plan.last_uses();
        let dying = plan.dying_after(&last_use);
        let fallible = |s: &Step| !crate::fuse::overlap::cannot_fail(s);
        let infallible_from = plan.steps.iter().rposition(fallible).map_or(0, |s| s + 1);
        let checkable: Vec<usize> = (0..plan.steps.len())
            .filter(|&s| update::checkable_positions(plan, s))
            .collect();
        let infallible_once_checked = (0..plan.steps.len())
            .rev()
            .find(|s| fallible(&plan.steps[*s]) && !checkable.contains(s))
            .map_or(0, |s| s + 1);
        Lifetimes {
            last_use,
            dying,
            infallible_from,
            checkable,
            infallible_once_checked,
        }
    }
}

impl Cpu {
    /// A backend compiling for the host CPU.
    pub fn new() -> Result<Cpu> {
        let jit = Jit::new().map_err(|e| {
            crate::diag::value_error(format!("cannot start the Cranelift JIT: {e}"))
                .with_help("use `--backend interp`")
        })?;
        Ok(Cpu {
            jit,
            jit_min_elements: JIT_MIN_ELEMENTS,
            cache: HashMap::default(),
            seen: HashMap::default(),
            programs: Programs::default(),
            pool: memory::Pool::default(),
            stats: BackendStats::default(),
            share: None,
            width: wide::width(),
        })
    }

    /// The same backend running kernels at most `width` wide (at most the process's
    /// [`wide::width`]: tests compare every width the machine has).
    pub fn at_width(mut self, width: wide::Width) -> Cpu {
        self.width = width.min(wide::width());
        self
    }

    /// The same backend sharing large kernels with the other processes of an SPMD job
    /// (see [`share`]): every process must run the same plans in the same order.
    pub fn shared(mut self, share: Rc<dyn share::Share>) -> Cpu {
        self.share = Some(share);
        self
    }

    /// The same backend compiling every kernel, however small (tests use this so that small
    /// inputs exercise generated code too).
    pub fn always_compile(mut self) -> Cpu {
        self.jit_min_elements = 0;
        self
    }

    /// The compiled code of `kernel` (scheduled by columns or not), from the cache under
    /// `key` or compiled now.
    fn kernel_fn(&mut self, kernel: &Kernel, key: u64, columns: bool) -> Result<Code> {
        if let Some(&f) = self.cache.get(&key) {
            self.stats.cache_hits += 1;
            return Ok(f);
        }
        self.compile(&[(key, kernel, columns)])?;
        self.cache
            .get(&key)
            .copied()
            .ok_or_else(|| crate::diag::value_error("internal error: a kernel was not compiled"))
    }

    /// Compiles kernels (or loads them from the kernel store) into the cache, all at once
    /// (`Jit::compile` spreads them over the kernel team): (cache key, kernel, by columns).
    fn compile(&mut self, kernels: &[(u64, &Kernel, bool)]) -> Result<()> {
        if kernels.is_empty() {
            return Ok(());
        }
        let start = Instant::now();
        let jobs: Vec<(&Kernel, bool)> = kernels.iter().map(|&(_, k, c)| (k, c)).collect();
        let fns = self.jit.compile(&jobs).map_err(|e| {
            Error::new(
                ErrorKind::Value,
                format!("internal error: a kernel failed to compile: {e}"),
            )
        })?;
        self.stats.compile += start.elapsed();
        for (&(key, kernel, columns), (f, loaded)) in kernels.iter().zip(fns) {
            if loaded {
                self.stats.kernels_loaded += 1;
            } else {
                self.stats.kernels_compiled += 1;
            }
            // Leaked like the JIT's code: both live as long as the process's compile cache.
            let wide =
                wide::Wide::new(kernel, columns, self.width).map(|p| &*Box::leak(Box::new(p)));
            self.cache.insert(key, Code { jit: f, wide });
        }
        Ok(())
    }

    /// Runs one kernel step on host arrays (`buffers` by plan buffer; `into` the row-major
    /// array an indexed update starts from), for backends that place some kernels here.
    pub(crate) fn run_kernel(
        &mut self,
        kernel: &Kernel,
        buffers: &[Option<Rc<Array>>],
        shape: &[usize],
        into: Option<Array>,
    ) -> Result<Array> {
        let columns = reduce::by_columns(kernel);
        let f = self.kernel_fn(kernel, cache_key(kernel, columns), columns)?;
        let target = into.map(|array| exec::Target {
            array: Rc::new(array),
            gaps: None,
            in_place: None,
        });
        self.stats.kernels_run += 1;
        let share = self.share.as_deref();
        let value = exec::run(f, kernel, buffers, shape, target, columns, share, None);
        Ok(Rc::unwrap_or_clone(value))
    }

    /// Whether the plan is small and needs compiling a kernel that is not hot yet: then the
    /// interpreter is faster.
    fn interpret(&mut self, plan: &Plan, keys: &[u64]) -> bool {
        let largest = plan
            .buffers
            .iter()
            .map(|b| match b {
                Buffer::Value(a) => a.len(),
                Buffer::Temp { shape, .. }
                | Buffer::Param { shape, .. }
                | Buffer::Device(crate::runtime::DeviceValue { shape, .. }) => {
                    shape.iter().product()
                }
            })
            .chain(plan.steps.iter().map(|s| match s {
                Step::Kernel { kernel, .. } => kernel.dims.iter().product(),
                Step::Node { .. } => 0,
            }))
            .max()
            .unwrap_or(0);
        if largest >= self.jit_min_elements {
            return false;
        }
        let mut cold = false;
        for (step, &key) in plan.steps.iter().zip(keys) {
            if matches!(step, Step::Kernel { .. }) && !self.cache.contains_key(&key) {
                let n = self.seen.entry(key).or_default();
                *n += 1;
                cold |= *n < HOT_KERNEL;
            }
        }
        cold
    }

    /// The plan of `roots` and, under MPI, what each step moves between the ranks: for
    /// values `kept` where they are (`compute_kept`, a prepared program), as `run_prepared`
    /// spreads them, else as an observation gathers them.
    fn explain_plan(&self, roots: &[NodeRef], kept: bool) -> String {
        let plan = Plan::build(roots, false);
        let spreading = self
            .share
            .as_deref()
            .and_then(|s| spread::Spreading::new(s, kept));
        let moved = spreading.map(|sp| sp.explain(&plan)).unwrap_or_default();
        format!("{plan}{}{moved}", shim_lines(&plan))
    }

    /// Runs a one-off plan (no parameters), its kernels found or compiled first; `spreads`
    /// says whether its spread values go out spread or gathered.
    fn run_once(
        &mut self,
        plan: &Plan,
        keys: &[u64],
        spreads: &mut spread::Spreads,
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::HostValues> {
        let kernels = self.compile_plan(plan, keys)?;
        let lifetimes = Lifetimes::of(plan);
        let scratch = &mut run::Scratch::default();
        self.execute(
            plan,
            &kernels,
            &lifetimes,
            &mut [],
            spreads,
            scratch,
            cancel,
        )
    }

    /// The plan of `roots` and each step's kernel cache key (computed once per plan: its
    /// code, and whether it runs by columns; 0 for steps that are not kernels).
    fn fuse(&mut self, roots: &[NodeRef], keep: bool) -> (Plan, Vec<u64>) {
        let start = Instant::now();
        let plan = Plan::build(roots, keep);
        self.stats.fuse += start.elapsed();
        let keys = plan
            .steps
            .iter()
            .map(|step| match step {
                Step::Kernel { kernel, .. } => cache_key(kernel, reduce::by_columns(kernel)),
                Step::Node { .. } => 0,
            })
            .collect();
        (plan, keys)
    }

    /// Each kernel step's compiled function (from the cache, or compiled now: the plan's
    /// missing kernels together).
    fn compile_plan(&mut self, plan: &Plan, keys: &[u64]) -> Result<Compiled> {
        let mut missing: Vec<(u64, &Kernel, bool)> = vec![];
        // Kernels compiled now: a cache hit from their second step on.
        let mut fresh = std::collections::HashSet::new();
        for (step, &key) in plan.steps.iter().zip(keys) {
            if let Step::Kernel { kernel, .. } = step
                && !self.cache.contains_key(&key)
                && fresh.insert(key)
            {
                missing.push((key, kernel, reduce::by_columns(kernel)));
            }
        }
        self.compile(&missing)?;
        plan.steps
            .iter()
            .zip(keys)
            .map(|(step, &key)| match step {
                Step::Kernel { kernel, .. } => {
                    let code = self.cache.get(&key).copied().ok_or_else(|| {
                        crate::diag::value_error("internal error: a kernel was not compiled")
                    })?;
                    if !fresh.remove(&key) {
                        self.stats.cache_hits += 1;
                    }
                    Ok(Some((code, reduce::by_columns(kernel))))
                }
                Step::Node { .. } => Ok(None),
            })
            .collect()
    }
}

/// The compile-cache key of `kernel` run by columns or not: its code, and the input
/// layout its vector loop is compiled for (`simd::layout_key`).
fn cache_key(kernel: &Kernel, columns: bool) -> u64 {
    kernel.code_key() ^ u64::from(columns) ^ simd::layout_key(kernel)
}

/// `explain`'s note of the kernels that call a shim per element (libm functions not
/// decomposed in `fuse::math`): those run at one lane, no vector width.
fn shim_lines(plan: &Plan) -> String {
    let mut text = String::new();
    for (i, step) in plan.steps.iter().enumerate() {
        if let Step::Kernel { kernel, .. } = step {
            let calls = shims::shim_calls(kernel);
            if !calls.is_empty() {
                text.push_str(&format!("  step {i}: {}\n", calls.join(", ")));
            }
        }
    }
    if text.is_empty() {
        return text;
    }
    format!("scalar calls per element (libm, not inlined; one lane):\n{text}")
}

/// Computes a plan step that is not a kernel (a library call, gather, scan) from its
/// inputs' values, row-major: matrix products read their operands' strided views in place.
pub(crate) fn library_step(
    node: &NodeRef,
    inputs: &[crate::fuse::Arg],
    args: &[Rc<Array>],
) -> Result<Array> {
    let v = if let [a, b] = inputs
        && matches!(node.op, crate::graph::Op::MatMul)
    {
        crate::library::matmul::matmul_strided(
            (&args[0], a.view.as_ref()),
            (&args[1], b.view.as_ref()),
            &node.shape,
        )
    } else {
        super::interp::compute(node, args)
    }
    .map_err(|e| e.or_span(node.span))?;
    Ok(v.into_standard_layout())
}

impl Backend for Cpu {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn compute(&mut self, roots: &[NodeRef], cancel: &dyn Fn() -> bool) -> Result<Vec<Rc<Array>>> {
        let (plan, keys) = self.fuse(roots, true);
        if self.interpret(&plan, &keys) {
            return super::interp::Interp::default().compute(roots, cancel);
        }
        let mut values = self.run_once(&plan, &keys, &mut spread::Spreads::gathered(), cancel)?;
        for ((_, node), value) in plan.kept.iter().zip(values.drain(roots.len()..)) {
            node.set_value(value);
        }
        Ok(values.into_vec())
    }

    fn compute_kept(
        &mut self,
        roots: &[NodeRef],
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::Operands> {
        let host = |values: Vec<Rc<Array>>| values.into_iter().map(Operand::Host).collect();
        // Only an SPMD job's spread arrays stay where they are (each rank its own rows).
        if self.share.as_deref().is_none_or(|s| s.place().1 < 2) {
            return Ok(host(self.compute(roots, cancel)?));
        }
        let (plan, keys) = self.fuse(roots, false);
        if self.interpret(&plan, &keys) {
            return Ok(host(
                super::interp::Interp::default().compute(roots, cancel)?,
            ));
        }
        let mut spreads = spread::Spreads::kept(&mut []);
        let values = self.run_once(&plan, &keys, &mut spreads, cancel);
        let values = values.map(|v| v.into_iter().map(Operand::Host).collect());
        spreads.hand_back(&mut [], values, |a| self.pool.give(a))
    }

    fn prepare(&mut self, roots: &[NodeRef]) -> Result<ProgramId> {
        let (plan, keys) = self.fuse(roots, false);
        let kernels = self.compile_plan(&plan, &keys)?;
        let lifetimes = Lifetimes::of(&plan);
        Ok(self.programs.insert(Prepared {
            plan,
            kernels,
            lifetimes,
            family: None,
            scratch: run::Scratch::default(),
        }))
    }

    fn run_prepared(
        &mut self,
        program: ProgramId,
        params: &mut [Operand],
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::Operands> {
        // Taken out while it runs (execute needs the backend mutably), then put back.
        let mut prepared = self.programs.take(program)?;
        if let Some((_, false)) = prepared.family {
            self.programs.put_back(program, prepared);
            return Err(crate::diag::value_error(
                "internal error: a program family was run at a value it does not fit",
            ));
        }
        // Spread arrays (the MPI backend's, see `spread`) come in as this process's copies.
        let mut spreads = spread::Spreads::kept(params);
        let result = with_host_params(params, |params| {
            self.execute(
                &prepared.plan,
                &prepared.kernels,
                &prepared.lifetimes,
                params,
                &mut spreads,
                &mut prepared.scratch,
                cancel,
            )
        });
        self.programs.put_back(program, prepared);
        spreads.hand_back(params, result, |a| self.pool.give(a))
    }

    fn release(&mut self, program: ProgramId) {
        self.programs.remove(program);
    }

    fn join_family(&mut self, programs: [ProgramId; 3], at: [i64; 3]) -> Option<ProgramId> {
        let [a, b, c] = programs.map(|p| self.programs.get(p).ok());
        let (a, b, c) = (a?, b?, c?);
        // The same machine code for every step, whatever the sizes.
        let same = |p: &Prepared, q: &Prepared| {
            p.kernels.len() == q.kernels.len()
                && p.kernels.iter().zip(&q.kernels).all(|(k, l)| match (k, l) {
                    (Some((f, x)), Some((g, y))) => f.same(*g) && x == y,
                    (k, l) => k.is_none() && l.is_none(),
                })
        };
        if !same(a, b) || !same(a, c) {
            return None;
        }
        let family = Family::fit([&a.plan, &b.plan, &c.plan], at)?;
        let prepared = Prepared {
            plan: a.plan.clone(),
            kernels: a.kernels.clone(),
            lifetimes: Lifetimes::of(&a.plan),
            family: Some((family, false)),
            scratch: run::Scratch::default(),
        };
        Some(self.programs.insert(prepared))
    }

    fn joins_families(&self) -> bool {
        true
    }

    fn family_at(&mut self, program: ProgramId, at: i64) -> bool {
        let Ok(prepared) = self.programs.get_mut(program) else {
            return false;
        };
        let Some((family, ok)) = &mut prepared.family else {
            return false;
        };
        *ok = family.instantiate(&mut prepared.plan, at);
        *ok
    }

    fn writes_donated_params(&self) -> bool {
        true
    }

    fn recycle(&mut self, value: Rc<Array>) {
        self.pool.give(value);
    }

    fn spread_array(
        &mut self,
        shape: &[usize],
        dtype: crate::dtype::DType,
        fill: &mut crate::backend::FillRows<'_>,
    ) -> Result<Option<crate::runtime::DeviceValue>> {
        let Some(share) = self.share.as_deref() else {
            return Ok(None);
        };
        spread::Spreading::new(share, true).map_or(Ok(None), |sp| sp.filled(shape, dtype, fill))
    }

    fn explain(&self, roots: &[NodeRef]) -> String {
        self.explain_plan(roots, false)
    }

    fn explain_kept(&self, roots: &[NodeRef]) -> String {
        self.explain_plan(roots, true)
    }

    fn code(&self, roots: &[NodeRef]) -> Option<String> {
        let mut jit = Jit::new().ok()?;
        let plan = Plan::build(roots, false);
        let mut text = String::new();
        for step in &plan.steps {
            if let Step::Kernel { kernel, .. } = step {
                text.push_str(&jit.clif(kernel));
                let columns = reduce::by_columns(kernel);
                if let Some(listing) =
                    wide::Wide::new(kernel, columns, self.width).and_then(|w| w.listing())
                {
                    text.push_str(&listing);
                }
            }
        }
        Some(text)
    }

    fn stats(&self) -> BackendStats {
        self.stats
    }
}

#[cfg(test)]
mod tests;
