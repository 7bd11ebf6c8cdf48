# arr's standard library: functions written in arr itself, loaded as the prelude.
# Each function carries a `##` doc line that `help(name)` prints.

## Integral of samples y spaced dx apart, by the trapezoidal rule.
## example: trapz([1.0, 2.0, 3.0], dx=0.5)
fn trapz(y, dx = 1.0) = dx * (sum(y) - (y[0] + y[-1]) / 2)

## The logistic sigmoid 1 / (1 + exp(-x)).
## example: logistic([-1.0, 0.0, 1.0])
fn logistic(x) = 1 / (1 + exp(-x))

## Softmax of a 1-D array: exp(x) normalised to sum to 1 (shifted by max(x) for stability).
## example: softmax([1.0, 2.0, 3.0])
fn softmax(x) {
    let z = exp(x - max(x))
    z / sum(z)
}

## x shifted and scaled to mean 0 and standard deviation 1.
## example: normalize([1.0, 2.0, 3.0])
fn normalize(x) = (x - mean(x)) / std(x)

## Covariance matrix of the rows of x (variables) over its columns (observations), as numpy.cov.
## example: cov([[1.0, 2.0, 4.0], [1.0, 3.0, 2.0]])
fn cov(x, ddof = 1) {
    let m = if x.ndim == 1 { reshape(x, 1, len(x)) } else { x }
    let d = m - mean(m, axis=1, keepdims=true)
    let c = (d @ d.T) / (m.shape[1] - ddof)
    if x.ndim == 1 { c[0, 0] } else { c }
}

## Pearson correlation coefficients of the rows of x, as numpy.corrcoef.
## example: corrcoef([[1.0, 2.0, 4.0], [1.0, 3.0, 2.0]])
fn corrcoef(x) {
    let c = cov(x)
    let s = sqrt(diag(c))
    c / outer(s, s)
}

## n numbers spaced evenly on a log scale from 10**a to 10**b.
## example: logspace(0, 3, 4)
fn logspace(a, b, n = 50) = 10.0 ** linspace(a, b, n)
