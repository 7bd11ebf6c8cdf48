# Functions: expression and block forms, defaults, keywords, return, recursion, methods.
fn area(w, h = 2.0) = w * h
fn hyp(a, b) {
    let s = a * a + b * b
    sqrt(s)
}
fn fact(n) { if n <= 1 { return 1 } n * fact(n - 1) }
fn clamp01(x) = clip(x, 0.0, 1.0)
print(area(3), area(3, 4), area(h=5, w=2), hyp(3.0, 4.0), fact(20))
print([-0.5, 0.5, 1.5].clamp01(), arange(4).sum(), arange(6).reshape(2, 3).T)
let g = 10
fn uses_global(x) = x + g
print(uses_global(1))
fn bump() { g = g + 1 }
bump()
print(g)
