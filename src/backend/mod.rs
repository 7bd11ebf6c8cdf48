//! Backends turn graph nodes into values. `interp` is the reference; the others are built in
//! later stages and answer with a clear error until then.

pub mod interp;

use crate::diag::{Result, value_error};
use crate::graph::NodeRef;
use crate::runtime::Array;
use std::rc::Rc;

/// Something that computes the values of graph nodes.
pub trait Backend {
    /// The backend's name as given to `--backend`.
    fn name(&self) -> &'static str;

    /// Computes `roots`; `cancel` is polled between steps and stops the work when true.
    fn compute(&mut self, roots: &[NodeRef], cancel: &dyn Fn() -> bool) -> Result<Vec<Rc<Array>>>;
}

/// The backends a user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendKind {
    /// The reference interpreter.
    #[default]
    Interp,
    /// Fused kernels compiled with Cranelift.
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
    pub fn create(self) -> Result<Box<dyn Backend>> {
        let missing = |name: &str, feature: &str| {
            Err(value_error(format!(
                "the `{name}` backend is not available yet: {feature} has not landed"
            ))
            .with_help("use `--backend interp`"))
        };
        match self {
            BackendKind::Interp => Ok(Box::new(interp::Interp)),
            BackendKind::Cpu => missing("cpu", "the Cranelift CPU backend (fused JIT kernels)"),
            BackendKind::Gpu => missing("gpu", "the wgpu GPU backend (WGSL kernels)"),
            BackendKind::Mpi => missing("mpi", "the MPI backend (distributed arrays)"),
        }
    }
}
