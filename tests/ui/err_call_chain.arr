# A runtime error inside nested function calls names the calls it happened in.
fn get(u, k) {
    return u[k]
}
fn total(u) {
    let s = 0.0
    for k in 0..5 {
        s = s + get(u, k)
    }
    return s
}
print(total(arange(3)))
