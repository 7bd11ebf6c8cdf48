//! Loop replay: a `for`/`while` body that traces to the same program every iteration is
//! traced once, symbolically, and then run as a prepared program — no re-tracing, re-fusing,
//! compiling or hashing per iteration.
//!
//! **Recording.** From a loop's second iteration, the body is traced with every value it
//! reads from outside the body replaced by an [`Op::Param`] node of the same shape, dtype
//! and weakness (the loop variable too). Materialised 0-d values that the body does not
//! assign (`dx`, `nit`, `rho`) stay constants, so they fold and specialise as usual; each
//! becomes a *guard* compared before every run. Names the body assigns outside itself are
//! the program's outputs; their graphs over the parameters are prepared by the backend
//! ([`crate::backend::Backend::prepare`]) as one plan.
//!
//! **What stops a recording** (the iteration is then traced again normally, and the loop is
//! left alone after [`MAX_ABORTS`] such stops): needing the value of something computed
//! from a parameter while tracing (a condition, a loop bound or a non-affine slice bound
//! read from a loop variable, `print` of a loop value), any output or effect (`print`,
//! `save`, `load`), `break`/`continue`/`return`, an error, or a body tracing to more than
//! [`NODE_BUDGET`] nodes. Inner loops are traced iteration by iteration into the recording,
//! unless their own recordings show they would add more than [`UNROLL_BUDGET`] nodes: then
//! the outer loop is left alone and the inner one replays its own program.
//! Scalar indexes on parameters become positions (program arguments), a `seed=` computed
//! from parameters is read when the program runs, draws without `seed=` number themselves
//! from a parameter holding the program's draw count, and slice bounds affine in a `for`
//! loop's variable make the body a program family (`family`), so all of these replay.
//!
//! **Replaying.** Each iteration checks the guards and the parameters' shapes and dtypes
//! (any change records again, up to [`MAX_RECORDINGS`] times per loop), binds the current
//! values, runs the program and binds its results as computed constants. Arrays the
//! outputs replace are handed back to the backend for reuse.
//!
//! *Invariant:* a replayed iteration binds exactly the values that tracing the body would
//! have bound (the same graph, computed by the same backend), and has no other effect.
//! Values are computed at the end of each iteration instead of lazily later; this changes
//! no result, only when the work happens.
//!
//! [`Op::Param`]: crate::graph::Op::Param

use super::{Binding, Ev, Evaluator, Exit, Value};
use crate::backend::ProgramId;
use crate::diag::{Error, ErrorKind, Result, Span};
use crate::dtype::DType;
use crate::graph::NodeRef;
use crate::syntax::ast::{Block, Name};
use std::collections::{HashMap, HashSet};

mod family;
mod record;
mod run;

pub(crate) use family::Affine;

/// Iterations traced normally before a loop body is recorded: a loop of one iteration never
/// pays for preparing a program. Only one, because every traced iteration compiles kernels
/// of its own (the first with the values before the loop folded in, a second fused with the
/// first's lazy results) that the program never reuses: two cost Durbin's recursion 7
/// kernels compiled instead of 3, conjugate gradients 19 instead of 15.
pub(super) const WARMUP: u64 = 1;
/// Recordings that stop (see the module docs) before a loop is no longer recorded.
const MAX_ABORTS: u32 = 2;
/// Recordings per loop (guards or shapes that keep changing) before it is left alone.
const MAX_RECORDINGS: u32 = 8;
/// Nodes a recording may create (inner loops are unrolled into it).
const NODE_BUDGET: u64 = 50_000;
/// Nodes an inner loop may add to a recording, estimated from its own recording before its
/// first iteration is traced: a longer inner loop runs on its own program instead, and the
/// loop around it is no longer recorded (`Evaluator::inner_loop`).
const UNROLL_BUDGET: u64 = 8_192;

/// Whether a value read from outside a body can be a guarded constant of the recording: a
/// string, `None`, a computed 0-d array, or a tuple of these (`shape = (n, m)`).
fn constant(v: &Value) -> bool {
    match v {
        Value::Str(_) | Value::None => true,
        Value::Array(n) => n.shape.is_empty() && n.value().is_some(),
        Value::Tuple(members) => members.iter().all(constant),
        Value::List(_) | Value::Unit => false,
    }
}

/// Per parameter index below `count`: whether a node reachable from `roots` reads it.
fn params_read(roots: &[NodeRef], count: usize) -> Vec<bool> {
    let mut read = vec![false; count];
    let mut seen = HashSet::new();
    let mut stack: Vec<&NodeRef> = roots.iter().collect();
    while let Some(n) = stack.pop() {
        if !n.reads_param || !seen.insert(n.id) {
            continue;
        }
        if let crate::graph::Op::Param(i) = n.op
            && let Some(r) = read.get_mut(i)
        {
            *r = true;
        }
        stack.extend(&n.inputs);
    }
    read
}

/// A name in a scope outside the loop body: (scope index, name).
type Slot = (usize, String);

/// What a parameter is bound to when the program runs.
#[derive(Debug, Clone, PartialEq)]
enum ParamSource {
    /// A variable outside the body.
    Var(Slot),
    /// The `for` loop's variable.
    LoopVar,
    /// The number of draws without `seed=` made before the iteration: the body's `k`-th
    /// such draw is number base + k, as tracing would number it.
    DrawBase,
}

/// A parameter: where its value comes from and what the program was prepared for.
#[derive(Debug, Clone)]
struct Param {
    source: ParamSource,
    shape: Vec<usize>,
    dtype: DType,
    weak: bool,
}

/// A value the recording treated as a constant: it must be the same for the program to
/// apply.
#[derive(Debug, Clone)]
struct Guard {
    slot: Slot,
    value: Value,
}

/// Where an output's new value comes from.
#[derive(Debug, Clone)]
enum OutputValue {
    /// Root `n` of the program, bound as a computed constant.
    Root { n: usize, weak: bool, span: Span },
    /// A value that depends on nothing the loop changes (a string, a folded constant).
    Fixed(Value),
}

/// A recorded loop body prepared by the backend.
#[derive(Debug)]
struct Program {
    id: ProgramId,
    /// Draws without `seed=` one iteration makes.
    draws: u64,
    params: Vec<Param>,
    /// Per parameter: whether the program reads it (one it does not read, such as an
    /// unused loop variable, is bound to a placeholder).
    read: Vec<bool>,
    /// The parameters bound to names the program assigns: lent to it when nothing else
    /// holds their arrays (`run::lend_params`).
    lendable: Vec<usize>,
    guards: Vec<Guard>,
    outputs: Vec<(Slot, OutputValue)>,
    /// Slices whose bounds move with the loop variable (`family`).
    probes: Vec<family::Probe>,
    /// The loop variable's value it was recorded at.
    recorded_at: Option<i64>,
    /// Whether it is a family program (applies where its probes' branches hold).
    family: bool,
}

/// One binding outside the body as the recording sees it.
#[derive(Debug)]
struct Overlay {
    binding: Binding,
    written: bool,
}

/// The state of a recording in progress (`Evaluator::recording`).
#[derive(Debug)]
pub(crate) struct Recording {
    /// Index of the body's scope: slots below it are outside the body.
    base: usize,
    params: Vec<Param>,
    guards: Vec<Guard>,
    overlay: HashMap<Slot, Overlay>,
    /// Order in which outside slots were first written (outputs keep it).
    written: Vec<Slot>,
    /// Names made parameters even when they are materialised 0-d values.
    carried: HashSet<String>,
    nodes_at_start: u64,
    /// Draws without `seed=` recorded so far, and the parameter their numbers start from.
    draws: u64,
    draw_base: Option<NodeRef>,
    /// Set when the recording met something it cannot replay.
    stopped: bool,
    /// The loop variable's parameter and its value in the recorded iteration.
    loop_param: Option<usize>,
    loop_value: Option<i64>,
    /// Slices whose bounds move with the loop variable.
    probes: Vec<family::Probe>,
    /// Set when an inner loop is too long to unroll: the loop is not recorded again.
    unrolls_too_much: bool,
}

/// What the evaluator knows about one loop of the program (by its source position).
#[derive(Debug, Default)]
pub(crate) struct LoopState {
    program: Option<Program>,
    aborts: u32,
    recordings: u32,
    carried: HashSet<String>,
    /// Programs with probes that no longer apply, kept to join a family (oldest first).
    trail: Vec<Program>,
    /// Whether a recording had slices moving with the loop variable, and the iterations
    /// to trace before its recordings are tried again (`LoopState::retry_moving`).
    moving: bool,
    pause: u64,
    backoff: u64,
    /// Nodes its last complete recording created: what unrolling one iteration into a
    /// recording of an outer loop costs.
    nodes: u64,
}

impl LoopState {
    fn gave_up(&self) -> bool {
        self.aborts >= MAX_ABORTS || self.recordings >= MAX_RECORDINGS
    }
}

/// What running a program for one iteration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// It ran; its outputs are bound.
    Ran,
    /// A guard or a parameter's shape or dtype no longer matches: nothing done.
    Unfit,
    /// It failed: nothing changed, and the body will not be replayed again.
    Failed,
}

/// Whether an iteration was run from a program or must be traced.
pub(super) enum Iteration {
    Replayed,
    Trace,
}

/// The error a stopped recording unwinds with (never shown: the iteration is traced again).
fn stop_error() -> Error {
    Error::new(ErrorKind::Value, "internal: loop body not replayable")
}

impl Evaluator {
    /// Runs one iteration of the loop at `key` from its program, recording one first when
    /// there is none or it no longer applies. `Trace` when the iteration must be traced.
    pub(super) fn replay_iteration(
        &mut self,
        key: (u32, u32),
        var: Option<(&Name, i64)>,
        body: &Block,
    ) -> Ev<Iteration> {
        if self.recording.is_some() {
            return Ok(Iteration::Trace);
        }
        // Ctrl-C and errors of a replayed iteration point at the body's first statement,
        // where tracing it would have noticed them.
        let at = body.stmts.first().map_or(body.span, |s| s.span);
        if self.cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::new(ErrorKind::Interrupted, "cancelled by Ctrl-C")
                .with_span(at)
                .into());
        }
        let mut state = self.loops.remove(&key).unwrap_or_default();
        let result = self.replay_with(&mut state, var, body);
        self.loops.insert(key, state);
        result.map_err(|e| match e {
            Exit::Error(e) => Exit::Error(e.or_span(at)),
            other => other,
        })
    }

    fn replay_with(
        &mut self,
        state: &mut LoopState,
        var: Option<(&Name, i64)>,
        body: &Block,
    ) -> Ev<Iteration> {
        if let Some(program) = &state.program {
            // Timed as part of a run of replayed iterations (see `end_replay_run`).
            self.replay_run.get_or_insert_with(std::time::Instant::now);
            let outcome = self.try_program(program, var.map(|v| v.1));
            if matches!(outcome, Ok(Outcome::Ran)) {
                return Ok(Iteration::Replayed);
            }
            self.end_replay_run();
            let outcome = outcome?;
            if outcome == Outcome::Failed {
                state.aborts = MAX_ABORTS;
            }
            if let Some(old) = state.program.take() {
                self.set_aside(state, old);
            }
        }
        if state.gave_up() && !state.retry_moving() {
            return Ok(Iteration::Trace);
        }
        state.recordings += 1;
        let Some(program) = self.record(state, var, body)? else {
            state.aborts += 1;
            return Ok(Iteration::Trace);
        };
        state.moving |= !program.probes.is_empty();
        let program = self.join(state, program)?;
        let start = std::time::Instant::now();
        let outcome = self.try_program(&program, var.map(|v| v.1));
        self.times.run += start.elapsed();
        match outcome? {
            Outcome::Ran => {
                state.program = Some(program);
                Ok(Iteration::Replayed)
            }
            outcome => {
                if outcome == Outcome::Failed {
                    state.aborts = MAX_ABORTS;
                }
                self.backend.release(program.id);
                Ok(Iteration::Trace)
            }
        }
    }

    /// Adds the time of the run of replayed iterations going on, if any, to `run` in
    /// `--time`: a replayed iteration is the running of its program, bookkeeping included.
    pub(super) fn end_replay_run(&mut self) {
        if let Some(start) = self.replay_run.take() {
            self.times.run += start.elapsed();
        }
    }

    /// Runs `program`. A failed run changed nothing, and the iteration is then traced: the
    /// error comes from the statement that causes it, after the statements before it took
    /// effect, exactly as without replay. Ctrl-C is not retried.
    fn try_program(&mut self, program: &Program, var: Option<i64>) -> Result<Outcome> {
        match self.run_program(program, var) {
            Ok(true) => Ok(Outcome::Ran),
            Ok(false) => Ok(Outcome::Unfit),
            Err(e) if e.kind == ErrorKind::Interrupted => Err(e),
            Err(_) => Ok(Outcome::Failed),
        }
    }

    /// Traces the body once over parameters and prepares its program; `None` when the
    /// recording stopped (nothing outside the body has changed).
    fn record(
        &mut self,
        state: &mut LoopState,
        var: Option<(&Name, i64)>,
        body: &Block,
    ) -> Ev<Option<Program>> {
        let base = self.scopes.len();
        self.recording = Some(Recording {
            base,
            params: vec![],
            guards: vec![],
            overlay: HashMap::new(),
            written: vec![],
            carried: state.carried.clone(),
            nodes_at_start: self.graph.nodes_created(),
            draws: 0,
            draw_base: None,
            stopped: false,
            loop_param: None,
            loop_value: var.map(|v| v.1),
            probes: vec![],
            unrolls_too_much: false,
        });
        self.scopes.push(super::Scope::default());
        let mut traced = Ok(Value::Unit);
        if let Some((name, _)) = var {
            traced = self
                .loop_param(name.span)
                .map(|p| self.define(&name.text, Binding::Value(Value::Array(p))))
                .map(|_| Value::Unit)
                .map_err(Exit::from);
        }
        if traced.is_ok() {
            traced = self.exec_block_stmts(&body.stmts);
        }
        self.scopes.truncate(base);
        let Some(rec) = self.recording.take() else {
            return Ok(None);
        };
        if rec.unrolls_too_much {
            state.aborts = MAX_ABORTS;
        }
        if rec.stopped || traced.is_err() {
            return Ok(None);
        }
        state.nodes = self.graph.nodes_created() - rec.nodes_at_start;
        let mut roots: Vec<NodeRef> = vec![];
        let mut outputs = vec![];
        for slot in &rec.written {
            let Some(Overlay {
                binding: Binding::Value(v),
                ..
            }) = rec.overlay.get(slot)
            else {
                return Ok(None);
            };
            let out = match v {
                Value::Array(n) if n.reads_param || n.value().is_none() => {
                    roots.push(n.clone());
                    OutputValue::Root {
                        n: roots.len() - 1,
                        weak: n.weak,
                        span: n.span,
                    }
                }
                Value::Array(_) | Value::Str(_) | Value::None => OutputValue::Fixed(v.clone()),
                Value::List(_) | Value::Tuple(_) | Value::Unit => return Ok(None),
            };
            outputs.push((slot.clone(), out));
        }
        // A guarded name the body assigns changes every iteration: next time, a parameter.
        for g in &rec.guards {
            if rec.written.contains(&g.slot) {
                state.carried.insert(g.slot.1.clone());
            }
        }
        // Fusing and compiling are part of `run` in `--time` (the backend counts them).
        let start = std::time::Instant::now();
        let prepared = self.backend.prepare(&roots);
        self.times.run += start.elapsed();
        let id = prepared?;
        if self.options.explain {
            let (line, _) = self.sources.line_col(body.span).unwrap_or((0, 0));
            let text = format!(
                "loop body at line {line}, replayed as one program ({} parameters, {} results):\n{}",
                rec.params.len(),
                roots.len(),
                self.backend.explain_kept(&roots)
            );
            self.write_out(&text)?;
        }
        let read = params_read(&roots, rec.params.len());
        let lendable = (rec.params.iter().enumerate())
            .filter(|(_, p)| {
                matches!(&p.source, ParamSource::Var(slot) if outputs.iter().any(|(s, _)| s == slot))
            })
            .map(|(n, _)| n)
            .collect();
        Ok(Some(Program {
            id,
            draws: rec.draws,
            read,
            lendable,
            params: rec.params,
            guards: rec.guards,
            outputs,
            recorded_at: rec.loop_value.filter(|_| !rec.probes.is_empty()),
            probes: rec.probes,
            family: false,
        }))
    }

    /// Stops the recording in progress (the caller unwinds with the returned error); outside
    /// a recording, nothing happens and the error is not used.
    pub(crate) fn stop_recording(&mut self) -> Error {
        if let Some(rec) = self.recording.as_mut() {
            rec.stopped = true;
        }
        stop_error()
    }

    /// Fails while a recording is in progress: for effects a replay would not repeat
    /// (output, files).
    pub(crate) fn effect(&mut self) -> Result<()> {
        if self.recording.is_some() {
            return Err(self.stop_recording());
        }
        Ok(())
    }

    /// Stops the recording when its body has grown past the node budget.
    pub(super) fn check_budget(&mut self) -> Result<()> {
        if let Some(rec) = &self.recording
            && self.graph.nodes_created() - rec.nodes_at_start > NODE_BUDGET
        {
            return Err(self.stop_recording());
        }
        Ok(())
    }

    /// Before an inner `for` loop at `key` runs `iterations` iterations inside a recording:
    /// stops the recording, for good, when unrolling them would add more than
    /// [`UNROLL_BUDGET`] nodes (as the inner loop's own recording measured). Tracing a long
    /// inner loop symbolically costs more than it saves; the inner loop replays its own
    /// program instead each time the outer body is traced.
    pub(super) fn inner_loop(&mut self, key: (u32, u32), iterations: u64) -> Result<()> {
        let per_iteration = self.loops.get(&key).map_or(0, |s| s.nodes);
        if let Some(rec) = self.recording.as_mut()
            && per_iteration.saturating_mul(iterations) > UNROLL_BUDGET
        {
            rec.unrolls_too_much = true;
            return Err(self.stop_recording());
        }
        Ok(())
    }

    /// Forgets every loop program (the REPL's `:reset`).
    pub(super) fn forget_loops(&mut self) {
        for state in self.loops.drain().map(|(_, state)| *state) {
            for p in state.program.into_iter().chain(state.trail) {
                self.backend.release(p.id);
            }
        }
    }
}
