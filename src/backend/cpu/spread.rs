//! Arrays spread by rows across the processes of an SPMD job (the MPI backend's ranks).
//!
//! An array of [`SPREAD_MIN`] elements or more that a store kernel writes is *spread*: each
//! process computes only the elements in its own block of rows along axis 0
//! (`share::part(rows, p, ranks)`: contiguous, in order, sizes differing by at most one),
//! and holds only those valid (owner computes). The array keeps its full size on every
//! process; the other rows are stale there. A kernel that reads a spread array first
//! fetches the rows its positions read and the process lacks, from their owners, point to
//! point ([`halo`]) — for a stencil, the halo rows of its neighbours, while it computes the
//! positions that read only its own rows. Every
//! process knows every other's positions (they follow from the plan and the rows), so each
//! computes what it sends and receives without asking. A large matrix product is spread
//! by the rows of its result ([`product`]); any other step that is not a kernel (a library
//! call) gathers its spread inputs whole first, as a result observed outside a prepared
//! program is gathered (see `Cpu::compute`).
//!
//! Each process computes its elements exactly as one process alone computes them (the same
//! kernel, the same positions), so results are bit-identical for any number of processes.

use super::share::{self, Share, part};
use crate::diag::Result;
use crate::fuse::{Kernel, Source};
use crate::runtime::{Array, DeviceValue, Operand, placeholder};
use reads::Strided;
use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

pub(super) use crate::runtime::reserve::SPREAD_MIN;

/// Which elements of a buffer this process holds valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(super) enum Held {
    /// All of them.
    #[default]
    Whole,
    /// Those of its own block of rows (axis 0) only.
    Rows,
}

/// A spread array as a prepared program hands it back ([`crate::runtime::Operand::Device`]):
/// this process's copy, valid in its own rows, until something observes it whole.
pub struct Spread {
    /// The array, full-sized.
    array: RefCell<Rc<Array>>,
}

impl Spread {
    /// `array` (valid in this process's rows only) as a device value.
    pub(super) fn value(array: Rc<Array>) -> DeviceValue {
        DeviceValue {
            shape: array.shape().to_vec(),
            dtype: array.dtype(),
            handle: Rc::new(Spread {
                array: RefCell::new(array),
            }),
        }
    }

    /// The array of a device value made by [`Spread::value`]; taken out of the value when
    /// nothing else holds it (so that an update may write it in place).
    pub(super) fn array(d: DeviceValue) -> Option<Rc<Array>> {
        let spread: Rc<Spread> = d.handle.downcast().ok()?;
        Some(match Rc::try_unwrap(spread) {
            Ok(s) => s.array.into_inner(),
            Err(shared) => shared.array.borrow().clone(),
        })
    }

    /// The array of a device value made by [`Spread::value`], shared.
    pub(super) fn borrowed(d: &DeviceValue) -> Option<Rc<Array>> {
        let spread = d.handle.downcast_ref::<Spread>()?;
        Some(spread.array.borrow().clone())
    }

    /// Takes `array` out of device value `d` when `d` holds it, leaving a placeholder
    /// until [`Spread::put_back`] returns it: whether it did.
    pub(super) fn lend(d: &DeviceValue, array: &Rc<Array>) -> bool {
        let Some(spread) = d.handle.downcast_ref::<Spread>() else {
            return false;
        };
        let mut held = spread.array.borrow_mut();
        if !Rc::ptr_eq(&held, array) {
            return false;
        }
        *held = placeholder();
        true
    }

    /// Returns to device value `d` the array [`Spread::lend`] took (or what it became).
    pub(super) fn put_back(d: &DeviceValue, array: Rc<Array>) {
        if let Some(spread) = d.handle.downcast_ref::<Spread>() {
            *spread.array.borrow_mut() = array;
        }
    }
}

/// Which arrays a run of a plan takes and hands back spread.
pub(super) struct Spreads {
    /// Per parameter: how it comes in.
    params: Vec<Held>,
    /// Per value (roots, then kept values): how it goes out.
    pub(super) values: Vec<Held>,
    /// Whether values may go out spread (a prepared program's, handed back as device
    /// values to its next run) or are gathered whole first (a one-off plan's, which the
    /// evaluator observes).
    pub(super) keep: bool,
}

impl Spreads {
    /// A one-off plan's: no parameters, every value gathered whole.
    pub(super) fn gathered() -> Spreads {
        Spreads {
            params: Vec::new(),
            values: Vec::new(),
            keep: false,
        }
    }

    /// A prepared program's: its spread parameters (device values made by [`Spread`])
    /// replaced by this process's copies of their arrays, to run on.
    pub(super) fn kept(params: &mut [Operand]) -> Spreads {
        if !params.iter().any(|p| matches!(p, Operand::Device(_))) {
            return Spreads {
                params: Vec::new(),
                values: Vec::new(),
                keep: true,
            };
        }
        let params = (params.iter_mut())
            .map(|p| {
                let Operand::Device(d) = p else {
                    return Held::Whole;
                };
                if !(*d.handle).is::<Spread>() {
                    return Held::Whole; // another backend's: refused when the run starts
                }
                let taken = std::mem::replace(p, Operand::Host(placeholder()));
                if let Operand::Device(d) = taken
                    && let Some(array) = Spread::array(*d)
                {
                    *p = Operand::Host(array);
                }
                Held::Rows
            })
            .collect();
        Spreads {
            params,
            values: Vec::new(),
            keep: true,
        }
    }

    /// How parameter `index` comes in.
    pub(super) fn param(&self, index: usize) -> Held {
        self.params.get(index).copied().unwrap_or_default()
    }

    /// `params` and the run's `result` with their spread arrays as device values again (a
    /// parameter taken to be updated in place stays the placeholder it left). After a run
    /// that succeeded, a spread parameter held by `params` alone (lent by the evaluator)
    /// goes to `recycle` instead, leaving a placeholder: nothing reads it again.
    pub(super) fn hand_back(
        self,
        params: &mut [Operand],
        result: Result<crate::runtime::Operands>,
        mut recycle: impl FnMut(Rc<Array>),
    ) -> Result<crate::runtime::Operands> {
        let spread = |a: &Rc<Array>| Operand::Device(Box::new(Spread::value(a.clone())));
        for (p, held) in params.iter_mut().zip(&self.params) {
            let Operand::Host(a) = p else {
                continue;
            };
            if *held == Held::Rows && !Rc::ptr_eq(a, &placeholder()) {
                if result.is_ok() && Rc::strong_count(a) == 1 {
                    recycle(std::mem::replace(a, placeholder()));
                } else {
                    *p = spread(a);
                }
            }
        }
        let values = result?;
        if self.values.iter().all(|&h| h == Held::Whole) {
            // Nothing goes out spread (always so outside an SPMD job).
            return Ok(values);
        }
        let held = self
            .values
            .iter()
            .copied()
            .chain(std::iter::repeat(Held::Whole));
        Ok((values.into_iter().zip(held))
            .map(|(v, held)| match v {
                Operand::Host(a) if held == Held::Rows => spread(&a),
                v => v,
            })
            .collect())
    }
}

/// The processes of a job while one plan runs, and which buffers are spread.
pub(super) struct Spreading<'a> {
    share: &'a dyn Share,
    /// This process's index.
    me: usize,
    /// The number of processes.
    ranks: usize,
    /// Spread every large store (a prepared program, whose results stay spread), or only
    /// those whose elements cost much more than moving them (a one-off plan, whose results
    /// are gathered).
    every_store: bool,
}

/// Which positions of a kernel each process computes.
pub(super) enum Work {
    /// All of them, on every process.
    Whole(usize),
    /// A store's positions by the rows of its array: each process those in its own rows.
    Rows(RowMap),
    /// A reduction shared between the processes (see `reduce::shared_positions`).
    Reduce(Vec<usize>, bool),
}

/// How a store's positions follow the rows of the array it writes: position `p` writes row
/// `first + step · (p / inner)` of an array of `rows` rows.
#[derive(Clone, Copy, Debug)]
pub(super) struct RowMap {
    rows: usize,
    first: i64,
    step: i64,
    count: usize,
    inner: usize,
}

impl RowMap {
    /// The map of a store of `kernel` into an array of `shape` (a new one, `update` false,
    /// else the kernel's region of it). None when a position's row is not a function of
    /// its coordinate along the kernel's first dimension alone.
    fn of(kernel: &Kernel, shape: &[usize], update: bool) -> Option<RowMap> {
        let (&rows, rest) = shape.split_first()?;
        let row_len: usize = rest.iter().product();
        let total = rows * row_len;
        if row_len == 0 {
            return None;
        }
        if !update {
            return Some(RowMap {
                rows,
                first: 0,
                step: 1,
                count: rows,
                inner: row_len,
            });
        }
        let t = row_len as i64;
        let off = kernel.out_offset;
        let Some((&count, inner_dims)) = kernel.dims.split_first() else {
            return (0..total as i64).contains(&off).then_some(RowMap {
                rows,
                first: off / t,
                step: 1,
                count: 1,
                inner: 1,
            });
        };
        let s0 = kernel.out_strides[0];
        if inner_dims.is_empty() && s0 == 1 && off % t == 0 && count % row_len == 0 {
            // Whole rows in order, their positions run together (`u[1:-1, :]`).
            return (off >= 0 && off as usize + count <= total).then_some(RowMap {
                rows,
                first: off / t,
                step: 1,
                count: count / row_len,
                inner: row_len,
            });
        }
        let step = if count == 1 { t } else { s0 };
        if off < 0 || step <= 0 || step % t != 0 {
            return None;
        }
        let rem = off % t;
        let spans = kernel.out_strides[1..]
            .iter()
            .zip(inner_dims)
            .map(|(&s, &d)| s * (d as i64 - 1).max(0));
        let lo = rem + spans.clone().map(|s| s.min(0)).sum::<i64>();
        let hi = rem + spans.map(|s| s.max(0)).sum::<i64>();
        (lo >= 0 && hi < t).then_some(RowMap {
            rows,
            first: off / t,
            step: step / t,
            count,
            inner: inner_dims.iter().product(),
        })
    }

    /// The positions writing rows `rows` (contiguous, as positions follow rows in order).
    fn positions(&self, rows: Range<usize>) -> Range<usize> {
        let coordinate = |row: usize| {
            let d = row as i64 - self.first;
            let c = if d <= 0 {
                0
            } else {
                (d + self.step - 1) / self.step
            };
            c.min(self.count as i64) as usize * self.inner
        };
        coordinate(rows.start)..coordinate(rows.end)
    }
}

impl Work {
    /// The positions process `p` of `ranks` computes.
    pub(super) fn positions(&self, p: usize, ranks: usize) -> Range<usize> {
        match self {
            Work::Whole(n) => 0..*n,
            Work::Rows(map) => map.positions(part(map.rows, p, ranks)),
            Work::Reduce(dims, axis) => super::reduce::shared_positions(dims, *axis, p, ranks),
        }
    }
}

/// Rows of a spread buffer that each process's positions of a kernel read.
pub(super) struct Want {
    /// The buffer.
    pub(super) buffer: usize,
    /// Its rows.
    rows: usize,
    /// Per process, the rows it reads (empty where none).
    reads: Vec<Strided>,
    /// Per process, the elements of each of those rows it reads.
    columns: Vec<Strided>,
    /// The elements in a row.
    row_len: usize,
    /// The kernel's input elements in one of the buffer's (2 where it reads the parts of
    /// complex elements, else 1).
    parts: usize,
}

impl Want {
    /// Whether every process reads every row (so holds it whole after the exchange).
    pub(super) fn whole(&self) -> bool {
        (self.reads.iter().zip(&self.columns))
            .all(|(r, c)| *r == Strided::all(0..self.rows) && *c == Strided::all(0..self.row_len))
    }

    /// The bytes (elements of `size` bytes) `reader` fetches from `owner`, of `ranks`.
    fn bytes(&self, reader: usize, owner: usize, ranks: usize, size: usize) -> usize {
        self.between(reader, owner, ranks).len() * self.columns[reader].count() * size
    }

    /// The rows `reader` reads from `owner`'s block (none from its own), of `ranks`.
    fn between(
        &self,
        reader: usize,
        owner: usize,
        ranks: usize,
    ) -> std::iter::StepBy<Range<usize>> {
        if reader == owner {
            return (0..0).step_by(1);
        }
        let own = part(self.rows, owner, ranks);
        self.reads[reader].within(&own).indices()
    }
}

impl<'a> Spreading<'a> {
    /// The job of `share` as one plan sees it; None for a job of one process.
    pub(super) fn new(share: &'a dyn Share, every_store: bool) -> Option<Spreading<'a>> {
        let (me, ranks) = share.place();
        (ranks > 1).then_some(Spreading {
            share,
            me,
            ranks,
            every_store,
        })
    }

    /// Which positions of `kernel` each process computes: a store into an array of
    /// `shape` (new, or `update`d) is spread when the array is large and its positions
    /// follow its rows; a reduction as `reduce` shares it; anything else runs whole.
    pub(super) fn work(
        &self,
        kernel: &Kernel,
        shape: &[usize],
        update: bool,
        columns: bool,
    ) -> Work {
        let positions: usize = kernel.dims.iter().product();
        let total: usize = shape.iter().product();
        match kernel.output {
            crate::fuse::Output::Store(_) => {
                let worth = self.spreadable(shape)
                    && (self.every_store || (!update && share::worth_sharing(kernel, total)));
                match worth.then(|| RowMap::of(kernel, shape, update)).flatten() {
                    Some(map) => Work::Rows(map),
                    None => Work::Whole(positions),
                }
            }
            crate::fuse::Output::Reduce { axis, .. } => {
                if !columns && share::worth_sharing(kernel, positions) {
                    Work::Reduce(kernel.dims.clone(), axis)
                } else {
                    Work::Whole(positions)
                }
            }
        }
    }

    /// Whether an array of `shape` is large enough to spread, with a row for every process.
    pub(super) fn spreadable(&self, shape: &[usize]) -> bool {
        shape.iter().product::<usize>() >= SPREAD_MIN
            && shape.first().is_some_and(|&rows| rows >= self.ranks)
    }

    /// An array of `shape` and `dtype` spread by rows, as a value a prepared program takes:
    /// zeroed, its pages untouched but for this process's rows, which `fill` writes (given
    /// the rows and their bytes). None when the array is too small to spread.
    pub(super) fn filled(
        &self,
        shape: &[usize],
        dtype: crate::dtype::DType,
        fill: &mut crate::backend::FillRows<'_>,
    ) -> Result<Option<DeviceValue>> {
        if !self.spreadable(shape) {
            return Ok(None);
        }
        let (rows, row_len) = rows_of(shape);
        let n = rows * row_len;
        let dim = ndarray::IxDyn(shape);
        let shaped = |e: ndarray::ShapeError| crate::diag::value_error(e.to_string());
        macro_rules! zeroed {
            ($($variant:ident),*) => {
                match dtype {
                    $(crate::dtype::DType::$variant => Array::$variant(
                        ndarray::ArrayD::from_shape_vec(dim, crate::runtime::zeroed_vec(n))
                            .map_err(shaped)?,
                    ),)*
                    _ => return Ok(None),
                }
            };
        }
        let mut array = zeroed!(F64, F32, I64, Bool);
        let own = part(rows, self.me, self.ranks);
        let row_bytes = row_len * dtype.size_bytes();
        fill(
            own.clone(),
            &mut bytes_of_mut(&mut array)[own.start * row_bytes..own.end * row_bytes],
        )?;
        Ok(Some(Spread::value(Rc::new(array))))
    }

    /// This process's positions of `work`, or None when it computes them all.
    pub(super) fn own(&self, work: &Work) -> Option<Range<usize>> {
        match work {
            Work::Rows(_) => Some(work.positions(self.me, self.ranks)),
            Work::Whole(_) | Work::Reduce(..) => None,
        }
    }

    /// The rows of spread buffers (`held`, of shapes and element sizes in bytes
    /// `shape_of`) that some process's positions of `kernel` read and it does not hold.
    pub(super) fn wants<'s>(
        &self,
        kernel: &Kernel,
        work: &Work,
        held: &[Held],
        shape_of: impl Fn(usize) -> Option<(&'s [usize], usize)>,
    ) -> Vec<Want> {
        let mut wants: Vec<Want> = Vec::new();
        for input in &kernel.inputs {
            let Source::Buffer(b) = input.source else {
                continue;
            };
            let Some((shape, size)) = shape_of(b) else {
                continue;
            };
            if held[b] != Held::Rows || wants.iter().any(|w| w.buffer == b) {
                continue;
            }
            let (rows, row_len) = rows_of(shape);
            let parts = (size / input.dtype.size_bytes()).max(1);
            // Per process, the union of what its reads of the buffer lack (a read of its
            // own rows alone lacks nothing: `u + u.T` fetches the transpose's columns only).
            let (reads, columns): (Vec<_>, Vec<_>) = (0..self.ranks)
                .map(|q| {
                    let positions = work.positions(q, self.ranks);
                    let own = part(rows, q, self.ranks);
                    (kernel.inputs.iter())
                        .filter(|i| i.source == Source::Buffer(b))
                        .filter_map(|i| {
                            let p = positions.clone();
                            let row = (row_len, parts);
                            reads::rows_and_columns(i, &kernel.dims, p, rows, row)
                        })
                        .filter(|(r, _)| r.range.start < own.start || r.range.end > own.end)
                        .reduce(|(r, c), (s, d)| (r.union(&s), c.union(&d)))
                        .unwrap_or((Strided::all(0..0), Strided::all(0..0)))
                })
                .unzip();
            let lacking = reads.iter().enumerate().any(|(q, r)| {
                let own = part(rows, q, self.ranks);
                r.within(&own).count() < r.count()
            });
            if lacking {
                wants.push(Want {
                    buffer: b,
                    rows,
                    reads,
                    columns,
                    row_len,
                    parts,
                });
            }
        }
        wants
    }
}

/// The rows along axis 0 of an array of `shape`, and the elements in each (a 0-d array is
/// one row).
fn rows_of(shape: &[usize]) -> (usize, usize) {
    match shape.split_first() {
        Some((&rows, rest)) => (rows, rest.iter().product()),
        None => (1, 1),
    }
}

/// The bytes of a row-major array.
fn bytes_of(a: &Array) -> &[u8] {
    macro_rules! bytes {
        ($($variant:ident),*) => {
            match a {
                $(Array::$variant(x) => share::as_bytes(
                    x.as_slice().expect("spread arrays are row-major"),
                ),)*
            }
        };
    }
    bytes!(F64, F32, I64, Bool, C128)
}

/// The bytes of a row-major array, to overwrite with values of its own dtype.
fn bytes_of_mut(a: &mut Array) -> &mut [u8] {
    macro_rules! bytes {
        ($($variant:ident),*) => {
            match a {
                $(Array::$variant(x) => share::as_bytes_mut(
                    x.as_slice_mut().expect("spread arrays are row-major"),
                ),)*
            }
        };
    }
    bytes!(F64, F32, I64, Bool, C128)
}

mod explain;
mod halo;
mod product;
mod reads;
mod rows;
#[cfg(test)]
mod tests;
