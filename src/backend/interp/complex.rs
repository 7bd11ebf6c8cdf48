//! Complex elementwise functions as NumPy computes them: `nc_pow`'s repeated
//! multiplication for integer powers and `cdiv`'s Smith division.

use crate::graph::UnaryOp;
use num_complex::Complex64;

/// One element of a unary complex function.
pub(super) fn complex_unary(op: UnaryOp, z: Complex64) -> Complex64 {
    use UnaryOp::*;
    match op {
        Neg => -z,
        Conj => z.conj(),
        Sqrt => z.sqrt(),
        Exp => z.exp(),
        Log => z.ln(),
        Sin => z.sin(),
        Cos => z.cos(),
        Tan => z.tan(),
        Sinh => z.sinh(),
        Cosh => z.cosh(),
        Tanh => z.tanh(),
        Sign => {
            let n = z.norm();
            if n == 0.0 {
                Complex64::new(0.0, 0.0)
            } else {
                z / n
            }
        }
        _ => Complex64::new(f64::NAN, f64::NAN),
    }
}

/// NumPy's `nc_pow`: integer exponents below 100 in magnitude by repeated multiplication
/// (so `(-0.5+0j)**2` is exactly `0.25`), others through `exp(b·log a)`.
pub(super) fn complex_pow(a: Complex64, b: Complex64) -> Complex64 {
    let one = Complex64::new(1.0, 0.0);
    let mul = |p: Complex64, q: Complex64| {
        Complex64::new(p.re * q.re - p.im * q.im, p.re * q.im + p.im * q.re)
    };
    if b.re == 0.0 && b.im == 0.0 {
        return one;
    }
    if a.re == 0.0 && a.im == 0.0 {
        return if b.re > 0.0 && b.im == 0.0 {
            Complex64::new(0.0, 0.0)
        } else {
            Complex64::new(f64::NAN, f64::NAN)
        };
    }
    if b.im == 0.0 && b.re.fract() == 0.0 && b.re.abs() < 100.0 {
        let n = b.re as i64;
        match n {
            1 => return a,
            2 => return mul(a, a),
            3 => return mul(a, mul(a, a)),
            _ => {}
        }
        let (n, mut mask, mut acc, mut p) = (n.abs(), 1i64, one, a);
        loop {
            if n & mask != 0 {
                acc = mul(acc, p);
            }
            mask <<= 1;
            if n < mask {
                break;
            }
            p = mul(p, p);
        }
        return if b.re < 0.0 { smith_div(one, acc) } else { acc };
    }
    a.powc(b)
}

/// Complex division by Smith's method, as NumPy's `cdiv`.
pub(super) fn smith_div(a: Complex64, b: Complex64) -> Complex64 {
    let (ar, ai, br, bi) = (a.re, a.im, b.re, b.im);
    let (abs_br, abs_bi) = (br.abs(), bi.abs());
    if abs_br >= abs_bi {
        if abs_br == 0.0 && abs_bi == 0.0 {
            return Complex64::new(ar / abs_br, ai / abs_bi);
        }
        let rat = bi / br;
        let scl = 1.0 / (br + bi * rat);
        Complex64::new((ar + ai * rat) * scl, (ai - ar * rat) * scl)
    } else {
        let rat = br / bi;
        let scl = 1.0 / (bi + br * rat);
        Complex64::new((ar * rat + ai) * scl, (ai * rat - ar) * scl)
    }
}
