//! The sandbox for untrusted scripts (`arr run --sandbox`, `Session::sandboxed`): file
//! access only beneath allowed directories, a time limit, and on Linux the same confinement
//! enforced by the kernel (Landlock) as a second wall.
//!
//! **Paths.** Every path a script reads or writes (`load`, `save`, `import`) is resolved
//! before it is used — relative to the working directory, `..` and every symbolic link
//! followed (for a file not there yet, its deepest existing directory) — and must lie
//! beneath an allowed directory; otherwise it is a `permission error`. The resolved path is
//! the one opened.
//!
//! **Time.** A [`Watchdog`] sets a run's cancel flag when its time limit (`--timeout`,
//! `Options::timeout`; sandboxed or not) is up; the run stops at the next statement or
//! kernel, as on Ctrl-C, with a resource error.

use crate::diag::{Error, ErrorKind, Result};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What a script does with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAccess {
    /// `load`, `import`.
    Read,
    /// `save`.
    Write,
}

/// The directories a sandboxed run may read and write beneath.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sandbox {
    /// Allowed directories, resolved (canonical).
    dirs: Vec<PathBuf>,
}

impl Sandbox {
    /// A sandbox allowing files beneath each of `dirs` (which must exist). A script run in
    /// it also gets its own directory.
    pub fn new(dirs: &[PathBuf]) -> Result<Sandbox> {
        let mut s = Sandbox::default();
        for d in dirs {
            s.allow(d)?;
        }
        Ok(s)
    }

    /// Allows files beneath `dir` too.
    pub fn allow(&mut self, dir: &Path) -> Result<()> {
        let resolved = dir.canonicalize().map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot allow directory `{}`: {e}", dir.display()),
            )
        })?;
        if !resolved.is_dir() {
            return Err(Error::new(
                ErrorKind::Io,
                format!("cannot allow `{}`: it is not a directory", dir.display()),
            ));
        }
        if !self.dirs.contains(&resolved) {
            self.dirs.push(resolved);
        }
        Ok(())
    }

    /// The allowed directories, resolved.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The path to open for `access` to `path`: resolved, and beneath an allowed directory,
    /// or a permission error.
    pub fn check(&self, path: &Path, access: FileAccess) -> Result<PathBuf> {
        let resolved = resolve(path).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot resolve `{}`: {e}", path.display()),
            )
        })?;
        if self.dirs.iter().any(|d| resolved.starts_with(d)) {
            return Ok(resolved);
        }
        let verb = match access {
            FileAccess::Read => "read",
            FileAccess::Write => "write",
        };
        let allowed: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        Err(Error::new(
            ErrorKind::Permission,
            format!(
                "a sandboxed run cannot {verb} `{}`: it is outside the allowed directories ({})",
                path.display(),
                allowed.join(", ")
            ),
        )
        .with_help("allow a directory with `--allow-dir DIR`"))
    }
}

/// `path` made absolute with every `..` and symbolic link resolved: the deepest existing
/// ancestor canonicalised, the missing rest (which holds no links) appended with `.` and
/// `..` applied.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::env::current_dir()?.join(path);
    let mut existing = absolute.as_path();
    let mut missing: Vec<Component> = vec![];
    let base = loop {
        match existing.canonicalize() {
            Ok(p) => break p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if existing.symlink_metadata().is_ok() {
                    // A link to nothing: where it points is not a place to create a file.
                    return Err(std::io::Error::other(
                        "it is a symbolic link to a missing file",
                    ));
                }
                let Some(parent) = existing.parent() else {
                    return Err(e);
                };
                missing.extend(existing.components().next_back());
                existing = parent;
            }
            Err(e) => return Err(e),
        }
    };
    let mut out = base;
    for c in missing.into_iter().rev() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
            _ => {}
        }
    }
    Ok(out)
}

/// Sets a cancel flag when a time limit passes, unless dropped first.
#[derive(Debug)]
pub struct Watchdog {
    /// (finished, its condition): set when the watched run ends.
    done: Arc<(Mutex<bool>, Condvar)>,
    fired: Arc<AtomicBool>,
}

impl Watchdog {
    /// Watches a run that may take `limit`: sets `cancel` when it takes longer.
    pub fn start(limit: Duration, cancel: Arc<AtomicBool>) -> Watchdog {
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        let fired = Arc::new(AtomicBool::new(false));
        let (d, f) = (done.clone(), fired.clone());
        let deadline = Instant::now() + limit;
        std::thread::spawn(move || {
            let (lock, ended) = &*d;
            let Ok(mut finished) = lock.lock() else {
                return;
            };
            while !*finished {
                let now = Instant::now();
                if now >= deadline {
                    f.store(true, Ordering::Relaxed);
                    cancel.store(true, Ordering::Relaxed);
                    return;
                }
                finished = match ended.wait_timeout(finished, deadline - now) {
                    Ok((g, _)) => g,
                    Err(_) => return,
                };
            }
        });
        Watchdog { done, fired }
    }

    /// Whether the time ran out.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::Relaxed)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let (lock, ended) = &*self.done;
        if let Ok(mut finished) = lock.lock() {
            *finished = true;
        }
        ended.notify_all();
    }
}

/// How much of the kernel-level confinement took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confinement {
    /// Every file access right is confined to the allowed directories.
    Full,
    /// Some rights (those newer than the running kernel's Landlock) are not confined.
    Partial,
    /// The kernel offers no Landlock (or this is not Linux): the path checks alone apply.
    Unavailable,
}

/// Confines this process's threads started from now on (and this thread) to `dirs` at the
/// kernel level (Landlock on Linux: files beneath `dirs` only, no TCP), as far as the
/// kernel supports it. Call it before the worker threads start.
pub fn confine(dirs: &[PathBuf]) -> Confinement {
    #[cfg(target_os = "linux")]
    {
        use landlock::{
            ABI, Access, AccessFs, AccessNet, Ruleset, RulesetAttr, RulesetCreatedAttr,
            RulesetStatus, path_beneath_rules,
        };
        let abi = ABI::V5;
        let status = Ruleset::default()
            .handle_access(AccessFs::from_all(abi))
            .and_then(|r| r.handle_access(AccessNet::from_all(abi)))
            .and_then(|r| r.create())
            .and_then(|r| r.add_rules(path_beneath_rules(dirs, AccessFs::from_all(abi))))
            .and_then(|r| r.restrict_self());
        match status.map(|s| s.ruleset) {
            Ok(RulesetStatus::FullyEnforced) => Confinement::Full,
            Ok(RulesetStatus::PartiallyEnforced) => Confinement::Partial,
            Ok(RulesetStatus::NotEnforced) | Err(_) => Confinement::Unavailable,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dirs;
        Confinement::Unavailable
    }
}

/// A duration as a user writes one: `90s`, `5m`, `1.5h`, `250ms`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    let trim = |x: f64| {
        let t = format!("{x:.2}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    if s < 1.0 {
        format!("{}ms", trim(s * 1e3))
    } else if s < 120.0 {
        format!("{}s", trim(s))
    } else if s < 7200.0 {
        format!("{}m", trim(s / 60.0))
    } else {
        format!("{}h", trim(s / 3600.0))
    }
}
