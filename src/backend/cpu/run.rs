//! Running a plan whose kernels are compiled: steps in order, each buffer freed after its
//! last use, indexed updates in place where the old array is dead. A prepared program
//! keeps a [`Scratch`] between runs, so that running a loop body again allocates nothing
//! the last run could hand on: its buffer table, its kernels with run-time positions
//! resolved, and its small temporaries.

use super::memory::{self, Gaps};
use super::spread::{Held, Spread, Spreading, Spreads};
use super::{Compiled, Cpu, Lifetimes, exec, library_step, update};
use crate::diag::{Error, ErrorKind, Result};
use crate::fuse::{Buffer, Kernel, Plan, Step};
use crate::runtime::{Array, Scalar};
use smallvec::SmallVec;
use std::rc::Rc;

/// What one program's runs hand on to the next (empty for a one-off plan).
#[derive(Default)]
pub(super) struct Scratch {
    /// The buffer table (emptied after each run; its capacity stays).
    buffers: Vec<Option<Rc<Array>>>,
    /// Per step: the kernel with its run-time positions added in, rewritten each run.
    resolved: Vec<Option<Kernel>>,
    /// Per buffer: the small array it held when it died last run, to be overwritten by the
    /// next run's value (the pool keeps only large arrays).
    spare: Vec<Option<Rc<Array>>>,
    /// Per buffer: which of its elements this process holds (see [`super::spread`];
    /// rewritten each run).
    held: Vec<Held>,
}

/// Arrays below this many elements are kept as a buffer's spare (larger ones go to the
/// pool, which any plan may take from).
const SPARE_LEN: usize = 64;

impl Cpu {
    /// A row-major copy of `old` (into a pooled array when one fits), putting `old` back in
    /// its buffer slot for later readers. When the region `kernel` writes covers most of the
    /// array, only the elements outside it are to be copied, and the kernel's pieces copy
    /// them ([`memory::Gaps`]): the copy is returned without them. `own_rows`: the
    /// process computes only its own rows of a spread update (`spread::Spreading`), and
    /// copies only what the update keeps of those rows itself; a fresh copy then starts
    /// zeroed from the allocator, so the other rows' pages are never touched.
    fn copy_of(
        &mut self,
        old: Rc<Array>,
        slot: &mut Option<Rc<Array>>,
        kernel: &Kernel,
        own_rows: Option<&Spreading>,
    ) -> (Array, Option<Gaps>) {
        self.stats.updates_copied += 1;
        let mut gaps = None;
        let pooled = self.pool.take(old.dtype(), old.len());
        let zeroed = || {
            let zero = crate::runtime::Scalar::I64(0).cast(old.dtype());
            Rc::new(Array::full(old.shape(), zero))
        };
        let pooled = pooled.or_else(|| own_rows.is_some().then(zeroed));
        let copy = match pooled.and_then(|a| Rc::try_unwrap(a).ok()) {
            Some(mut copy) => {
                let starts = old
                    .is_standard_layout()
                    .then(|| memory::row_starts(kernel, old.len()))
                    .flatten();
                let kept = |starts| Gaps {
                    src: old.as_byte_ptr() as i64,
                    size: old.dtype().size_bytes(),
                    total: old.len(),
                    starts,
                };
                match (starts, own_rows) {
                    (Some(starts), Some(sp)) => {
                        let inner = kernel.dims.last().copied().unwrap_or(1);
                        sp.copy_own_gaps(&mut copy, &old, &kept(starts), inner);
                    }
                    (Some(starts), None) => gaps = Some(kept(starts)),
                    (None, Some(sp)) if old.is_standard_layout() => {
                        sp.copy_own_rows(&mut copy, &old)
                    }
                    (None, _) => memory::copy_into(&mut copy, &old),
                }
                copy
            }
            // A fresh array is written once by cloning (no zeroing pass first).
            None => old.as_ref().clone().into_standard_layout(),
        };
        *slot = Some(old);
        (copy, gaps)
    }

    /// Runs a plan whose kernels are compiled, with `params` bound to its parameters. The
    /// buffer table comes from `scratch` and goes back to it after a run that succeeds (a
    /// failed run's table is dropped). In an SPMD job, large stores are spread between the
    /// processes (see [`super::spread`]): `spreads` tells which parameters come in spread
    /// and receives which values go out so.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn execute(
        &mut self,
        plan: &Plan,
        kernels: &Compiled,
        lifetimes: &Lifetimes,
        params: &mut [Rc<Array>],
        spreads: &mut Spreads,
        scratch: &mut Scratch,
        cancel: &dyn Fn() -> bool,
    ) -> Result<crate::runtime::HostValues> {
        let mut buffers = std::mem::take(&mut scratch.buffers);
        let last_use = &lifetimes.last_use;
        let share = self.share.clone();
        let spreading = share
            .as_deref()
            .and_then(|s| Spreading::new(s, spreads.keep));
        let mut held = std::mem::take(&mut scratch.held);
        held.clear();
        held.resize(plan.buffers.len(), Held::Whole);
        for (b, buffer) in plan.buffers.iter().enumerate() {
            buffers.push(match buffer {
                Buffer::Value(a) => Some(a.clone()),
                Buffer::Param { index, .. } => {
                    held[b] = spreads.param(*index);
                    params.get(*index).cloned()
                }
                Buffer::Device(d) => match Spread::borrowed(d) {
                    Some(a) if spreading.is_some() => {
                        held[b] = Held::Rows;
                        Some(a)
                    }
                    _ => return Err(d.foreign()),
                },
                Buffer::Temp { .. } => None,
            });
        }
        // Updates of parameters in place from here on (see `Lifetimes`); positions are
        // checked ahead only where that moves it, for a plan with parameters to lend.
        let check = |s: &usize| update::positions_fit(plan, *s, params);
        let infallible_from = if lifetimes.infallible_once_checked < lifetimes.infallible_from
            && !params.is_empty()
            && lifetimes.checkable.iter().all(check)
        {
            lifetimes.infallible_once_checked
        } else {
            lifetimes.infallible_from
        };
        scratch.resolved.resize_with(plan.steps.len(), || None);
        scratch.spare.resize_with(plan.buffers.len(), || None);
        // Set once a parameter was updated in place: from then on nothing may fail.
        let mut committed = false;
        for (s, step) in plan.steps.iter().enumerate() {
            if !committed && cancel() {
                return Err(Error::new(ErrorKind::Interrupted, "cancelled by Ctrl-C"));
            }
            // A fresh result must fit the process's memory limit (checked while the plan
            // may still fail; updates write into an array that exists).
            if let Step::Kernel {
                into: None, out, ..
            }
            | Step::Node { out, .. } = step
                && !committed
                && let Buffer::Temp { shape, dtype } = &plan.buffers[*out]
            {
                let bytes = (shape.iter().product::<usize>() * dtype.size_bytes()) as u64;
                crate::runtime::check_alloc(crate::runtime::reserve::share_bytes(shape, bytes))?;
            }
            match step {
                Step::Kernel {
                    kernel,
                    out,
                    shape,
                    into,
                    in_place_ok,
                    ..
                } => {
                    let Some((f, columns)) = kernels[s] else {
                        return Err(crate::diag::value_error(
                            "internal error: a kernel step was not compiled",
                        ));
                    };
                    let (kernel, in_place_ok) = if kernel.has_dynamic() {
                        let resolved = scratch.resolved[s].get_or_insert_with(|| kernel.clone());
                        kernel.resolve_into(resolved, |b| position(&buffers[b]));
                        let ok = into.is_some_and(|b| {
                            crate::fuse::overlap::update_in_place_ok(resolved, b, shape)
                        });
                        (&*resolved, ok)
                    } else {
                        (kernel, *in_place_ok)
                    };
                    // Spread between processes: the rows each one's positions read and it
                    // lacks are fetched, and it computes its own positions — those that
                    // read only its own rows while the rows travel, where they can be told
                    // apart, the rest after.
                    let mut own = None;
                    let mut overlap = None;
                    if let Some(sp) = &spreading {
                        let work = sp.work(kernel, shape, into.is_some(), columns);
                        let wants = sp.wants(kernel, &work, &held, |b| {
                            let a = buffers[b].as_deref()?;
                            Some((a.shape(), a.dtype().size_bytes()))
                        });
                        own = sp.own(&work);
                        self.stats.kernels_spread += u64::from(own.is_some());
                        if !wants.is_empty() {
                            match sp.split(kernel, &work, &wants) {
                                Some(split) => {
                                    self.stats.kernels_overlapped += 1;
                                    overlap = Some((sp.pack(&wants, &buffers), wants, split));
                                }
                                None => {
                                    let wanted = wants.iter().map(|w| w.buffer);
                                    let lent = own_alone(plan, params, &mut buffers, wanted);
                                    let received = sp.exchange(&wants, &mut buffers);
                                    self.stats.bytes_received += received as u64;
                                    give_back(plan, params, &buffers, lent);
                                    for w in wants.iter().filter(|w| w.whole()) {
                                        held[w.buffer] = Held::Whole;
                                    }
                                }
                            }
                        }
                    }
                    let dtype = kernel.result_dtype();
                    let len = shape.iter().product();
                    let mut gaps = None;
                    let target = match into {
                        Some(b) => {
                            let b = *b;
                            let reads_it = !in_place_ok
                                && kernel
                                    .inputs
                                    .iter()
                                    .any(|i| i.source == crate::fuse::Source::Buffer(b));
                            let mut old = buffers[b]
                                .take()
                                .expect("plan order: inputs computed first");
                            let dead = last_use[b] == s
                                && match plan.buffers[b] {
                                    Buffer::Temp { .. } => true,
                                    Buffer::Param { index, .. } => {
                                        let donated = !reads_it
                                            && s >= infallible_from
                                            && donate(&mut params[index], &old);
                                        committed |= donated;
                                        donated
                                    }
                                    Buffer::Value(_) | Buffer::Device(_) => false,
                                };
                            if dead && !reads_it && Rc::get_mut(&mut old).is_some() {
                                // Written in place, in its own allocation.
                                Some(old)
                            } else {
                                let own_rows = spreading.as_ref().filter(|_| own.is_some());
                                let (copy, g) =
                                    self.copy_of(old, &mut buffers[b], kernel, own_rows);
                                gaps = g;
                                Some(Rc::new(copy))
                            }
                        }
                        None if matches!(kernel.output, crate::fuse::Output::Store(_)) => {
                            spare_array(&mut scratch.spare[*out], dtype, len)
                                .or_else(|| self.pool.take(dtype, len))
                        }
                        None => None,
                    };
                    let in_place = into.filter(|&b| buffers[b].is_none());
                    let mut target = target.map(|array| exec::Target {
                        array,
                        gaps,
                        in_place,
                    });
                    let spread_into = into.is_some_and(|b| held[b] == Held::Rows);
                    held[*out] = if own.is_some() || spread_into {
                        Held::Rows
                    } else {
                        Held::Whole
                    };
                    let share = share.as_deref();
                    let value = match (overlap, &spreading) {
                        (Some((mut halo, wants, split)), Some(sp)) => {
                            let mut interior = None;
                            sp.transfer(&mut halo, &mut || {
                                interior = Some(exec::run(
                                    f,
                                    kernel,
                                    &buffers,
                                    shape,
                                    target.take(),
                                    columns,
                                    share,
                                    Some(split.interior.clone()),
                                ))
                            });
                            let interior = interior.expect("the exchange runs the interior");
                            // An array updated in place receives its rows in the value: it
                            // goes back to its buffer for the while.
                            let parked = in_place.filter(|b| wants.iter().any(|w| w.buffer == *b));
                            let mut value = match parked {
                                Some(b) => {
                                    buffers[b] = Some(interior);
                                    None
                                }
                                None => Some(interior),
                            };
                            let wanted = wants.iter().map(|w| w.buffer);
                            let lent = own_alone(plan, params, &mut buffers, wanted);
                            self.stats.bytes_received +=
                                sp.unpack(halo, &wants, &mut buffers) as u64;
                            give_back(plan, params, &buffers, lent);
                            for w in wants.iter().filter(|w| w.whole()) {
                                held[w.buffer] = Held::Whole;
                            }
                            if let Some(b) = parked {
                                value = buffers[b].take();
                            }
                            let mut value = value.expect("the interior's value");
                            for rest in [split.before, split.after] {
                                let target = exec::Target {
                                    array: value,
                                    gaps: None,
                                    in_place,
                                };
                                let (buffers, target) = (&buffers, Some(target));
                                value = exec::run(
                                    f,
                                    kernel,
                                    buffers,
                                    shape,
                                    target,
                                    columns,
                                    share,
                                    Some(rest),
                                );
                            }
                            value
                        }
                        _ => exec::run(f, kernel, &buffers, shape, target, columns, share, own),
                    };
                    buffers[*out] = Some(value);
                    self.stats.kernels_run += 1;
                }
                Step::Node { node, inputs, out } => {
                    let updated = match spreading {
                        None => {
                            let at = (s, node, &inputs[..]);
                            let last =
                                (inputs.first()).is_some_and(|a| lifetimes.last_use[a.buf] == s);
                            update::in_place(
                                plan,
                                (last, infallible_from),
                                at,
                                params,
                                &mut buffers,
                            )?
                        }
                        Some(_) => None,
                    };
                    if let Some(updated) = updated {
                        // The lent parameter is the result: nothing after this may fail.
                        committed |= matches!(plan.buffers[inputs[0].buf], Buffer::Param { .. });
                        buffers[*out] = Some(updated);
                    } else {
                        if matches!(node.op, crate::graph::Op::Update(_)) {
                            self.stats.updates_copied += 1;
                        }
                        // A large matrix product is spread by rows; any other library step reads
                        // its spread inputs whole.
                        let mut spread_rows = None;
                        if let Some(sp) = &spreading {
                            let product =
                                sp.product(node, inputs, &held, |b| shape_of(&buffers, b));
                            spread_rows = product.as_ref().map(|_| sp);
                            let whole = match product {
                                Some(whole) => whole,
                                None => inputs.iter().map(|a| a.buf).collect(),
                            };
                            let wanted = whole.into_iter();
                            let received =
                                gather(sp, plan, params, &mut buffers, &mut held, wanted);
                            self.stats.bytes_received += received as u64;
                        }
                        let input =
                            |i: usize| inputs.get(i).and_then(|a| buffers[a.buf].as_deref());
                        let value = match crate::backend::interp::scalar_f64(node, input) {
                            Some(x) => overwrite(scratch.spare[*out].take(), x),
                            None => {
                                let args = |buffers: &[Option<Rc<Array>>]| -> SmallVec<[_; 4]> {
                                    (inputs.iter())
                                        .map(|a| buffers[a.buf].clone().expect("plan order"))
                                        .collect()
                                };
                                let own = match spread_rows {
                                    Some(sp) => sp.product_rows(node, inputs, &args(&buffers))?,
                                    None => None,
                                };
                                if let Some(own) = own {
                                    held[*out] = Held::Rows;
                                    self.stats.kernels_spread += 1;
                                    Rc::new(own)
                                } else {
                                    // Refused (alike on every process): run whole, inputs whole.
                                    if let Some(sp) = spread_rows {
                                        let wanted = inputs.iter().map(|a| a.buf);
                                        let received = gather(
                                            sp,
                                            plan,
                                            params,
                                            &mut buffers,
                                            &mut held,
                                            wanted,
                                        );
                                        self.stats.bytes_received += received as u64;
                                    }
                                    held[*out] = Held::Whole;
                                    Rc::new(library_step(node, inputs, &args(&buffers))?)
                                }
                            }
                        };
                        buffers[*out] = Some(value);
                    }
                }
            }
            for &b in &lifetimes.dying[s] {
                if let Some(dead) = buffers[b].take() {
                    if dead.len() < SPARE_LEN && matches!(plan.buffers[b], Buffer::Temp { .. }) {
                        scratch.spare[b] = Some(dead);
                    } else {
                        self.pool.give(dead);
                    }
                }
            }
        }
        // The roots, then the values the plan keeps (`Plan::kept`), gathered whole unless
        // they may go out spread.
        let outs: SmallVec<[usize; 8]> = (plan.roots.iter())
            .chain(plan.kept.iter().map(|(b, _)| b))
            .copied()
            .collect();
        if let Some(sp) = spreading.as_ref().filter(|_| !spreads.keep) {
            let received = gather(
                sp,
                plan,
                params,
                &mut buffers,
                &mut held,
                outs.iter().copied(),
            );
            self.stats.bytes_received += received as u64;
        }
        if spreading.is_some() {
            spreads.values = outs.iter().map(|&b| held[b]).collect();
        }
        let values = (outs.iter())
            .map(|&r| buffers[r].clone().expect("roots are computed"))
            .collect();
        buffers.clear();
        scratch.buffers = buffers;
        scratch.held = held;
        Ok(values)
    }
}

/// The shape of buffer `b`'s array, once computed.
fn shape_of(buffers: &[Option<Rc<Array>>], b: usize) -> Option<&[usize]> {
    buffers[b].as_deref().map(Array::shape)
}

/// Makes the spread buffers among `wanted` whole on every process: the bytes received.
fn gather(
    sp: &Spreading,
    plan: &Plan,
    params: &mut [Rc<Array>],
    buffers: &mut [Option<Rc<Array>>],
    held: &mut [Held],
    wanted: impl Iterator<Item = usize>,
) -> usize {
    let spread: SmallVec<[usize; 4]> = wanted.filter(|&b| held[b] == Held::Rows).collect();
    let lent = own_alone(plan, params, buffers, spread.iter().copied());
    let mut received = 0;
    for &b in &spread {
        if let Some(a) = buffers[b].as_mut().and_then(Rc::get_mut) {
            received += sp.gather(a);
        }
        held[b] = Held::Whole;
    }
    give_back(plan, params, buffers, lent);
    received
}

/// Makes each buffer of `wanted` held by the buffer table alone, to be written: a
/// parameter's array is taken from `params` for the while, a spread device value's from
/// the value (see [`give_back`]), any other holder keeps its own copy. (Writing other
/// processes' rows into a spread array is harmless to its holders, who read only this
/// process's rows of it, so the array is lent rather than copied.) The buffers taken.
fn own_alone(
    plan: &Plan,
    params: &mut [Rc<Array>],
    buffers: &mut [Option<Rc<Array>>],
    wanted: impl Iterator<Item = usize>,
) -> SmallVec<[usize; 2]> {
    let mut lent = SmallVec::new();
    for b in wanted {
        let Some(array) = buffers[b].as_mut() else {
            continue;
        };
        match &plan.buffers[b] {
            Buffer::Param { index, .. }
                if params.get(*index).is_some_and(|p| Rc::ptr_eq(p, array)) =>
            {
                params[*index] = crate::runtime::placeholder();
                lent.push(b);
            }
            Buffer::Device(d) if Spread::lend(d, array) => lent.push(b),
            _ => {}
        }
        Rc::make_mut(array);
    }
    lent
}

/// Returns to `params` and spread device values the arrays [`own_alone`] took (written or
/// not, they are their values).
fn give_back(
    plan: &Plan,
    params: &mut [Rc<Array>],
    buffers: &[Option<Rc<Array>>],
    lent: SmallVec<[usize; 2]>,
) {
    for b in lent {
        let Some(a) = &buffers[b] else {
            continue;
        };
        match &plan.buffers[b] {
            Buffer::Param { index, .. } => params[*index] = a.clone(),
            Buffer::Device(d) => Spread::put_back(d, a.clone()),
            _ => {}
        }
    }
}

/// The spare array in `slot` when it has `dtype` and `len` elements and nothing else holds
/// it (its contents are to be overwritten).
fn spare_array(
    slot: &mut Option<Rc<Array>>,
    dtype: crate::dtype::DType,
    len: usize,
) -> Option<Rc<Array>> {
    let mut spare = slot.take()?;
    if spare.dtype() != dtype || spare.len() != len || Rc::get_mut(&mut spare).is_none() {
        return None;
    }
    Some(spare)
}

/// A 0-d array holding `x`: `spare` overwritten when it is one nothing else holds, of the
/// same dtype.
fn overwrite(spare: Option<Rc<Array>>, x: Scalar) -> Rc<Array> {
    if let Some(mut spare) = spare
        && let Some(a) = Rc::get_mut(&mut spare)
    {
        let written = match (a, x) {
            (Array::F64(a), Scalar::F64(v)) if a.ndim() == 0 => a.first_mut().map(|e| *e = v),
            (Array::Bool(a), Scalar::Bool(v)) if a.ndim() == 0 => a.first_mut().map(|e| *e = v),
            _ => None,
        };
        if written.is_some() {
            return spare;
        }
    }
    Rc::new(Array::scalar(x))
}

/// Takes parameter `param` out of the caller's hands (leaving a placeholder) when the only
/// other holder of its array is `held`, the plan's own reference: the update may then run
/// in place.
pub(super) fn donate(param: &mut Rc<Array>, held: &Rc<Array>) -> bool {
    if !Rc::ptr_eq(param, held) || Rc::strong_count(held) != 2 {
        return false;
    }
    drop(std::mem::replace(param, crate::runtime::placeholder()));
    true
}

/// The position a kernel's dynamic offset reads: the value of a 0-d i64 buffer computed
/// earlier in the plan.
fn position(buffer: &Option<Rc<Array>>) -> i64 {
    match buffer.as_deref().and_then(Array::as_scalar) {
        Some(Scalar::I64(p)) => p,
        _ => unreachable!("plan order: positions are 0-d i64 computed first"),
    }
}
