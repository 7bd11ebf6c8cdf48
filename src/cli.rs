//! The command line: `arr run FILE`, `arr FILE`, `arr check FILE`, `arr explain FILE`,
//! `arr repl`. Errors are rendered here, at the edge, and turn into exit status 1.

use crate::api::Session;
use crate::backend::BackendKind;
use crate::lower::Options;
use clap::{Args as ClapArgs, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// arr: NumPy's semantics, fused and compiled.
#[derive(Debug, Parser)]
#[command(name = "arr", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a script.
    Run(RunArgs),
    /// Parse a script and infer shapes and dtypes, skipping output-only work.
    Check(RunArgs),
    /// Run a script, printing the plan of every value it computes.
    Explain(RunArgs),
    /// Name the backends this build has and the machine they run on (the GPU adapter and its
    /// features, or why there is none).
    Info,
    /// Start an interactive session (reads statements from stdin when it is not a terminal).
    Repl {
        /// A script to run first.
        file: Option<PathBuf>,
        /// Do not read or write the history file.
        #[arg(long)]
        no_history: bool,
        #[command(flatten)]
        opts: SessionArgs,
    },
}

#[derive(Debug, ClapArgs)]
struct RunArgs {
    /// The script.
    file: PathBuf,
    /// Save the run's complete state to FILE at loop-iteration boundaries (every --every,
    /// and where the script calls `checkpoint()`), to continue it later with --resume.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// How often to save a checkpoint: 90s, 5m, 2h, 0 (every iteration) [default: 5m].
    #[arg(long, value_name = "INTERVAL")]
    every: Option<String>,
    /// Continue the run saved in FILE by --checkpoint (the script must be unchanged);
    /// later checkpoints go to FILE too, unless --checkpoint names another.
    #[arg(long, value_name = "FILE")]
    resume: Option<PathBuf>,
    /// Run an untrusted script: files only beneath its directory and each --allow-dir (no
    /// `..` or symbolic-link escapes), confined by the kernel too where it can (Landlock).
    #[arg(long)]
    sandbox: bool,
    /// With --sandbox, also allow files beneath DIR (repeatable).
    #[arg(long, value_name = "DIR", requires = "sandbox")]
    allow_dir: Vec<PathBuf>,
    /// Stop the run with an error after this long: 90s, 5m, 2h.
    #[arg(long, value_name = "INTERVAL")]
    timeout: Option<String>,
    #[command(flatten)]
    opts: SessionArgs,
}

/// How long past --timeout a run that does not stop (a library call cannot be interrupted)
/// is given before the process exits.
const TIMEOUT_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// How often checkpoints are saved without --every.
const DEFAULT_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// The checkpoints a run saves, from its flags.
fn checkpoint_options(r: &RunArgs) -> Result<Option<crate::CheckpointOptions>, String> {
    let every = match &r.every {
        Some(text) => Some(crate::runtime::parse_duration(text).ok_or_else(|| {
            format!("value error: cannot read interval `{text}` (try 90s, 5m or 2h)")
        })?),
        None => None,
    };
    let Some(path) = r.checkpoint.clone().or_else(|| r.resume.clone()) else {
        return match every {
            Some(_) => {
                Err("value error: --every needs a checkpoint file: add --checkpoint FILE".into())
            }
            None => Ok(None),
        };
    };
    Ok(Some(crate::CheckpointOptions {
        path,
        every: Some(every.unwrap_or(DEFAULT_EVERY)),
    }))
}

#[derive(Debug, ClapArgs)]
struct SessionArgs {
    /// Backend: cpu (default), interp, gpu or mpi.
    #[arg(long, default_value = "cpu")]
    backend: String,
    /// Worker threads (default: all cores; also ARR_THREADS).
    #[arg(long)]
    threads: Option<usize>,
    /// Program seed for random draws without `seed=`.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Largest array allowed, e.g. 4G or 512M (default: half of physical memory).
    #[arg(long)]
    max_memory: Option<String>,
    /// Print time per phase to stderr at the end.
    #[arg(long)]
    time: bool,
    /// Print the plan of every value computed (as `arr explain`).
    #[arg(long)]
    explain: bool,
    /// With the plans, print the code the backend generates: `clif` (Cranelift IR, with
    /// `--backend cpu`) or `wgsl` (the shaders, with `--backend gpu`).
    #[arg(long, value_name = "CODE")]
    emit: Option<String>,
    /// Where a kernel runs when the gpu backend cannot run it for lack of a dtype in the
    /// adapter's shaders (f64, i64 or c128 without SHADER_F64/SHADER_INT64): `cpu`.
    /// Without it, such a kernel is an error.
    #[arg(long, value_name = "BACKEND")]
    fallback: Option<String>,
    /// Trace every loop iteration instead of replaying recorded loop bodies.
    #[arg(long)]
    no_replay: bool,
    /// No progress line for long loops (also NO_PROGRESS; it is shown only when stderr is
    /// a terminal).
    #[arg(long, short)]
    quiet: bool,
}

const SUBCOMMANDS: &[&str] = &["run", "check", "explain", "info", "repl", "help"];

/// Runs the CLI on `args` (including the program name) and returns the exit status.
pub fn main_with_args(mut args: Vec<String>) -> i32 {
    // `arr FILE` is shorthand for `arr run FILE`.
    if let Some(first) = args.get(1)
        && !first.starts_with('-')
        && !SUBCOMMANDS.contains(&first.as_str())
    {
        args.insert(1, "run".into());
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Some(Command::Run(r)) => {
            let explain = r.opts.explain;
            run_file(r, false, explain)
        }
        Some(Command::Check(r)) => run_file(r, true, false),
        Some(Command::Explain(r)) => run_file(r, false, true),
        Some(Command::Info) => {
            println!("{}", info());
            0
        }
        Some(Command::Repl {
            file,
            no_history,
            opts,
        }) => repl(file, opts, !no_history),
        None => repl(
            None,
            SessionArgs {
                backend: "cpu".into(),
                threads: None,
                seed: 0,
                max_memory: None,
                time: false,
                explain: false,
                emit: None,
                fallback: None,
                no_replay: false,
                quiet: false,
            },
            true,
        ),
    }
}

/// What `arr info` prints: the version and each backend's machine.
fn info() -> String {
    let gpu = match crate::backend::gpu::Gpu::new(false) {
        Ok(g) => g.adapter_summary(),
        Err(e) => format!("unavailable: {e}"),
    };
    let mpi = if cfg!(feature = "mpi") {
        "in this build: `mpirun -np N arr run --backend mpi FILE`"
    } else {
        "not in this build (build with `--features mpi`)"
    };
    let width = crate::backend::cpu::wide::width();
    format!(
        "arr {}\ninterp: reference interpreter\ncpu: Cranelift JIT for {}, {} threads, \
         {} vectors ({} f64 lanes; ARR_SIMD=sse2|avx2|avx512 narrows)\ngpu: {gpu}\nmpi: {mpi}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        rayon::current_num_threads(),
        width.name(),
        width.lanes()
    )
}

/// A session from the shared flags, on top of `base` (the options a caller set already).
fn session(
    opts: &SessionArgs,
    check_only: bool,
    explain: bool,
    base: Options,
) -> Result<Session, String> {
    let backend = BackendKind::parse(&opts.backend).ok_or_else(|| {
        format!(
            "value error: unknown backend `{}` (choose interp, cpu, gpu or mpi)",
            opts.backend
        )
    })?;
    let emit_code = match (opts.emit.as_deref(), backend) {
        (None, _) => false,
        (Some("clif"), BackendKind::Cpu) | (Some("wgsl"), BackendKind::Gpu) => true,
        (Some(code @ ("clif" | "wgsl")), _) => {
            let needs = if code == "clif" { "cpu" } else { "gpu" };
            return Err(format!(
                "value error: --emit {code} needs --backend {needs} (the backend that generates it)"
            ));
        }
        (Some(other), _) => {
            return Err(format!(
                "value error: unknown code `{other}` for --emit (choose clif or wgsl)"
            ));
        }
    };
    // Kept on other backends: the REPL may switch to the gpu (`:backend gpu`).
    let fallback_cpu = match opts.fallback.as_deref() {
        None => false,
        Some("cpu") => true,
        Some(other) => {
            return Err(format!(
                "value error: unknown fallback `{other}` (the one fallback is cpu)"
            ));
        }
    };
    let mut options = Options {
        seed: opts.seed,
        fallback_cpu,
        check_only,
        explain: explain || emit_code,
        emit_code,
        replay: !opts.no_replay,
        progress: !opts.quiet
            && std::env::var_os("NO_PROGRESS").is_none()
            && std::io::stderr().is_terminal(),
        ..base
    };
    if let Some(m) = &opts.max_memory {
        options.memory_limit = crate::runtime::parse_size(m).ok_or_else(|| {
            format!("value error: cannot read memory size `{m}` (try 4G or 512M)")
        })?;
    }
    let threads = match (opts.threads, std::env::var("ARR_THREADS")) {
        (Some(t), _) => Some(t),
        (None, Ok(text)) => Some(text.trim().parse().map_err(|_| {
            format!("value error: ARR_THREADS must be a whole number of threads, not `{text}`")
        })?),
        (None, Err(std::env::VarError::NotUnicode(_))) => {
            return Err("value error: ARR_THREADS must be a whole number of threads".into());
        }
        (None, Err(std::env::VarError::NotPresent)) => None,
    };
    if let Some(t) = threads {
        if t == 0 {
            return Err("value error: --threads must be at least 1".into());
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let most = MAX_THREADS_PER_CORE * cores.max(8);
        if t > most {
            return Err(format!(
                "value error: {t} threads is too many for {cores} cores (at most {most}: \
                 more threads than that only wait for each other)"
            ));
        }
        // The global pool runs every parallel kernel (rayon) and faer's linear algebra.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global();
    }
    Session::with_writer(backend, options, Box::new(std::io::stdout())).map_err(|e| e.to_string())
}

/// Threads per core (counting at least 8 cores) that `--threads` may ask for.
const MAX_THREADS_PER_CORE: usize = 8;

/// The session a run gets from its flags: checkpoints, time limit and sandbox (the kernel
/// confinement applied before any worker thread starts).
fn run_session(r: &RunArgs, check_only: bool, explain: bool) -> Result<Session, String> {
    if check_only && (r.checkpoint.is_some() || r.resume.is_some()) {
        return Err(
            "value error: `arr check` takes no checkpoints: use `arr run` \
                    with --checkpoint or --resume"
                .into(),
        );
    }
    if r.opts.backend == "mpi"
        && (r.checkpoint.is_some() || r.resume.is_some() || r.timeout.is_some())
    {
        // Each rank would stop or save at its own moment, and the ranks would part ways.
        return Err(
            "value error: --backend mpi takes no --checkpoint, --resume or --timeout yet".into(),
        );
    }
    let checkpoints = checkpoint_options(r)?;
    let timeout = match &r.timeout {
        Some(text) => Some(crate::runtime::parse_duration(text).ok_or_else(|| {
            format!("value error: cannot read interval `{text}` (try 90s, 5m or 2h)")
        })?),
        None => None,
    };
    let mut base = Options {
        timeout,
        ..Options::default()
    };
    if r.sandbox {
        let script_dir = match r.file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut dirs = vec![script_dir];
        dirs.extend(r.allow_dir.iter().cloned());
        // The checkpoint file is the user's choice, not the script's.
        if let Some(c) = &checkpoints {
            dirs.extend(
                c.path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .map(PathBuf::from),
            );
        }
        let sandbox = crate::runtime::sandbox::Sandbox::new(&dirs).map_err(|e| e.to_string())?;
        use crate::runtime::sandbox::{Confinement, confine};
        match confine(sandbox.dirs()) {
            Confinement::Full => {}
            Confinement::Partial => eprintln!(
                "note: this kernel's Landlock confines only some file rights; arr checks every \
                 path the script uses itself"
            ),
            Confinement::Unavailable => eprintln!(
                "note: this kernel offers no Landlock, so the sandbox is arr's own path checks"
            ),
        }
        base.sandbox = Some(sandbox);
    }
    let mut s = session(&r.opts, check_only, explain, base)?;
    s.set_checkpoints(checkpoints);
    if let Some(limit) = timeout {
        // A run stops at its next statement or kernel once its time is up; one stuck in a
        // library call is stopped here.
        std::thread::spawn(move || {
            std::thread::sleep(limit + TIMEOUT_GRACE);
            let _ = std::io::stdout().flush();
            eprintln!(
                "resource error: the run took longer than its time limit of {} and did not stop \
                 (a library call cannot be interrupted), so it was ended",
                crate::runtime::sandbox::format_duration(limit)
            );
            std::process::exit(1);
        });
    }
    Ok(s)
}

fn run_file(r: RunArgs, check_only: bool, explain: bool) -> i32 {
    let mut s = match run_session(&r, check_only, explain) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("{msg}");
            return 1;
        }
    };
    if s.evaluator().options.progress {
        // Ctrl-C stops the run at the next statement or kernel, which clears the progress
        // line and reports where it stopped; a second Ctrl-C exits at once.
        let flag = s.evaluator().cancel_flag();
        let _ = ctrlc::set_handler(move || {
            if flag.swap(true, std::sync::atomic::Ordering::Relaxed) {
                eprint!("\r\x1b[2K");
                std::process::exit(130);
            }
        });
    }
    let result = match &r.resume {
        Some(checkpoint) => {
            if !r.opts.quiet
                && let Ok(at) = crate::lower::describe_checkpoint(checkpoint)
            {
                eprintln!("resuming from `{}`: {at}", checkpoint.display());
            }
            s.resume_file(&r.file, checkpoint)
        }
        None => s.run_file(&r.file),
    };
    let leads = s.evaluator().leads();
    if r.opts.time && leads {
        print_times(&mut s);
    }
    match result {
        Ok(()) => {
            #[cfg(feature = "mpi")]
            crate::backend::mpi::finish();
            0
        }
        Err(e) => {
            let _ = std::io::stdout().flush();
            let shown = s.render_error(&e, crate::diag::color_enabled(&std::io::stderr()));
            #[cfg(feature = "mpi")]
            if let Some((rank, ranks)) = crate::backend::mpi::place() {
                fail_job(&shown, rank, ranks);
            }
            eprint!("{shown}");
            1
        }
    }
}

/// How long a rank other than 0 waits before printing its error: long enough for rank 0's
/// abort to end it when rank 0 failed too (0.5 s was not, on a loaded 2-core CI runner:
/// the error was printed twice), short enough that an error on one rank alone still ends
/// the job within 5 s.
#[cfg(feature = "mpi")]
const OTHER_RANK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Ends an MPI job after an error on this rank, printing it once: every rank runs the same
/// program, so an error usually happens on all of them; rank 0 prints it at once and ends
/// the job, while another rank first waits ([`OTHER_RANK_WAIT`]) — it is ended by then
/// unless the error is its own alone, which it then prints with its rank.
#[cfg(feature = "mpi")]
fn fail_job(shown: &str, rank: usize, ranks: usize) -> ! {
    if rank != 0 {
        std::thread::sleep(OTHER_RANK_WAIT);
        eprintln!("error on MPI rank {rank} of {ranks}:");
    }
    eprint!("{shown}");
    let _ = std::io::stderr().flush();
    crate::backend::mpi::abort(1)
}

/// `--time`'s line, and the process's peak memory (under MPI, the leading rank's: each
/// rank holds its own rows of spread arrays).
fn print_times(s: &mut Session) {
    let peak = crate::runtime::peak_resident_bytes() as f64 / 1e6;
    eprintln!(
        "{}; peak memory {peak:.1} MB",
        s.evaluator().times().report()
    );
}

fn repl(file: Option<PathBuf>, opts: SessionArgs, history: bool) -> i32 {
    let mut s = match session(&opts, false, false, Options::default()) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("{msg}");
            return 1;
        }
    };
    // Only rank 0 reads the terminal: the other ranks could not follow its statements.
    #[cfg(feature = "mpi")]
    if let Some((rank, ranks @ 2..)) = crate::backend::mpi::place() {
        if rank == 0 {
            eprintln!(
                "value error: the REPL runs on one MPI rank, not {ranks}: run a script with \
                 `mpirun -np {ranks} arr run --backend mpi FILE`"
            );
        }
        crate::backend::mpi::finish();
        return 1;
    }
    if let Some(f) = file
        && let Err(e) = s.run_file(&f)
    {
        eprint!(
            "{}",
            s.render_error(&e, crate::diag::color_enabled(&std::io::stderr()))
        );
    }
    let status = crate::repl::run(s, history);
    #[cfg(feature = "mpi")]
    crate::backend::mpi::finish();
    status
}
