# NumPy's everyday functions that are compositions of builtins, written in arr (LANGUAGE.md
# §5, v2). Each has NumPy's signature and defaults; `help(name)` prints its `##` lines.

## An array of x's shape (and dtype, unless given) filled with 0, as numpy.zeros_like.
## example: zeros_like([[1, 2], [3, 4]])
fn zeros_like(x, dtype = x.dtype) = zeros(x.shape, dtype=dtype)

## An array of x's shape (and dtype, unless given) filled with 1, as numpy.ones_like.
## example: ones_like([1.5, 2.5])
fn ones_like(x, dtype = x.dtype) = ones(x.shape, dtype=dtype)

## An array of x's shape (and dtype, unless given) filled with v, as numpy.full_like.
## example: full_like([1, 2, 3], 7)
fn full_like(x, v, dtype = x.dtype) = full(x.shape, v, dtype=dtype)

## numpy.empty_like: zeros_like (arr has no uninitialised memory).
## example: empty_like([1.0, 2.0])
fn empty_like(x, dtype = x.dtype) = zeros(x.shape, dtype=dtype)

## The n×n identity matrix, as numpy.identity.
## example: identity(3)
fn identity(n, dtype = "f64") = eye(n, dtype=dtype)

## Elementwise |a - b| <= atol + rtol * |b| (infinities equal to themselves), as numpy.isclose.
## example: isclose([1.0, 2.0], [1.0 + 1e-9, 2.1])
fn isclose(a, b, rtol = 1e-05, atol = 1e-08, equal_nan = false) {
    let close = (abs(a - b) <= atol + rtol * abs(b)) | (a == b)
    if equal_nan { close | (isnan(a) & isnan(b)) } else { close }
}

## Whether a and b have the same shape and elements, as numpy.array_equal.
## example: array_equal([1, 2], [1, 2])
fn array_equal(a, b) {
    if a.ndim != b.ndim { false } else if any(a.shape != b.shape) { false } else { all(a == b) }
}

## The number of non-zero elements (along axis), as numpy.count_nonzero.
## example: count_nonzero([[0, 1], [2, 0]], axis=0)
fn count_nonzero(x, axis = None, keepdims = false) = sum(bool(x), axis=axis, keepdims=keepdims)

## Sum treating NaN as zero, as numpy.nansum.
## example: nansum([1.0, nan, 2.0])
fn nansum(x, axis = None, keepdims = false) {
    sum(where(isnan(x), 0, x), axis=axis, keepdims=keepdims)
}

## Mean of the elements that are not NaN, as numpy.nanmean.
## example: nanmean([1.0, nan, 2.0])
fn nanmean(x, axis = None, keepdims = false) {
    let count = sum(~isnan(x), axis=axis, keepdims=keepdims)
    nansum(x, axis=axis, keepdims=keepdims) / count
}

## Minimum ignoring NaN (NaN where every element is NaN), as numpy.nanmin.
## example: nanmin([3.0, nan, 2.0])
fn nanmin(x, axis = None, keepdims = false) {
    let m = min(where(isnan(x), inf, x), axis=axis, keepdims=keepdims)
    where(all(isnan(x), axis=axis, keepdims=keepdims), nan, m)
}

## Maximum ignoring NaN (NaN where every element is NaN), as numpy.nanmax.
## example: nanmax([3.0, nan, 2.0])
fn nanmax(x, axis = None, keepdims = false) {
    let m = max(where(isnan(x), -inf, x), axis=axis, keepdims=keepdims)
    where(all(isnan(x), axis=axis, keepdims=keepdims), nan, m)
}

## Variance of the elements that are not NaN, as numpy.nanvar.
## example: nanvar([1.0, nan, 3.0])
fn nanvar(x, axis = None, keepdims = false, ddof = 0) {
    let keep = ~isnan(x)
    let m = nanmean(x, axis=axis, keepdims=true)
    let d = where(keep, x - m, 0.0)
    sum(d * d, axis=axis, keepdims=keepdims) / (sum(keep, axis=axis, keepdims=keepdims) - ddof)
}

## Standard deviation of the elements that are not NaN, as numpy.nanstd.
## example: nanstd([1.0, nan, 3.0])
fn nanstd(x, axis = None, keepdims = false, ddof = 0) {
    sqrt(nanvar(x, axis=axis, keepdims=keepdims, ddof=ddof))
}

## The mean, or the weighted mean sum(x * weights) / sum(weights), as numpy.average.
## example: average([1.0, 2.0, 4.0], weights=[1, 1, 2])
fn average(x, axis = None, weights = None) {
    if weights == None {
        mean(x, axis=axis)
    } else {
        sum(x * weights, axis=axis) / sum(weights, axis=axis)
    }
}

## The upper triangle of the last two axes (below diagonal k zeroed), as numpy.triu.
## example: triu(ones(3, 3), k=1)
fn triu(m, k = 0) {
    let i = arange(m.shape[-2])[:, None]
    let j = arange(m.shape[-1])[None, :]
    where(j - i >= k, m, 0)
}

## The lower triangle of the last two axes (above diagonal k zeroed), as numpy.tril.
## example: tril(ones(3, 3))
fn tril(m, k = 0) {
    let i = arange(m.shape[-2])[:, None]
    let j = arange(m.shape[-1])[None, :]
    where(j - i <= k, m, 0)
}

## Cross product of 3-vectors (or the z component for 2-vectors) along the last axis.
## example: cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
fn cross(a, b) {
    if a.shape[-1] == 2 and b.shape[-1] == 2 {
        a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    } else {
        let x = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
        let y = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
        let z = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
        stack([x, y, z], axis=-1)
    }
}

## Kronecker product of two vectors or matrices, as numpy.kron.
## example: kron(eye(2), [[1, 2], [3, 4]])
fn kron(a, b) {
    if a.ndim == 1 and b.ndim == 1 {
        reshape(a[:, None] * b[None, :], len(a) * len(b))
    } else {
        let a2 = if a.ndim == 1 { a[None, :] } else { a }
        let b2 = if b.ndim == 1 { b[None, :] } else { b }
        let p = a2[:, None, :, None] * b2[None, :, None, :]
        reshape(p, (a2.shape[0] * b2.shape[0], a2.shape[1] * b2.shape[1]))
    }
}

## a @ a @ ... (n times; inv(a) for negative n), by squaring, as numpy.linalg.matrix_power.
## example: matrix_power([[1, 1], [1, 0]], 10)
fn matrix_power(a, n) {
    if n == 0 {
        return eye(a.shape[0], dtype=a.dtype)
    }
    let z = if n < 0 { inv(a) } else { a }
    let k = abs(n)
    let result = z
    let started = false
    let first = true
    while k > 0 {
        if not first {
            z = z @ z
        }
        first = false
        if k % 2 == 1 {
            result = if started { result @ z } else { z }
            started = true
        }
        k = k // 2
    }
    result
}

## The polynomial with coefficients p (highest power first) at x, by Horner's rule.
## example: polyval([1, 0, -1], [0.0, 1.0, 2.0])
fn polyval(p, x) {
    let y = zeros_like(x)
    for c in p {
        y = y * x + c
    }
    y
}

## Least-squares polynomial coefficients of degree deg (highest first), as numpy.polyfit.
## example: polyfit([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0], 1)
fn polyfit(x, y, deg) {
    let xf = x + 0.0
    let lhs = xf[:, None] ** arange(deg, -1, -1)
    let scale = sqrt(sum(lhs * lhs, axis=0))
    let c = lstsq(lhs / scale, y, rcond=len(xf) * 2.220446049250313e-16)[0]
    if c.ndim == 1 { c / scale } else { c / scale[:, None] }
}

## x with the zero frequency moved to the centre: rolled by half along each axis (or axes).
## example: fftshift(fftfreq(5))
fn fftshift(x, axes = None) {
    let y = x
    let all = if axes == None { arange(x.ndim) } else { reshape(array(axes), -1) }
    for ax in all {
        y = roll(y, x.shape[ax] // 2, axis=ax)
    }
    y
}

## The inverse of fftshift: rolled back by half along each axis (or axes).
## example: ifftshift(fftshift(fftfreq(5)))
fn ifftshift(x, axes = None) {
    let y = x
    let all = if axes == None { arange(x.ndim) } else { reshape(array(axes), -1) }
    for ax in all {
        y = roll(y, -(x.shape[ax] // 2), axis=ax)
    }
    y
}
