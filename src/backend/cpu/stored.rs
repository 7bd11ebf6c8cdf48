//! Compiled kernels kept on disk between runs: the machine code Cranelift emitted for a
//! kernel, with its relocations (calls to the shims), saved under a 128-bit hash of the
//! kernel's code and loaded instead of compiling it again — in the next run of a script,
//! or in another script with the same kernels. Compiling costs 0.2–0.6 ms a kernel; a
//! short program compiles a few dozen.
//!
//! Where: `ARR_KERNEL_CACHE` names the directory (`off` turns the store off), else
//! `$XDG_CACHE_HOME/arr/kernels`, else `$HOME/.cache/arr/kernels`. Entries live in a
//! folder per *build* — a hash of arr's version, the running executable's size and
//! modification time, and the target ISA with its flags — so code from another build or
//! machine is never loaded; folders of other builds are removed once more than
//! [`BUILDS_KEPT`] exist. Each file is written to a temporary name and renamed (processes
//! running at once, MPI ranks included, never see half a file) and ends in a checksum;
//! anything unreadable, short or not matching is ignored and compiled again. The store is
//! best effort: a directory that cannot be made or written leaves compiling as it was.
//! It is used only in a directory that this user owns and nobody else may write to.

use crate::fuse::Kernel;
use cranelift_codegen::binemit::Reloc;
use cranelift_module::{ModuleReloc, ModuleRelocTarget};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Build folders kept beside the current one.
const BUILDS_KEPT: usize = 8;
/// The first bytes of every entry.
const MAGIC: &[u8; 8] = b"arrk0001";

/// Machine code of one kernel as Cranelift emitted it.
pub(super) struct Code {
    /// Required alignment of the code in memory.
    pub align: u64,
    pub bytes: Vec<u8>,
    pub relocs: Vec<ModuleReloc>,
}

/// The kernel store of this process (see the module docs).
pub(super) struct Store {
    /// This build's folder.
    dir: PathBuf,
    /// Hashed into every key: entries of this build only.
    build: u64,
}

/// A 128-bit name of a kernel's compiled code.
pub(super) type Key = [u64; 2];

impl Store {
    /// The store for this process, or `None` when it is turned off or has no usable
    /// directory. `isa` describes the target (triple and flags).
    pub fn open(isa: &str) -> Option<Store> {
        let root = root()?;
        let exe = std::env::current_exe().ok()?.metadata().ok()?;
        let modified = exe.modified().ok()?;
        let mut h = DefaultHasher::new();
        (env!("CARGO_PKG_VERSION"), exe.len(), modified, isa).hash(&mut h);
        let build = h.finish();
        std::fs::create_dir_all(&root).ok()?;
        if !private(&root) {
            return None;
        }
        let dir = root.join(format!("{build:016x}"));
        match std::fs::create_dir(&dir) {
            // A new build: make room for it.
            Ok(()) => prune(&root, &dir),
            // Made already (by an earlier run, or a process starting beside this one).
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(_) => return None,
        }
        Some(Store { dir, build })
    }

    /// The name of the code `kernel` compiles to (run by columns or not, with the vector
    /// layout `layout`).
    pub fn key(&self, kernel: &Kernel, columns: bool, layout: u64) -> Key {
        let half = |salt: u8| {
            let mut h = DefaultHasher::new();
            (salt, self.build, columns, layout).hash(&mut h);
            kernel.hash_code(&mut h);
            h.finish()
        };
        [half(0), half(1)]
    }

    fn path(&self, key: Key) -> PathBuf {
        self.dir.join(format!("{:016x}{:016x}", key[0], key[1]))
    }

    /// The code saved under `key`, when there is a whole entry for it whose relocations
    /// name only functions below `functions` (the shims, declared first).
    pub fn load(&self, key: Key, functions: u32) -> Option<Code> {
        let data = std::fs::read(self.path(key)).ok()?;
        decode(&data, key, functions)
    }

    /// Saves `code` under `key` (nothing happens when it cannot be written or has a
    /// relocation the store does not keep).
    pub fn save(&self, key: Key, code: &Code) {
        let Some(data) = encode(key, code) else {
            return;
        };
        // A name of its own per save: processes and threads saving one kernel at once
        // each write their own file, and the last rename wins (the entries are equal).
        static SAVES: AtomicU64 = AtomicU64::new(0);
        let save = SAVES.fetch_add(1, Ordering::Relaxed);
        let path = self.path(key);
        let temporary = path.with_extension(format!("{}-{save}.tmp", std::process::id()));
        let written = std::fs::File::create(&temporary).and_then(|mut f| f.write_all(&data));
        if written.is_err() || std::fs::rename(&temporary, &path).is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

/// The store's root directory: `ARR_KERNEL_CACHE`, else the user's cache directory.
fn root() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ARR_KERNEL_CACHE") {
        if dir == "off" || dir.is_empty() {
            return None;
        }
        return Some(PathBuf::from(dir));
    }
    let cache = match std::env::var_os("XDG_CACHE_HOME") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(cache.join("arr").join("kernels"))
}

/// Whether `dir` belongs to this user and only this user may write to it (code is loaded
/// from it).
#[cfg(unix)]
fn private(dir: &Path) -> bool {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(meta) = std::fs::metadata(dir) else {
        return false;
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    #[allow(unsafe_code)]
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return false;
    }
    if meta.mode() & 0o022 != 0 {
        // Ours but writable by the group or others (a umask of 002): restrict it.
        let restricted = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        return restricted.is_ok();
    }
    true
}

#[cfg(not(unix))]
fn private(_dir: &Path) -> bool {
    false
}

/// Removes the oldest build folders beside `current` while more than [`BUILDS_KEPT`]
/// are there.
fn prune(root: &Path, current: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut builds: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let path = e.path();
            (path != current && path.is_dir())
                .then(|| Some((e.metadata().ok()?.modified().ok()?, path)))?
        })
        .collect();
    builds.sort();
    let extra = builds.len().saturating_sub(BUILDS_KEPT);
    for (_, path) in builds.into_iter().take(extra) {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// The relocation kinds kept, by their number in an entry.
const KINDS: [Reloc; 4] = [
    Reloc::Abs8,
    Reloc::Abs4,
    Reloc::X86PCRel4,
    Reloc::X86CallPCRel4,
];

/// An entry: magic, key, alignment, code, relocations (offset, kind, function, addend),
/// then a checksum of all before it. `None` for a relocation not kept.
fn encode(key: Key, code: &Code) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(64 + code.bytes.len() + 24 * code.relocs.len());
    out.extend_from_slice(MAGIC);
    for word in [key[0], key[1], code.align, code.bytes.len() as u64] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    out.extend_from_slice(&code.bytes);
    out.extend_from_slice(&(code.relocs.len() as u64).to_le_bytes());
    for r in &code.relocs {
        let kind = KINDS.iter().position(|&k| k == r.kind)? as u32;
        let ModuleRelocTarget::User {
            namespace: 0,
            index,
        } = r.name
        else {
            return None;
        };
        out.extend_from_slice(&r.offset.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&index.to_le_bytes());
        out.extend_from_slice(&r.addend.to_le_bytes());
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    Some(out)
}

/// The code of a whole, matching entry (see [`encode`]).
fn decode(data: &[u8], key: Key, functions: u32) -> Option<Code> {
    let (body, sum) = data.split_at_checked(data.len().checked_sub(8)?)?;
    if checksum(body) != u64::from_le_bytes(sum.try_into().ok()?) {
        return None;
    }
    let mut r = Reader(body);
    if r.take(8)? != MAGIC || [r.u64()?, r.u64()?] != key {
        return None;
    }
    let align = r.u64()?;
    let len = usize::try_from(r.u64()?).ok()?;
    let bytes = r.take(len)?.to_vec();
    let count = r.u64()?;
    let mut relocs = Vec::new();
    for _ in 0..count {
        let offset = r.u32()?;
        let kind = *KINDS.get(r.u32()? as usize)?;
        let index = r.u32()?;
        let addend = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
        if index >= functions || offset as usize >= bytes.len() {
            return None;
        }
        relocs.push(ModuleReloc {
            offset,
            kind,
            name: ModuleRelocTarget::user(0, index),
            addend,
        });
    }
    r.0.is_empty().then_some(Code {
        align,
        bytes,
        relocs,
    })
}

fn checksum(data: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    data.hash(&mut h);
    h.finish()
}

/// Reads an entry front to back.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> Code {
        Code {
            align: 16,
            bytes: (0..40).collect(),
            relocs: vec![ModuleReloc {
                offset: 4,
                kind: Reloc::Abs8,
                name: ModuleRelocTarget::user(0, 3),
                addend: -2,
            }],
        }
    }

    #[test]
    fn an_entry_reads_back_as_written() {
        let data = encode([1, 2], &code()).expect("kept");
        let back = decode(&data, [1, 2], 10).expect("whole");
        assert_eq!((back.align, &back.bytes), (16, &code().bytes));
        let r = &back.relocs[0];
        assert_eq!((r.offset, r.kind, r.addend), (4, Reloc::Abs8, -2));
        assert!(matches!(
            r.name,
            ModuleRelocTarget::User {
                namespace: 0,
                index: 3
            }
        ));
    }

    #[test]
    fn damaged_or_foreign_entries_are_ignored() {
        let data = encode([1, 2], &code()).expect("kept");
        assert!(decode(&data, [1, 3], 10).is_none(), "another key");
        assert!(
            decode(&data, [1, 2], 3).is_none(),
            "a function not declared"
        );
        assert!(
            decode(&data[..data.len() - 1], [1, 2], 10).is_none(),
            "short"
        );
        let mut flipped = data.clone();
        flipped[30] ^= 1;
        assert!(decode(&flipped, [1, 2], 10).is_none(), "a changed byte");
        assert!(decode(&[], [1, 2], 10).is_none());
    }

    #[test]
    fn relocations_not_kept_are_not_saved() {
        let mut c = code();
        c.relocs[0].name = ModuleRelocTarget::user(1, 0);
        assert!(encode([1, 2], &c).is_none());
    }
}
