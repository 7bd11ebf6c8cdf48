//! Lowering: executes a program's statements, resolving names and inlining function calls,
//! and turns every expression into graph nodes. Values are forced (computed by the backend)
//! only at observation points (LANGUAGE.md §9): printing, saving, conditions, data-dependent
//! shapes, `eval`.
//!
//! *Invariant:* never computes array elements itself — all arithmetic goes through the graph
//! and the backend, so every backend sees the same program. Owns scopes and control flow.

pub mod builtins;
mod checkpoint;
mod expr;
mod force;
mod index;
mod inplace;
mod loops;
mod options;
mod prelude;
mod progress;
mod replay;
mod stmt;
mod times;
mod value;

pub use checkpoint::{CheckpointOptions, describe as describe_checkpoint};
pub use options::Options;
pub use times::PhaseTimes;
pub use value::Value;

use crate::backend::Backend;
use crate::diag::{Error, ErrorKind, Result, SourceMap, Span};
use crate::graph::{Graph, NodeRef, Op};
use crate::runtime::Array;
use crate::syntax::ast::FnDef;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The names bound in one scope (hashed with Fx: looked up on every statement).
pub(crate) type Scope = rustc_hash::FxHashMap<String, Binding>;

/// Graphs deeper than this are computed when bound to a name, so loops stay bounded.
const MAX_DEPTH: u32 = 32;
/// Nested user-function calls deeper than this are a resource error, not a stack overflow.
const MAX_CALL_DEPTH: usize = 200;
/// Expressions nested deeper than this are a resource error.
const MAX_EXPR_DEPTH: usize = 2000;

/// Why evaluation of an expression or statement stopped early: an error, or control flow
/// unwinding to the loop or function that handles it.
#[derive(Debug)]
pub(crate) enum Exit {
    Error(Error),
    Break(Span),
    Continue(Span),
    Return(Value, Span),
}

impl From<Error> for Exit {
    fn from(e: Error) -> Exit {
        Exit::Error(e)
    }
}

/// Result of evaluation that may unwind.
pub(crate) type Ev<T> = std::result::Result<T, Exit>;

/// A name's binding.
#[derive(Debug, Clone)]
pub(crate) enum Binding {
    Value(Value),
    Func(Rc<FnDef>),
}

/// Executes programs: holds the graph builder, the backend, the scopes and the output sink.
pub struct Evaluator {
    pub(crate) graph: Graph,
    backend: Box<dyn Backend>,
    /// Source texts of everything run so far (for rendering errors).
    pub sources: SourceMap,
    scopes: Vec<Scope>,
    frames: Vec<usize>,
    out: Box<dyn Write>,
    call_depth: usize,
    expr_depth: usize,
    imported: HashSet<PathBuf>,
    /// The files imported so far (not the stdlib's): path and file id.
    import_files: Vec<(PathBuf, u32)>,
    /// The files being run now, outermost first (the script, then nested imports): an
    /// import of one of them is a cycle.
    importing: Vec<PathBuf>,
    file_dirs: HashMap<u32, PathBuf>,
    pub(crate) options: Options,
    draws: u64,
    cancel: Arc<AtomicBool>,
    /// The loop body being recorded for replay, if any (`replay`).
    recording: Option<replay::Recording>,
    /// Recorded programs and replay state of each loop, by the loop's source position
    /// (boxed: each replayed iteration takes its loop's state out and puts it back).
    loops: rustc_hash::FxHashMap<(u32, u32), Box<replay::LoopState>>,
    /// What a replayed program's unread loop-variable and draw-count parameters are bound
    /// to (no array made for them each iteration).
    unread_param: Rc<crate::runtime::Array>,
    /// The 0-d arrays last bound to the loop variable and the draw count, rewritten for
    /// the next iteration when nothing else holds them.
    scalar_params: [Option<Rc<crate::runtime::Array>>; 2],
    /// The progress line of the outermost running loop (`progress`).
    progress: Option<progress::LoopProgress>,
    /// The node of each literal evaluated so far, by source position (file, first byte):
    /// a loop evaluates its literals once, not into a fresh array each iteration.
    literals: rustc_hash::FxHashMap<(u32, u32), NodeRef>,
    /// The index of the statement running now in its statement list (a loop's place in a
    /// checkpoint's position).
    stmt_index: usize,
    /// Checkpointing of the script's loops, when it is on (`checkpoint`).
    checkpoints: Option<checkpoint::Checkpoints>,
    /// Phase timings accumulated since the evaluator was created.
    pub times: PhaseTimes,
    /// When the current run of consecutive replayed iterations began: their time is added
    /// to `times.run` once the run ends (`replay::Evaluator::end_replay_run`), not read
    /// from the clock twice an iteration.
    replay_run: Option<Instant>,
    /// When the evaluator was created: `clock()` counts from here.
    started: Instant,
    /// The stdlib functions not bound yet (`prelude`).
    prelude: prelude::Prelude,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("backend", &self.backend.name())
            .finish_non_exhaustive()
    }
}

impl Evaluator {
    /// An evaluator on `backend` writing program output to `out`, with the stdlib loaded.
    pub fn new(
        backend: Box<dyn Backend>,
        out: Box<dyn Write>,
        options: Options,
    ) -> Result<Evaluator> {
        crate::runtime::set_memory_limit(options.memory_limit);
        // Print options are the thread's (as NumPy's are the process's): a new session
        // starts from NumPy's defaults.
        crate::runtime::set_print_options(Default::default());
        let mut ev = Evaluator {
            graph: Graph::new(options.memory_limit),
            backend,
            sources: SourceMap::default(),
            scopes: vec![Scope::default()],
            frames: vec![],
            out,
            call_depth: 0,
            expr_depth: 0,
            imported: HashSet::new(),
            import_files: vec![],
            importing: vec![],
            file_dirs: HashMap::new(),
            options,
            draws: 0,
            cancel: Arc::new(AtomicBool::new(false)),
            recording: None,
            loops: Default::default(),
            unread_param: Rc::new(crate::runtime::Array::scalar(crate::runtime::Scalar::I64(
                0,
            ))),
            scalar_params: Default::default(),
            progress: None,
            literals: Default::default(),
            stmt_index: 0,
            checkpoints: None,
            times: PhaseTimes::default(),
            replay_run: None,
            started: Instant::now(),
            prelude: Default::default(),
        };
        ev.load_prelude();
        Ok(ev)
    }

    /// The flag that cancels running work when set (the REPL sets it on Ctrl-C).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// The backend's name.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Replaces the backend; bound values stay (they are materialised arrays or graphs).
    /// Values the old backend keeps on its device are read back first (the new one cannot
    /// read them).
    pub fn set_backend(&mut self, backend: Box<dyn Backend>) -> Result<()> {
        self.force_pending()?;
        self.backend = backend;
        Ok(())
    }

    /// Parses and runs `text` as file `name`; `dir` is where its imports are looked up.
    /// Returns the value of the last statement when it is an expression.
    pub fn run_source(&mut self, name: &str, text: &str, dir: Option<PathBuf>) -> Result<Value> {
        self.run_text(name, text, dir, None)
    }

    /// Runs the script `text` (file `name` in `dir`) from the checkpoint at `checkpoint`:
    /// its state restored, its loops re-entered where they stood (see `checkpoint`).
    pub fn resume_source(
        &mut self,
        name: &str,
        text: &str,
        dir: Option<PathBuf>,
        checkpoint: &std::path::Path,
    ) -> Result<Value> {
        self.run_text(name, text, dir, Some(checkpoint))
    }

    fn run_text(
        &mut self,
        name: &str,
        text: &str,
        dir: Option<PathBuf>,
        resume: Option<&std::path::Path>,
    ) -> Result<Value> {
        let file = self.sources.add(name, text);
        if let Some(dir) = &dir {
            self.file_dirs.insert(file, dir.clone());
        }
        let start = Instant::now();
        let program = crate::syntax::parse(text, file)?;
        self.times.parse += start.elapsed();
        // A script read from a file: importing it (directly or through another import) is
        // a cycle.
        let script = dir
            .zip(std::path::Path::new(name).file_name())
            .map(|(d, f)| d.join(f))
            .filter(|p| p.is_file())
            .and_then(|p| p.canonicalize().ok());
        if let Some(path) = &script {
            self.checkpoint_script(file);
            if let (Some(sandbox), Some(dir)) = (&mut self.options.sandbox, path.parent()) {
                sandbox.allow(dir)?;
            }
        }
        let position = match resume {
            Some(path) => Some(self.restore_checkpoint(path, file, &program.stmts)?),
            None => None,
        };
        let outer = self.importing.len();
        self.importing.extend(script);
        let run_before = self.times.run;
        let start = Instant::now();
        let watchdog = self
            .options
            .timeout
            .map(|limit| crate::runtime::sandbox::Watchdog::start(limit, self.cancel.clone()));
        let mut result = self.exec_top(&program.stmts, position);
        if let (Some(w), Err(e)) = (&watchdog, &mut result)
            && w.fired()
            && e.kind == ErrorKind::Interrupted
        {
            let limit = self.options.timeout.unwrap_or_default();
            e.kind = ErrorKind::Resource;
            e.message = format!(
                "the run took longer than its time limit of {} and was stopped here",
                crate::runtime::sandbox::format_duration(limit)
            );
        }
        drop(watchdog);
        self.importing.truncate(outer);
        self.times.trace += start.elapsed().saturating_sub(self.times.run - run_before);
        result
    }

    /// Runs a file's statements: all of them, or from a checkpoint's `position`.
    fn exec_top(
        &mut self,
        stmts: &[crate::syntax::ast::Stmt],
        position: Option<Rc<[checkpoint::SavedFrame]>>,
    ) -> Result<Value> {
        self.cancel.store(false, Ordering::Relaxed);
        let run = match position {
            Some(frames) => self
                .resume_stmts(stmts, checkpoint::Resume { frames, level: 0 })
                .map(|()| Value::Unit),
            None => self.exec_block_stmts(stmts),
        };
        match run {
            Ok(v) => Ok(v),
            Err(Exit::Error(e)) => Err(e),
            Err(Exit::Break(span) | Exit::Continue(span)) => Err(Error::new(
                ErrorKind::Syntax,
                "`break` or `continue` outside of a loop",
            )
            .with_span(span)),
            Err(Exit::Return(_, span)) => {
                Err(Error::new(ErrorKind::Syntax, "`return` outside of a function").with_span(span))
            }
        }
    }

    /// The path to open for `access` to `path` at `span`: under a sandbox, resolved and
    /// checked to lie beneath an allowed directory (a permission error otherwise).
    pub(crate) fn file_path(
        &self,
        path: &std::path::Path,
        access: crate::runtime::sandbox::FileAccess,
        span: Span,
    ) -> Result<PathBuf> {
        match &self.options.sandbox {
            Some(s) => s.check(path, access).map_err(|e| e.with_span(span)),
            None => Ok(path.to_path_buf()),
        }
    }

    /// Writes program output.
    pub(crate) fn write_out(&mut self, text: &str) -> Result<()> {
        self.effect()?;
        if !self.backend.leads() {
            return Ok(());
        }
        let out = &mut self.out;
        let mut write = || out.write_all(text.as_bytes()).and_then(|_| out.flush());
        match &self.progress {
            Some(line) => line.suspend(write),
            None => write(),
        }
        .map_err(|e| crate::diag::io_error(format!("cannot write output: {e}")))
    }

    /// How the backend would compute `node` (its fused plan, or the graph on `interp`).
    pub fn explain(&self, node: &NodeRef) -> String {
        self.backend.explain(std::slice::from_ref(node))
    }

    /// Phase times so far, with the backend's fuse and compile work split out of `run`.
    pub fn times(&self) -> PhaseTimes {
        let stats = self.backend.stats();
        PhaseTimes {
            backend: stats,
            nodes: self.graph.nodes_created(),
            ..self.times
        }
    }

    /// Seconds since the evaluator was created, on a monotonic clock.
    pub(crate) fn clock_seconds(&mut self) -> f64 {
        let here = self.started.elapsed().as_secs_f64();
        self.backend.agree(here)
    }

    /// Whether this process writes the program's output and files (all but MPI ranks other
    /// than 0, see `Backend::leads`).
    pub fn leads(&self) -> bool {
        self.backend.leads()
    }

    /// Computes a node if it has small constant inputs and a small result (constant folding),
    /// so scalar arithmetic on literals and loop counters costs nothing later.
    pub(crate) fn fold(&mut self, node: NodeRef) -> Result<NodeRef> {
        // `sum(y)` of a computed million-element `y` is a kernel's work, not the interpreter's.
        let limit = self.options.fold_limit;
        // A view's work is its result's size; anything else's is its inputs'.
        let view = matches!(
            node.op,
            Op::Index(_) | Op::Transpose(_) | Op::Reshape | Op::BroadcastTo
        );
        let foldable = !matches!(node.op, Op::Const(_))
            && node.inputs.iter().all(|i| matches!(i.op, Op::Const(_)))
            && (node.weak
                || node.size() <= limit && (view || node.inputs.iter().all(|i| i.size() <= limit)));
        if !foldable {
            return Ok(node);
        }
        let value = crate::backend::interp::eval_on_computed(&node)?;
        self.graph.shared_constant(value, node.weak, node.span)
    }

    /// Binds a value to a name, computing it first if its graph has grown deep.
    pub(crate) fn settle(&mut self, v: Value) -> Result<Value> {
        if self.recording.is_some() {
            // A recorded body is computed whole when its program runs.
            return Ok(v);
        }
        match v {
            Value::Array(n) if n.depth > MAX_DEPTH && n.value().is_none() => {
                // Left where the backend keeps it (a device's buffer) until observed.
                let kept = self.keep(&n)?;
                match kept.value() {
                    Some(value) => Ok(Value::Array(
                        self.graph.shared_constant(value, n.weak, n.span)?,
                    )),
                    None => Ok(Value::Array(kept)),
                }
            }
            other => Ok(other),
        }
    }

    /// The index of the scope a name is found in: the current function's scopes, innermost
    /// first, then the globals.
    pub(crate) fn resolve(&self, name: &str) -> Option<usize> {
        self.scope_order()
            .find(|&i| self.scopes[i].contains_key(name))
    }

    /// The scopes a name is looked up in, in order (see [`Evaluator::resolve`]).
    fn scope_order(&self) -> impl Iterator<Item = usize> + use<> {
        let floor = self.frames.last().copied().unwrap_or(1);
        (floor.min(self.scopes.len())..self.scopes.len())
            .rev()
            .chain(std::iter::once(0))
    }

    /// Looks a name up (see [`Evaluator::resolve`]), as a loop recording sees it.
    pub(crate) fn lookup(&self, name: &str) -> Option<&Binding> {
        let scope = self.resolve(name)?;
        self.overlay_binding(scope, name)
            .or_else(|| self.scopes[scope].get(name))
    }

    /// Reads a name's binding for its value: like [`Evaluator::lookup`], but a loop
    /// recording turns values from outside the body into parameters or guarded constants.
    pub(crate) fn read_var(&mut self, name: &str) -> Result<Option<Binding>> {
        let Some(scope) = self.resolve_or_stdlib(name)? else {
            return Ok(None);
        };
        if let Some(b) = self.recorded_read(scope, name)? {
            return Ok(Some(b));
        }
        Ok(self.scopes[scope].get(name).cloned())
    }

    /// Every name visible now (for "did you mean" and completion).
    pub fn visible_names(&self) -> Vec<String> {
        let floor = self.frames.last().copied().unwrap_or(1);
        let mut names: Vec<String> = self.scopes[floor.min(self.scopes.len())..]
            .iter()
            .chain(std::iter::once(&self.scopes[0]))
            .flat_map(|s| s.keys().cloned())
            .collect();
        names.extend(builtins::registry().iter().map(|b| b.name.to_string()));
        names.extend(self.prelude.keys().map(|n| n.to_string()));
        names.extend(["pi", "e", "inf", "nan", "newaxis"].map(String::from));
        // Hidden names (`for x in array`'s) are not identifiers: never offered.
        names.retain(|n| !n.starts_with('<'));
        names.sort();
        names.dedup();
        names
    }

    /// Binds `name` in the innermost scope.
    pub(crate) fn define(&mut self, name: &str, b: Binding) {
        if let Some(s) = self.scopes.last_mut() {
            s.insert(name.to_string(), b);
        }
    }

    /// Rebinds the nearest visible `name`; false when there is none.
    pub(crate) fn rebind(&mut self, name: &str, v: Value) -> bool {
        match self.resolve(name) {
            Some(i) => {
                if !self.recorded_write(i, name, &v) {
                    self.scopes[i].insert(name.to_string(), Binding::Value(v));
                }
                true
            }
            None => false,
        }
    }

    /// Reads a global variable (for the embedding API).
    pub fn get_global(&self, name: &str) -> Option<Value> {
        match self.scopes[0].get(name) {
            Some(Binding::Value(v)) => Some(v.clone()),
            _ => None,
        }
    }

    /// Binds a global variable (for the embedding API).
    pub fn set_global(&mut self, name: &str, v: Value) {
        self.scopes[0].insert(name.to_string(), Binding::Value(v));
    }

    /// The global variables holding values, sorted by name.
    pub fn globals(&self) -> Vec<(String, Value)> {
        let mut v: Vec<(String, Value)> = self.scopes[0]
            .iter()
            .filter_map(|(k, b)| match b {
                Binding::Value(v) => Some((k.clone(), v.clone())),
                Binding::Func(_) => None,
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Removes every user binding (stdlib functions stay).
    pub fn reset(&mut self) -> Result<()> {
        self.forget_loops();
        crate::runtime::set_print_options(Default::default());
        self.scopes = vec![Scope::default()];
        self.imported.clear();
        self.import_files.clear();
        self.load_prelude();
        Ok(())
    }

    /// The number of the next random draw without `seed=` (LANGUAGE.md §6).
    pub(crate) fn next_draw(&mut self) -> Result<u64> {
        self.effect()?;
        self.draws += 1;
        Ok(self.draws)
    }

    /// The number of graph nodes alive now (see [`Graph::live_nodes`]).
    pub fn live_nodes(&self) -> usize {
        self.graph.live_nodes()
    }

    /// A constant node for a materialised array.
    pub fn constant(&mut self, a: Array) -> Result<NodeRef> {
        self.graph.constant(a, false, Span::default())
    }
}
