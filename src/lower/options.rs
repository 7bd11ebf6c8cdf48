//! [`Options`]: how an [`super::Evaluator`] runs programs.

/// Constant inputs with results up to this many elements are computed while tracing.
const FOLD_LIMIT: usize = 4096;

/// Settings of an [`Evaluator`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Largest array in bytes.
    pub memory_limit: u64,
    /// The program seed for random draws without `seed=`.
    pub seed: u64,
    /// Print each forced graph before computing it (`arr explain`).
    pub explain: bool,
    /// With `explain`, also print the code the backend generates (`--emit`).
    pub emit_code: bool,
    /// Skip work whose only effect is output (`arr check`).
    pub check_only: bool,
    /// Results of at most this many elements computed from constants are folded while
    /// tracing (by the interpreter's code); 0 leaves all work to the backend.
    pub fold_limit: usize,
    /// Loop bodies that trace to the same program every iteration are recorded once and
    /// replayed (`replay`); false traces every iteration.
    pub replay: bool,
    /// Show a progress line on stderr for a loop running over a second (`progress`; the
    /// CLI and REPL set it when stderr is a terminal).
    pub progress: bool,
    /// Files only beneath these directories (and the running script's own), for untrusted
    /// scripts (`runtime::sandbox`).
    pub sandbox: Option<crate::runtime::sandbox::Sandbox>,
    /// On the gpu backend: kernels needing a dtype the adapter's shaders lack run on the
    /// CPU instead of stopping with an error (`--fallback cpu`).
    pub fallback_cpu: bool,
    /// The longest one run (a script, or one call of the API) may take; past it the run
    /// stops with a resource error.
    pub timeout: Option<std::time::Duration>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            memory_limit: crate::runtime::default_memory_limit(),
            seed: 0,
            explain: false,
            emit_code: false,
            check_only: false,
            fold_limit: FOLD_LIMIT,
            replay: true,
            progress: false,
            sandbox: None,
            timeout: None,
            fallback_cpu: false,
        }
    }
}
