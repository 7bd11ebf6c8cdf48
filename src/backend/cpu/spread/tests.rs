//! Unit tests of how store positions follow rows and how input reads are bounded.

use super::reads::{Strided, rows_and_columns};
use super::{RowMap, part};
use crate::dtype::DType;
use crate::fuse::{Input, Kernel, Output, Source};

/// A store kernel over `dims` writing at `offset` with `strides`.
fn store(dims: &[usize], offset: i64, strides: &[i64]) -> Kernel {
    Kernel {
        dims: dims.to_vec(),
        inputs: Vec::new(),
        body: Vec::new(),
        output: Output::Store(0),
        out_offset: offset,
        out_dynamic: Vec::new(),
        out_strides: strides.to_vec(),
    }
}

/// The element each position of `k` writes, row-major over its dims.
fn writes(k: &Kernel) -> Vec<i64> {
    let n: usize = k.dims.iter().product();
    (0..n)
        .map(|mut p| {
            let mut e = k.out_offset;
            for d in (0..k.dims.len()).rev() {
                e += k.out_strides[d] * (p % k.dims[d]) as i64;
                p /= k.dims[d];
            }
            e
        })
        .collect()
}

/// Each process's positions are exactly those writing its rows, for regions that follow
/// the rows (interiors, columns, single elements, strided rows), at 1 to 5 processes.
#[test]
fn positions_follow_rows() {
    let shape = [10usize, 8];
    let cases = [
        store(&[8, 6], 9, &[8, 1]),
        store(&[10], 3, &[8]),
        store(&[], 42, &[]),
        store(&[4, 8], 8, &[16, 1]),
        store(&[1, 5], 17, &[8, 1]),
    ];
    for k in &cases {
        let map = RowMap::of(k, &shape, true).expect("follows rows");
        let rows = writes(k);
        for ranks in 1..=5 {
            for p in 0..ranks {
                let own = part(shape[0], p, ranks);
                let positions = map.positions(own.clone());
                for (q, &e) in rows.iter().enumerate() {
                    let mine = own.contains(&((e / 8) as usize));
                    assert_eq!(positions.contains(&q), mine, "{k:?} at {ranks}: {q}");
                }
            }
        }
    }
    // A transposed write and a row-crossing one do not follow the rows.
    assert!(RowMap::of(&store(&[8, 10], 0, &[1, 8]), &shape, true).is_none());
    assert!(RowMap::of(&store(&[2, 12], 0, &[16, 1]), &shape, true).is_none());
}

/// The rows and columns an input's reads get for any range of positions hold every
/// element read, and a transposed read gets the columns of its positions' rows only.
#[test]
fn reads_stay_inside_their_rows_and_columns() {
    /// Kernel dims, the input's offset and strides, the array's rows and row length.
    type Case = (&'static [usize], i64, &'static [i64], usize, usize);
    let cases: [Case; 9] = [
        (&[5, 4, 3], 40, &[-7, 3, 1], 9, 7),
        (&[5, 4, 3], 40, &[-7, 3, 1], 6, 12),
        (&[5, 4, 3], 2, &[20, 5, 1], 5, 20),
        (&[12, 12], 0, &[1, 12], 12, 12),
        (&[10, 6], 5, &[12, -1], 10, 12),
        // Strided rows and columns (`u[1::3, 2::4]`), reversed, and a transpose's.
        (&[4, 3], 14, &[36, 4], 12, 12),
        (&[4, 3], 134, &[-36, -4], 12, 12),
        (&[3, 4], 1, &[8, 36], 12, 12),
        (&[2, 3, 2], 3, &[48, 6, 24], 8, 12),
    ];
    for (dims, offset, strides, rows, row_len) in cases {
        let input = Input {
            source: Source::Buffer(0),
            dtype: DType::F64,
            offset,
            dynamic: Vec::new(),
            strides: strides.to_vec(),
        };
        let at = |mut p: usize| {
            let mut e = input.offset;
            for d in (0..dims.len()).rev() {
                e += input.strides[d] * (p % dims[d]) as i64;
                p /= dims[d];
            }
            e as usize
        };
        let n: usize = dims.iter().product();
        for start in 0..n {
            for end in start + 1..=n {
                let (r, c) = rows_and_columns(&input, dims, start..end, rows, (row_len, 1))
                    .expect("positions");
                let (r_all, c_all): (Vec<usize>, Vec<usize>) =
                    (r.indices().collect(), c.indices().collect());
                for p in start..end {
                    let e = at(p);
                    assert!(
                        r_all.contains(&(e / row_len)),
                        "{dims:?} {start}..{end}: {p}"
                    );
                    assert!(
                        c_all.contains(&(e % row_len)),
                        "{dims:?} {start}..{end}: {p}"
                    );
                }
            }
        }
        assert!(rows_and_columns(&input, dims, 3..3, rows, (row_len, 1)).is_none());
    }
    // Rows 3..6 of a transpose read columns 3..6 of every row.
    let transposed = Input {
        source: Source::Buffer(0),
        dtype: DType::F64,
        offset: 0,
        dynamic: Vec::new(),
        strides: vec![1, 12],
    };
    let read = rows_and_columns(&transposed, &[12, 12], 36..72, 12, (12, 1));
    assert_eq!(read, Some((Strided::all(0..12), Strided::all(3..6))));
    // `u[1::3, 2::4]` of a 12 x 12 array reads every third row from row 1, and every fourth
    // column from column 2; its parts of a complex array, the same elements.
    let strided = |offset, strides: &[i64]| Input {
        source: Source::Buffer(0),
        dtype: DType::F64,
        offset,
        dynamic: Vec::new(),
        strides: strides.to_vec(),
    };
    let every = |range, step| Strided { range, step };
    let read = rows_and_columns(&strided(14, &[36, 4]), &[4, 3], 0..12, 12, (12, 1));
    assert_eq!(read, Some((every(1..11, 3), every(2..11, 4))));
    let read = rows_and_columns(&strided(29, &[72, 8]), &[4, 3], 0..12, 12, (12, 2));
    assert_eq!(read, Some((every(1..11, 3), every(2..11, 4))));
}
