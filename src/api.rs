//! The embedding API: [`Session`] runs arr code from Rust and moves arrays in and out as
//! `ndarray::ArrayD`.
//!
//! ```
//! use arr::Session;
//! let mut s = Session::new().unwrap();
//! s.run_str("let x = arange(5) * 2.0").unwrap();
//! let x: ndarray::ArrayD<f64> = s.get("x").unwrap().try_into().unwrap();
//! assert_eq!(x.as_slice().unwrap(), &[0.0, 2.0, 4.0, 6.0, 8.0]);
//! assert_eq!(s.eval("sum(x)").unwrap().to_string(), "20.0");
//! ```

use crate::backend::BackendKind;
use crate::diag::{Error, Result, value_error};
use crate::lower::{Evaluator, Options, Value};
use crate::runtime::{Array, format_array};
use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

/// An arr session: names bound by earlier code stay bound for later code.
pub struct Session {
    ev: Evaluator,
    output: Rc<RefCell<Vec<u8>>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("backend", &self.ev.backend_name())
            .finish_non_exhaustive()
    }
}

/// A buffer that collects what programs print.
struct SharedBuf(Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Session {
    /// A session on the default backend (`cpu`) with default options; printed output is
    /// collected (read it with [`Session::take_output`]).
    pub fn new() -> Result<Session> {
        Session::with_options(BackendKind::default(), Options::default())
    }

    /// A session for untrusted code on the default backend: files only beneath `dirs` (and
    /// the directory of a script it runs), each run stopped after `timeout` if given. A
    /// path outside is a [`crate::ErrorKind::Permission`] error; see `runtime::sandbox`
    /// for what this does and does not protect against.
    pub fn sandboxed(
        dirs: &[std::path::PathBuf],
        timeout: Option<std::time::Duration>,
    ) -> Result<Session> {
        let options = Options {
            sandbox: Some(crate::runtime::sandbox::Sandbox::new(dirs)?),
            timeout,
            ..Options::default()
        };
        Session::with_options(BackendKind::default(), options)
    }

    /// A session on `backend` with `options`.
    pub fn with_options(backend: BackendKind, options: Options) -> Result<Session> {
        Session::with_backend(backend.create(options.fallback_cpu)?, options)
    }

    /// A session on an already configured backend (e.g. `Cpu::new()?.always_compile()`).
    pub fn with_backend(
        backend: Box<dyn crate::backend::Backend>,
        options: Options,
    ) -> Result<Session> {
        let output = Rc::new(RefCell::new(Vec::new()));
        let ev = Evaluator::new(backend, Box::new(SharedBuf(output.clone())), options)?;
        Ok(Session { ev, output })
    }

    /// A session that writes printed output to `out` (the CLI passes stdout).
    pub fn with_writer(
        backend: BackendKind,
        options: Options,
        out: Box<dyn Write>,
    ) -> Result<Session> {
        let ev = Evaluator::new(backend.create(options.fallback_cpu)?, out, options)?;
        Ok(Session {
            ev,
            output: Rc::new(RefCell::new(Vec::new())),
        })
    }

    /// Runs a script file; imports resolve next to it.
    pub fn run_file(&mut self, path: &Path) -> Result<()> {
        let text = crate::runtime::io::read_text(path)?;
        let dir = path.parent().map(|p| p.to_path_buf());
        self.ev
            .run_source(&path.display().to_string(), &text, dir)?;
        Ok(())
    }

    /// Saves checkpoints of the script run next (by [`Session::run_file`] or
    /// [`Session::resume_file`]) as `options` say: its complete state at loop-iteration
    /// boundaries, atomically; `None` turns checkpoints off.
    pub fn set_checkpoints(&mut self, options: Option<crate::CheckpointOptions>) {
        self.ev.set_checkpoints(options);
    }

    /// Runs the script at `path` on from the checkpoint at `checkpoint`, which a run of the
    /// same script wrote: the state restored, the loops re-entered where they stood, the
    /// statements before them not run again. A resume error when the script (or a file it
    /// imports) changed since, or the session's seed differs.
    pub fn resume_file(&mut self, path: &Path, checkpoint: &Path) -> Result<()> {
        let text = crate::runtime::io::read_text(path)?;
        let dir = path.parent().map(|p| p.to_path_buf());
        self.ev
            .resume_source(&path.display().to_string(), &text, dir, checkpoint)?;
        Ok(())
    }

    /// Runs source text (named `<input>` in errors).
    pub fn run_str(&mut self, code: &str) -> Result<()> {
        self.ev
            .run_source("<input>", code, std::env::current_dir().ok())?;
        Ok(())
    }

    /// Runs code and returns the value of its last statement when that is an array.
    pub fn eval(&mut self, code: &str) -> Result<Array> {
        self.eval_value(code)?
            .ok_or_else(|| value_error("the code has no value"))
    }

    /// Runs code as the REPL does: the last expression's value, computed, if it has one.
    pub fn eval_value(&mut self, code: &str) -> Result<Option<Array>> {
        let v = self
            .ev
            .run_source("<input>", code, std::env::current_dir().ok())?;
        self.materialize(v)
    }

    /// Runs code as the REPL does and returns the last expression's value, computed, in any
    /// of its kinds (an array, a tuple, a string, `None`), or `None` when it has no value.
    pub fn eval_output(&mut self, code: &str) -> Result<Option<Output>> {
        let v = self
            .ev
            .run_source("<input>", code, std::env::current_dir().ok())?;
        self.output_of(v)
    }

    fn output_of(&mut self, v: Value) -> Result<Option<Output>> {
        Ok(Some(match v {
            Value::Tuple(members) => {
                let mut out = Vec::with_capacity(members.len());
                for m in members.iter() {
                    out.extend(self.output_of(m.clone())?);
                }
                Output::Tuple(out)
            }
            Value::Str(s) => Output::Str(s.to_string()),
            Value::None => Output::None,
            Value::Unit => return Ok(None),
            other => match self.materialize(other)? {
                Some(a) => Output::Array(a),
                None => return Ok(None),
            },
        }))
    }

    /// Computes a value and hands it out, without a copy when nothing else holds it.
    fn materialize(&mut self, v: Value) -> Result<Option<Array>> {
        let node = match v {
            Value::Array(n) => n,
            Value::List(_) => self.ev.expect_array(&v, Default::default())?,
            _ => return Ok(None),
        };
        let value = self.ev.force(&node)?;
        drop(node);
        Ok(Some(
            Rc::try_unwrap(value).unwrap_or_else(|shared| (*shared).clone()),
        ))
    }

    /// The plan that would compute the value of `code`, without computing it.
    pub fn explain(&mut self, code: &str) -> Result<String> {
        let v = self
            .ev
            .run_source("<input>", code, std::env::current_dir().ok())?;
        match v {
            Value::Array(n) => Ok(self.ev.explain(&n)),
            other => Err(crate::diag::type_error(format!(
                "there is no plan for {}",
                other.kind_name()
            ))),
        }
    }

    /// The value bound to a global name, computed.
    pub fn get(&mut self, name: &str) -> Result<Array> {
        let v = self
            .ev
            .get_global(name)
            .ok_or_else(|| crate::diag::name_error(format!("`{name}` is not defined")))?;
        let kind = v.kind_name();
        self.materialize(v)?
            .ok_or_else(|| crate::diag::type_error(format!("`{name}` is {kind}, not an array")))
    }

    /// Binds a global name to an array.
    pub fn set(&mut self, name: &str, value: impl Into<Array>) -> Result<()> {
        let node = self.ev.constant(value.into())?;
        self.ev.set_global(name, Value::Array(node));
        Ok(())
    }

    /// What programs printed since the last call (sessions made with [`Session::new`]).
    pub fn take_output(&mut self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut *self.output.borrow_mut())).into_owned()
    }

    /// Renders an error from this session with its source line and marker.
    pub fn render_error(&self, err: &Error, color: bool) -> String {
        crate::diag::render(err, &self.ev.sources, color)
    }

    /// The evaluator underneath (for the CLI and REPL).
    pub fn evaluator(&mut self) -> &mut Evaluator {
        &mut self.ev
    }
}

/// A computed value of any kind, as [`Session::eval_output`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// An array (scalars are 0-d arrays).
    Array(Array),
    /// A tuple of values.
    Tuple(Vec<Output>),
    /// A string.
    Str(String),
    /// `None`.
    None,
}

impl std::fmt::Display for Output {
    /// As `print` shows the value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Array(a) => a.fmt(f),
            Output::Str(s) => f.write_str(s),
            Output::None => f.write_str("None"),
            Output::Tuple(members) => {
                f.write_str("(")?;
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    m.fmt(f)?;
                }
                f.write_str(if members.len() == 1 { ",)" } else { ")" })
            }
        }
    }
}

impl std::fmt::Display for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_array(self))
    }
}
