//! Selection and gathers as parallel passes over fixed pieces: `x[mask]` counts each chunk's
//! true elements, takes prefix sums and lets every chunk write its block of the result;
//! `x[idx]` on the leading axis copies whole rows. The pieces do not depend on the thread
//! count, so neither do the results.

use crate::diag::{Result, index_error};
use crate::map_array;
use crate::runtime::{Array, team};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Elements per chunk of a selection.
const CHUNK: usize = 1 << 14;
/// Elements below which a pass runs on one thread.
const PARALLEL_MIN: usize = 1 << 16;
/// Bytes of selected elements from which a selection's copying pass runs on the team (two
/// chunks or more): the team's helpers spin between jobs, so handing them chunks costs
/// about a microsecond, and a 32,000-element complex selection (a filtered Mandelbrot
/// step) takes twenty.
const COPY_PARALLEL_BYTES: usize = 1 << 18;

/// Elements of `x` (any layout) where `mask` (its shape, bool) is true, in row-major order.
pub fn compress(x: &Array, mask: &ndarray::ArrayD<bool>) -> Array {
    let mask = mask.as_standard_layout();
    let m = mask.as_slice().expect("standard layout");
    map_array!(x, a => {
        let a = a.as_standard_layout();
        let data = compress_slice(a.as_slice().expect("standard layout"), m);
        let n = data.len();
        ArrayD::from_shape_vec(IxDyn(&[n]), data).expect("one element per true")
    })
}

/// The elements of one chunk where `m` is true. Groups of eight all kept are copied as a
/// block and groups of eight none kept skipped (masks are mostly runs: the points of a
/// filtered loop that stay, a region of a grid); mixed groups are written without
/// branches (a random mask would mispredict every other element): each element up to the
/// last kept one is stored at the next slot, which advances only past kept ones — it stays
/// inside `out` because a kept element is still to come.
///
/// Every slot of `out` is written: slot `j` last by the `j`-th kept element.
fn compress_chunk<T: Copy>(s: &[T], m: &[bool], out: &mut [MaybeUninit<T>]) {
    const ALL: u64 = 0x0101_0101_0101_0101;
    fn each<T: Copy>(s: &[T], m: &[bool], out: &mut [MaybeUninit<T>], n: &mut usize) {
        for (&v, &keep) in s.iter().zip(m) {
            out[*n] = MaybeUninit::new(v);
            *n += usize::from(keep);
        }
    }
    let end = m.iter().rposition(|&keep| keep).map_or(0, |last| last + 1);
    let mut n = 0;
    for (m8, s8) in m[..end].chunks_exact(8).zip(s.chunks_exact(8)) {
        let word = u64::from_le_bytes(std::array::from_fn(|k| u8::from(m8[k])));
        if word == ALL {
            for (o, &v) in out[n..n + 8].iter_mut().zip(s8) {
                *o = MaybeUninit::new(v);
            }
            n += 8;
        } else if word != 0 {
            each(s8, m8, out, &mut n);
        }
    }
    let rest = end / 8 * 8;
    each(&s[rest..end], &m[rest..end], out, &mut n);
}

fn compress_slice<T: Copy + Send + Sync>(src: &[T], m: &[bool]) -> Vec<T> {
    let chunks = src.len().div_ceil(CHUNK);
    let count = |c: usize| {
        m[c * CHUNK..((c + 1) * CHUNK).min(m.len())]
            .iter()
            .filter(|&&b| b)
            .count()
    };
    // On the kernel team (its helpers spin between jobs: a loop filtering a value each
    // iteration pays no thread wake-ups).
    let counts: Vec<usize> = if src.len() < PARALLEL_MIN {
        (0..chunks).map(count).collect()
    } else {
        team::map(chunks, count)
    };
    // Not zeroed first: every element is written once, by its chunk.
    let total: usize = counts.iter().sum();
    let mut out = Vec::with_capacity(total);
    let mut pieces = Vec::with_capacity(counts.len());
    let mut rest = &mut out.spare_capacity_mut()[..total];
    for &c in &counts {
        let (piece, tail) = rest.split_at_mut(c);
        pieces.push(piece);
        rest = tail;
    }
    let work = |c: usize, piece: &mut [MaybeUninit<T>]| {
        let at = c * CHUNK..((c + 1) * CHUNK).min(src.len());
        compress_chunk(&src[at.clone()], &m[at], piece);
    };
    if chunks < 2 || std::mem::size_of_val(src) < COPY_PARALLEL_BYTES {
        pieces.into_iter().enumerate().for_each(|(c, p)| work(c, p));
    } else {
        team::each_mut(pieces, work);
    }
    // SAFETY: the pieces tile the first `total` slots, chunk `c` owns exactly `counts[c]`
    // of them, and `compress_chunk` writes every slot of its piece (one per kept element).
    #[allow(unsafe_code)]
    unsafe {
        out.set_len(total)
    };
    out
}

/// `x[idx]` on the leading axis (`idx` any shape, negative positions from the end): the
/// result's shape is `idx`'s followed by `x`'s remaining axes.
pub fn take_rows(x: &Array, idx: &ArrayD<i64>) -> Result<Array> {
    let idx = idx.as_standard_layout();
    let positions = idx.as_slice().expect("standard layout");
    let wrap = wrapping(positions, x.shape()[0], 0)?;
    let mut shape = idx.shape().to_vec();
    shape.extend_from_slice(&x.shape()[1..]);
    let row: usize = x.shape()[1..].iter().product();
    let parallel = positions.len() * row >= PARALLEL_MIN;
    Ok(map_array!(x, a => {
        let a = a.as_standard_layout();
        let src = a.as_slice().expect("standard layout");
        let mut out = vec![Default::default(); positions.len() * row];
        if row == 1 {
            let copy = |(o, p): (&mut [_], &[i64])| {
                for (o, &i) in o.iter_mut().zip(p) {
                    *o = src[wrap(i)];
                }
            };
            if parallel {
                out.par_chunks_mut(CHUNK).zip(positions.par_chunks(CHUNK)).for_each(copy);
            } else {
                copy((&mut out, positions));
            }
        } else if row > 1 {
            let copy = |(o, &i): (&mut [_], &i64)| {
                let at = wrap(i) * row;
                o.copy_from_slice(&src[at..at + row]);
            };
            if parallel {
                out.par_chunks_mut(row).zip(positions.par_iter()).for_each(copy);
            } else {
                out.chunks_mut(row).zip(positions.iter()).for_each(copy);
            }
        }
        ArrayD::from_shape_vec(IxDyn(&shape), out).expect("one row per index")
    }))
}

/// The wrapped index of each position of axis `axis`, of length `n` (negative positions
/// count from the end), after checking them all: an error names the first one out of
/// bounds, as NumPy does.
pub(crate) fn wrapping(
    positions: &[i64],
    n: usize,
    axis: usize,
) -> Result<impl Fn(i64) -> usize + Copy + Sync> {
    let n = n as i64;
    let (lo, hi) = positions
        .iter()
        .fold((0, -1), |(lo, hi), &i| (i.min(lo), i.max(hi)));
    if lo < -n || hi >= n {
        let bad = positions
            .iter()
            .find(|&&i| i < -n || i >= n)
            .copied()
            .unwrap_or(hi);
        return Err(out_of_bounds(bad, n, axis));
    }
    Ok(move |i: i64| (if i < 0 { i + n } else { i }) as usize)
}

/// NumPy's error for position `bad` of an axis of length `n`.
fn out_of_bounds(bad: i64, n: i64, axis: usize) -> crate::diag::Error {
    index_error(format!(
        "index {bad} is out of bounds for axis {axis} with size {n}"
    ))
}

/// `x` with rows `idx` (on the leading axis) replaced by `value` broadcast to `region`
/// (`idx`'s shape followed by `x`'s remaining axes), in order: the last of repeated
/// positions wins, as in NumPy.
pub fn put_rows(x: &Array, idx: &ArrayD<i64>, value: &Array, region: &[usize]) -> Result<Array> {
    let mut out = crate::map_array!(x, a => a.as_standard_layout().into_owned());
    let idx = idx.as_standard_layout();
    // A failure drops the copy: positions may be checked as they are stored.
    write_rows(
        &mut out,
        idx.as_slice().expect("standard layout"),
        value,
        region,
        false,
    )?;
    Ok(out)
}

/// [`put_rows`] writing into `x` itself, a row-major array: every position is checked
/// before anything is written, so `x` is unchanged when this fails.
pub fn put_rows_into(
    x: &mut Array,
    idx: &ArrayD<i64>,
    value: &Array,
    region: &[usize],
) -> Result<()> {
    let idx = idx.as_standard_layout();
    write_rows(
        x,
        idx.as_slice().expect("standard layout"),
        value,
        region,
        true,
    )
}

/// Writes [`put_rows`]'s rows into `x`, a row-major array. Positions are all checked
/// before any row is written, in one pass — except, unless `checked_first`, where one
/// element is stored a position (`z[i] = 0.0` on a vector): each is then checked as it is
/// stored, with no pass over them first, so an error may come after some are written.
fn write_rows(
    x: &mut Array,
    positions: &[i64],
    value: &Array,
    region: &[usize],
    checked_first: bool,
) -> Result<()> {
    let n = x.shape()[0] as i64;
    let row: usize = x.shape()[1..].iter().product();
    let elements = row == 1 && value.len() == 1;
    let ahead = if elements && !checked_first {
        &[][..]
    } else {
        positions
    };
    let wrap = wrapping(ahead, x.shape()[0], 0)?;
    macro_rules! put {
        ($variant:ident) => {{
            let (Array::$variant(out), Array::$variant(v)) = (x, value) else {
                unreachable!("cast when built")
            };
            let dst = out.as_slice_mut().expect("standard layout");
            if elements {
                let s = *v.iter().next().expect("one element");
                for &i in positions {
                    // A position below -n wraps to a huge index: out of bounds too.
                    let at = (if i < 0 { i + n } else { i }) as usize;
                    match dst.get_mut(at) {
                        Some(d) => *d = s,
                        None => return Err(out_of_bounds(i, n, 0)),
                    }
                }
            } else if v.len() == 1 {
                let s = *v.iter().next().expect("one element");
                for &i in positions {
                    let at = wrap(i) * row;
                    dst[at..at + row].fill(s);
                }
            } else {
                let v = v.broadcast(IxDyn(region)).expect("checked when built");
                let v = v.as_standard_layout();
                let src = v.as_slice().expect("standard layout");
                if row == 1 {
                    // Elements: a plain store each (a slice copy calls `memmove`).
                    for (&s, &i) in src.iter().zip(positions) {
                        dst[wrap(i)] = s;
                    }
                } else {
                    for (k, &i) in positions.iter().enumerate() {
                        let at = wrap(i) * row;
                        dst[at..at + row].copy_from_slice(&src[k * row..(k + 1) * row]);
                    }
                }
            }
        }};
    }
    match x {
        Array::Bool(_) => put!(Bool),
        Array::I64(_) => put!(I64),
        Array::F32(_) => put!(F32),
        Array::F64(_) => put!(F64),
        Array::C128(_) => put!(C128),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Selections of every density and layout of runs, over lengths around the chunk and
    /// group sizes (one thread and the team), against a plain filter.
    #[test]
    fn selections_match_a_plain_filter() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in [0, 1, 7, 8, 9, 63, 1000, CHUNK + 5, 3 * CHUNK + 17, 70_001] {
            for density in [0, 1, 50, 99, 100] {
                // Runs of random length, kept with the given chance.
                let mut m = Vec::with_capacity(len);
                while m.len() < len {
                    let keep = next() % 100 < density;
                    let run = (next() % 40 + 1) as usize;
                    m.extend(std::iter::repeat_n(keep, run.min(len - m.len())));
                }
                let src: Vec<u64> = (0..len as u64).collect();
                let want: Vec<u64> = src
                    .iter()
                    .zip(&m)
                    .filter(|(_, k)| **k)
                    .map(|(v, _)| *v)
                    .collect();
                assert_eq!(
                    compress_slice(&src, &m),
                    want,
                    "len {len} density {density}"
                );
                let complex: Vec<num_complex::Complex64> = src
                    .iter()
                    .map(|&v| num_complex::Complex64::new(v as f64, -(v as f64)))
                    .collect();
                let got = compress_slice(&complex, &m);
                assert!(got.iter().map(|c| c.re as u64).eq(want.iter().copied()));
            }
        }
    }
}
