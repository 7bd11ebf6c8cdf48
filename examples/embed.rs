//! Embedding arr in a Rust program: bind an ndarray, run arr code on it, read results back.

use ndarray::{ArrayD, IxDyn};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut session = arr::Session::new()?;

    // Hand arr an array from Rust.
    let samples = ArrayD::from_shape_vec(IxDyn(&[5]), vec![1.0, 4.0, 9.0, 16.0, 25.0])?;
    session.set("samples", samples)?;

    // Run arr code: names persist between calls.
    session.run_str("let roots = sqrt(samples)\nprint(\"roots:\", roots)")?;
    print!("{}", session.take_output());

    // Read values back as ndarray arrays.
    let roots: ArrayD<f64> = session.get("roots")?.try_into()?;
    println!("from Rust: {roots}");
    let total = session.eval("sum(roots)")?;
    println!("sum(roots) = {total}");

    // Errors carry their kind, message and span, rendered with the source line.
    if let Err(e) = session.run_str("roots + ones(3)") {
        eprint!("{}", session.render_error(&e, false));
    }
    Ok(())
}
