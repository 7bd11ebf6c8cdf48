//! Values a prepared program takes and returns: host arrays, or arrays a backend keeps on
//! its device between runs (a GPU's loop state), which cross to the host only when
//! something observes them.

use super::Array;
use crate::diag::{Result, value_error};
use crate::dtype::DType;
use smallvec::SmallVec;
use std::any::Any;
use std::fmt;
use std::rc::Rc;

/// A prepared program's results (`Backend::run_prepared`), inline up to four: running a
/// small loop body allocates no list.
pub type Operands = SmallVec<[Operand; 4]>;

/// A prepared program's results as host arrays (what a host backend computes).
pub type HostValues = SmallVec<[Rc<Array>; 4]>;

/// An array held on a backend's device: its shape and dtype, and a handle only the backend
/// that made it can read. It lives as long as its last holder (the device memory with it).
#[derive(Clone)]
pub struct DeviceValue {
    /// The array's shape (its elements row-major on the device).
    pub shape: Vec<usize>,
    /// The array's dtype.
    pub dtype: DType,
    /// The backend's buffer.
    pub handle: Rc<dyn Any>,
}

impl DeviceValue {
    /// The error for this value handed to a backend that cannot read it.
    pub fn foreign(&self) -> crate::diag::Error {
        value_error(format!(
            "internal error: a {}{:?} array on another backend's device",
            self.dtype, self.shape
        ))
    }
}

impl fmt::Debug for DeviceValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceValue({}{:?})", self.dtype, self.shape)
    }
}

/// A parameter or result of a prepared program (`Backend::run_prepared`).
#[derive(Debug, Clone)]
pub enum Operand {
    /// On the host.
    Host(Rc<Array>),
    /// On the device of the backend that ran the program (boxed: an operand is two words,
    /// cheap to move through a replayed iteration's parameter lists).
    Device(Box<DeviceValue>),
}

impl Operand {
    /// The host array; a backend without a device never receives anything else.
    pub fn into_host(self) -> Result<Rc<Array>> {
        match self {
            Operand::Host(a) => Ok(a),
            Operand::Device(d) => Err(d.foreign()),
        }
    }
}

thread_local! {
    /// The array [`placeholder`] hands out.
    static PLACEHOLDER: Rc<Array> = Rc::new(Array::scalar(super::Scalar::Bool(false)));
}

/// A shared 0-d array standing in for a value taken out of a parameter list for a while
/// (see [`with_host_params`]): no allocation per use.
pub fn placeholder() -> Rc<Array> {
    PLACEHOLDER.with(Rc::clone)
}

/// Runs `run` with `params` as host arrays, moved out for the call and back after it, so
/// `run` holds them exactly as `params` did (a backend may take one to update in place,
/// leaving a placeholder, see `Backend::run_prepared`); its results as host operands.
pub fn with_host_params(
    params: &mut [Operand],
    run: impl FnOnce(&mut [Rc<Array>]) -> Result<HostValues>,
) -> Result<Operands> {
    if let Some(Operand::Device(d)) = params.iter().find(|p| matches!(p, Operand::Device(_))) {
        return Err(d.foreign());
    }
    let placeholder = || Operand::Host(placeholder());
    let mut hosts: SmallVec<[Rc<Array>; 8]> = SmallVec::with_capacity(params.len());
    for p in params.iter_mut() {
        if let Operand::Host(a) = std::mem::replace(p, placeholder()) {
            hosts.push(a);
        }
    }
    let result = run(&mut hosts);
    for (p, h) in params.iter_mut().zip(hosts) {
        *p = Operand::Host(h);
    }
    Ok(result?.into_iter().map(Operand::Host).collect())
}
