//! The checkpoint file: a zip archive of a JSON manifest ([`MANIFEST`]) and one `.npy`
//! member per saved array, written atomically. `numpy.load("run.ckpt")` lists the arrays
//! (each under its binding's name where it is free).

use super::SavedFrame;
use crate::diag::{Error, ErrorKind, Result};
use crate::graph::NodeRef;
use crate::lower::{Binding, Evaluator, Scope, Value};
use crate::runtime::{Array, PrintOptions};
use crate::syntax::ast::{FnDef, Stmt, StmtKind};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The manifest's member name.
const MANIFEST: &str = "checkpoint.json";
/// What the manifest's `format` says.
const FORMAT: &str = "arr checkpoint";
/// The layout version this build writes and reads.
const VERSION: u32 = 1;
/// The largest manifest read (it holds the script's text and the names in scope).
const MANIFEST_LIMIT: u64 = 256 << 20;

/// What a checkpoint's manifest records.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    /// The script's text.
    script: String,
    /// The files the script imported, in order: path and text.
    imports: Vec<(PathBuf, String)>,
    seed: u64,
    /// Draws without `seed=` made so far.
    draws: u64,
    print: PrintOptions,
    /// The running checkpoint loops, outermost first.
    frames: Vec<SavedFrame>,
    /// Each open scope's bindings, outermost (the globals) first.
    scopes: Vec<Vec<(String, Saved)>>,
}

impl Manifest {
    /// The manifest of the checkpoint at `path`, checked to be one this arr reads.
    fn read(path: &Path) -> Result<Manifest> {
        let what = path.display();
        let Some(json) = crate::runtime::io::archive_member(path, MANIFEST, MANIFEST_LIMIT)? else {
            return Err(resume_error(format!(
                "`{what}` is not an arr checkpoint (it has no {MANIFEST})"
            )));
        };
        let manifest: Manifest = serde_json::from_slice(&json).map_err(|e| {
            resume_error(format!(
                "`{what}` is not a checkpoint this arr can read: {e}"
            ))
        })?;
        if manifest.format != FORMAT || manifest.version != VERSION {
            return Err(resume_error(format!(
                "`{what}` is a checkpoint of layout {} {}; this arr reads {FORMAT} {VERSION}",
                manifest.format, manifest.version
            )));
        }
        Ok(manifest)
    }
}

/// Where the checkpoint at `path` stands, in words: the iterations its outermost loop had
/// done (for a note when a run resumes).
pub fn describe(path: &Path) -> Result<String> {
    let m = Manifest::read(path)?;
    Ok(match m.frames.first() {
        Some(f) => format!("{} iterations of its outermost loop done", f.count),
        None => "at the start".to_string(),
    })
}

/// A saved binding.
#[derive(Debug, Serialize, Deserialize)]
enum Saved {
    /// An array: its member in the archive (shared by bindings that shared it), and its
    /// weakness (a Python scalar's promotion rule).
    Array {
        member: String,
        weak: bool,
    },
    Str(String),
    List(Vec<Saved>),
    Tuple(Vec<Saved>),
    None,
    Unit,
    /// A function defined in file `file` (0: the script; k: its k-th import) by the
    /// definition whose name starts at byte `at`.
    Func {
        file: usize,
        at: u32,
    },
}

/// A checkpoint in memory: the manifest and the arrays it names.
pub(super) struct State {
    manifest: Manifest,
    arrays: Vec<(String, Rc<Array>)>,
}

impl State {
    /// The evaluator's state at the position `frames` (every value in scope computed).
    pub(super) fn capture(ev: &Evaluator, frames: &[SavedFrame]) -> Result<State> {
        let text = |file: u32| ev.sources.get(file).map(|(_, t)| t.to_string());
        let script = ev
            .checkpoints
            .as_ref()
            .and_then(|c| c.script)
            .ok_or_else(|| Error::new(ErrorKind::Value, "no script is running"))?;
        let mut files = vec![script];
        let mut imports = vec![];
        for (path, file) in &ev.import_files {
            files.push(*file);
            imports.push((path.clone(), text(*file).unwrap_or_default()));
        }
        let mut capture = Capture {
            files,
            members: HashMap::new(),
            taken: HashSet::new(),
            arrays: vec![],
        };
        let mut scopes = vec![];
        for scope in &ev.scopes {
            let mut names: Vec<&String> = scope.keys().collect();
            names.sort();
            let mut saved = vec![];
            for name in names {
                let s = match &scope[name] {
                    Binding::Value(v) => capture.value(v, name)?,
                    Binding::Func(def) => match capture.function(def) {
                        Some(s) => s,
                        // A stdlib function: every session has it.
                        None => continue,
                    },
                };
                saved.push((name.clone(), s));
            }
            scopes.push(saved);
        }
        Ok(State {
            manifest: Manifest {
                format: FORMAT.into(),
                version: VERSION,
                script: text(script).unwrap_or_default(),
                imports,
                seed: ev.options.seed,
                draws: ev.draws,
                print: crate::runtime::print_options(),
                frames: frames.to_vec(),
                scopes,
            },
            arrays: capture.arrays,
        })
    }

    /// Writes the checkpoint to `path` atomically.
    pub(super) fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec(&self.manifest)
            .map_err(|e| crate::diag::io_error(format!("cannot write a checkpoint: {e}")))?;
        let arrays: Vec<(&str, &Array)> = self
            .arrays
            .iter()
            .map(|(n, a)| (n.as_str(), a.as_ref()))
            .collect();
        crate::runtime::io::save_archive(path, &[(MANIFEST, &json)], &arrays)
    }

    /// Reads the checkpoint at `path` (arrays within the memory `limit`).
    pub(super) fn read(path: &Path, limit: u64) -> Result<State> {
        let manifest = Manifest::read(path)?;
        let arrays = crate::runtime::io::archive_arrays(path, limit)?
            .into_iter()
            .map(|(n, a)| (n, Rc::new(a)))
            .collect();
        Ok(State { manifest, arrays })
    }

    /// Restores the state into `ev` for the script `file` (parsed as `program`) after
    /// checking that the script and its imports are the ones saved; returns the position.
    pub(super) fn restore(
        self,
        ev: &mut Evaluator,
        path: &Path,
        file: u32,
        program: &[Stmt],
    ) -> Result<Rc<[SavedFrame]>> {
        let m = self.manifest;
        let (name, text) = ev.sources.get(file).unwrap_or_default();
        if let Some(line) = first_difference(text, &m.script) {
            return Err(resume_error(format!(
                "`{name}` has changed since the checkpoint `{}` was written (line {line} differs)",
                path.display()
            ))
            .with_help("resume with the script that wrote the checkpoint, or run without --resume to start over"));
        }
        if ev.options.seed != m.seed {
            return Err(resume_error(format!(
                "the checkpoint was written by a run with --seed {}, and this run has --seed {}",
                m.seed, ev.options.seed
            )));
        }
        let mut programs: Vec<Vec<Stmt>> = vec![program.to_vec()];
        for (import, saved) in &m.imports {
            let now = crate::runtime::io::read_text(import).map_err(|e| {
                resume_error(format!("the script's import `{}`: {e}", import.display()))
            })?;
            if let Some(line) = first_difference(&now, saved) {
                return Err(resume_error(format!(
                    "`{}`, imported by the script, has changed since the checkpoint was \
                     written (line {line} differs)",
                    import.display()
                )));
            }
            let id = ev.sources.add(import.display().to_string(), now.as_str());
            if let Some(dir) = import.parent() {
                ev.file_dirs.insert(id, dir.to_path_buf());
            }
            programs.push(crate::syntax::parse(&now, id)?.stmts);
            ev.imported.insert(import.clone());
            ev.import_files.push((import.clone(), id));
        }
        let mut restore = Restore {
            programs,
            arrays: self.arrays.into_iter().collect(),
            nodes: HashMap::new(),
        };
        let mut scopes: Vec<Scope> = vec![];
        for (depth, saved) in m.scopes.into_iter().enumerate() {
            // The globals start from a new session's (the stdlib's functions).
            let mut scope = match depth {
                0 => ev.scopes[0].clone(),
                _ => Scope::default(),
            };
            for (name, s) in saved {
                let binding = restore.binding(ev, s)?;
                scope.insert(name, binding);
            }
            scopes.push(scope);
        }
        ev.scopes = scopes;
        ev.draws = m.draws;
        crate::runtime::set_print_options(m.print);
        Ok(m.frames.into())
    }
}

/// The arrays and names met while capturing a state.
struct Capture {
    /// The files a function may come from: the script, then its imports.
    files: Vec<u32>,
    /// Each array node's member (a node bound to several names is saved once).
    members: HashMap<u64, String>,
    taken: HashSet<String>,
    arrays: Vec<(String, Rc<Array>)>,
}

impl Capture {
    fn value(&mut self, v: &Value, name: &str) -> Result<Saved> {
        Ok(match v {
            Value::Array(n) => Saved::Array {
                member: self.array(n, name)?,
                weak: n.weak,
            },
            Value::Str(s) => Saved::Str(s.to_string()),
            Value::List(items) => Saved::List(self.values(items, name)?),
            Value::Tuple(items) => Saved::Tuple(self.values(items, name)?),
            Value::None => Saved::None,
            Value::Unit => Saved::Unit,
        })
    }

    fn values(&mut self, items: &[Value], name: &str) -> Result<Vec<Saved>> {
        items
            .iter()
            .enumerate()
            .map(|(k, v)| self.value(v, &format!("{name}.{k}")))
            .collect()
    }

    /// The member holding the value of `n`, bound to `name`.
    fn array(&mut self, n: &NodeRef, name: &str) -> Result<String> {
        if let Some(m) = self.members.get(&n.id) {
            return Ok(m.clone());
        }
        let value = n
            .value()
            .ok_or_else(|| crate::diag::value_error(format!("`{name}` is not computed")))?;
        let mut member = name.to_string();
        let mut k = 1;
        while !self.taken.insert(member.clone()) {
            k += 1;
            member = format!("{name}~{k}");
        }
        self.members.insert(n.id, member.clone());
        self.arrays.push((member.clone(), value));
        Ok(member)
    }

    /// A function of the script or its imports, by its place; `None` for the stdlib's.
    fn function(&self, def: &FnDef) -> Option<Saved> {
        let file = self.files.iter().position(|&f| f == def.name.span.file)?;
        Some(Saved::Func {
            file,
            at: def.name.span.start,
        })
    }
}

/// The saved arrays and the nodes made of them while restoring.
struct Restore {
    programs: Vec<Vec<Stmt>>,
    arrays: HashMap<String, Rc<Array>>,
    /// Each member's node (bindings that shared an array share it again).
    nodes: HashMap<String, NodeRef>,
}

impl Restore {
    fn binding(&mut self, ev: &mut Evaluator, s: Saved) -> Result<Binding> {
        Ok(match s {
            Saved::Func { file, at } => {
                let def = self
                    .programs
                    .get(file)
                    .and_then(|p| find_fn(p, at))
                    .ok_or_else(|| damaged("a function it names is not in the script"))?;
                Binding::Func(def)
            }
            other => Binding::Value(self.value(ev, other)?),
        })
    }

    fn value(&mut self, ev: &mut Evaluator, s: Saved) -> Result<Value> {
        Ok(match s {
            Saved::Array { member, weak } => {
                if let Some(n) = self.nodes.get(&member) {
                    return Ok(Value::Array(n.clone()));
                }
                let a = self
                    .arrays
                    .get(&member)
                    .cloned()
                    .ok_or_else(|| damaged(&format!("it has no array `{member}`")))?;
                let n = ev.graph.shared_constant(a, weak, Default::default())?;
                self.nodes.insert(member, n.clone());
                Value::Array(n)
            }
            Saved::Str(s) => Value::Str(s.into()),
            Saved::List(items) => Value::List(self.values(ev, items)?),
            Saved::Tuple(items) => Value::Tuple(self.values(ev, items)?.into()),
            Saved::None => Value::None,
            Saved::Unit => Value::Unit,
            Saved::Func { .. } => return Err(damaged("a function is saved inside a value")),
        })
    }

    fn values(&mut self, ev: &mut Evaluator, items: Vec<Saved>) -> Result<Vec<Value>> {
        items.into_iter().map(|s| self.value(ev, s)).collect()
    }
}

/// The function defined by the `fn` statement whose name starts at byte `at`, among
/// `stmts` and the bodies of their loops and functions.
fn find_fn(stmts: &[Stmt], at: u32) -> Option<Rc<FnDef>> {
    stmts.iter().find_map(|s| match &s.kind {
        StmtKind::Fn(def) if def.name.span.start == at => Some(def.clone()),
        StmtKind::Fn(def) => find_fn(&def.body.stmts, at),
        StmtKind::For { body, .. }
        | StmtKind::ForEach { body, .. }
        | StmtKind::While { body, .. } => find_fn(&body.stmts, at),
        _ => None,
    })
}

/// The first line (1-based) where two texts differ, `None` when they are the same.
fn first_difference(a: &str, b: &str) -> Option<usize> {
    if a == b {
        return None;
    }
    let mut lines = a.lines().zip(b.lines());
    let same = lines.by_ref().take_while(|(x, y)| x == y).count();
    Some(same + 1)
}

fn resume_error(message: String) -> Error {
    Error::new(ErrorKind::Resume, message)
}

fn damaged(what: &str) -> Error {
    resume_error(format!("the checkpoint is damaged: {what}"))
}
