//! A product's rows computed alone have the bits of the whole product's rows.

use super::{matmul_rows, matmul_strided};
use crate::runtime::Array;
use crate::runtime::strided::Strided;
use ndarray::{ArrayD, IxDyn};

/// A pseudo-random f64 array of `shape` (values whose products round).
fn values(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let n: usize = shape.iter().product();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let data = (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.3
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), data).expect("sizes agree")
}

/// The same values as `dtype`.
fn as_dtype(x: &ArrayD<f64>, dtype: &str) -> Array {
    match dtype {
        "f32" => Array::F32(x.mapv(|v| v as f32)),
        "i64" => Array::I64(x.mapv(|v| (v * 100.0) as i64)),
        "c128" => Array::C128(x.mapv(|v| num_complex::Complex64::new(v, 1.0 - v))),
        _ => Array::F64(x.clone()),
    }
}

/// The rows of each of `ranks` processes (as `share::part` splits them).
fn parts(m: usize, ranks: usize) -> Vec<std::ops::Range<usize>> {
    (0..ranks)
        .map(|p| (m * p / ranks)..(m * (p + 1) / ranks))
        .collect()
}

/// Whether `got`'s rows `rows` have `want`'s bits and its other elements are zero.
fn rows_match(got: &Array, want: &Array, rows: &std::ops::Range<usize>) -> bool {
    let row_len = want.len() / want.shape()[0];
    let (got, want) = (bits(got), bits(want));
    (0..want.len()).all(|i| {
        if rows.contains(&(i / row_len)) {
            got[i] == want[i]
        } else {
            got[i] == 0
        }
    })
}

/// Each element's bits, in row-major order.
fn bits(a: &Array) -> Vec<u128> {
    match a {
        Array::F64(x) => x.iter().map(|v| u128::from(v.to_bits())).collect(),
        Array::F32(x) => x.iter().map(|v| u128::from(v.to_bits())).collect(),
        Array::I64(x) => x.iter().map(|&v| v as u64 as u128).collect(),
        Array::C128(x) => (x.iter())
            .map(|v| (u128::from(v.re.to_bits()) << 64) | u128::from(v.im.to_bits()))
            .collect(),
        Array::Bool(x) => x.iter().map(|&v| u128::from(v)).collect(),
    }
}

/// A view of `shape` with `strides` from element `offset`.
fn view(shape: [usize; 2], strides: [i64; 2], offset: usize) -> Option<Strided> {
    Some(Strided {
        offset: offset as i64,
        strides: strides.to_vec(),
        shape: shape.to_vec(),
    })
}

/// Every dtype, matrix and vector right operands, row-major, transposed and reversed left
/// operands, shapes across faer's kernel sizes: each process's rows are the whole
/// product's.
#[test]
fn rows_alone_have_the_whole_products_bits() {
    let shapes = [
        (64, 70, 50),
        (200, 33, 97),
        (97, 512, 1),
        (130, 600, 9),
        (40, 1100, 60),
    ];
    for (m, k, n) in shapes {
        for dtype in ["f64", "f32", "c128", "i64"] {
            let b_shape = if n == 1 { vec![k] } else { vec![k, n] };
            let b = as_dtype(&values(&b_shape, 7), dtype);
            let out_shape = if n == 1 { vec![m] } else { vec![m, n] };
            // Row-major; the transpose of a (k, m) array; rows read backwards.
            let plain = as_dtype(&values(&[m, k], 3), dtype);
            let stored_t = as_dtype(&values(&[k, m], 5), dtype);
            let layouts: [(&Array, Option<Strided>); 3] = [
                (&plain, None),
                (&stored_t, view([m, k], [1, m as i64], 0)),
                (&plain, view([m, k], [-(k as i64), 1], (m - 1) * k)),
            ];
            for (a, view) in &layouts {
                let whole = matmul_strided((a, view.as_ref()), (&b, None), &out_shape)
                    .expect("the whole product");
                for ranks in [2, 3, 4] {
                    for rows in parts(m, ranks) {
                        let got =
                            matmul_rows((a, view.as_ref()), (&b, None), &out_shape, rows.clone())
                                .expect("no error")
                                .expect("a spreadable product");
                        assert!(
                            rows_match(&got, &whole, &rows),
                            "{dtype} ({m}, {k}) @ ({k}, {n}), rows {rows:?} of {ranks}"
                        );
                    }
                }
            }
        }
    }
}

/// Products the rows cannot promise the whole product's bits for are refused.
#[test]
fn small_or_other_products_are_refused() {
    let a = Array::F64(values(&[8, 8], 1));
    let b = Array::F64(values(&[8, 8], 2));
    // Few enough multiply-adds for faer's small kernels; one row; a batch.
    assert!(matches!(
        matmul_rows((&a, None), (&b, None), &[8, 8], 0..4),
        Ok(None)
    ));
    let big = Array::F64(values(&[64, 64], 1));
    assert!(matches!(
        matmul_rows((&big, None), (&big, None), &[64, 64], 5..6),
        Ok(None)
    ));
    let batch = Array::F64(values(&[2, 64, 64], 1));
    assert!(matches!(
        matmul_rows((&batch, None), (&big, None), &[2, 64, 64], 0..1),
        Ok(None)
    ));
}
