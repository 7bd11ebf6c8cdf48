//! `fuse::math`'s decompositions as WGSL: each operation becomes a `let` temporary, so a
//! shader computes every function `math::decomposed` names (`exp`, `log`, `sin`, `tanh`, …)
//! and `hypot` of f64 values with the same steps (and bits) as the interpreter and the
//! Cranelift kernels. `sin`/`cos`/`tan` of huge arguments take libm's exact path on the CPU, which a shader has not: an element that
//! needs it raises the shader's `status` flag, and the host then computes the kernel on the
//! CPU instead (see `Gpu::run_on_gpu`).

use super::ops::Body;
use crate::fuse::math::Ops;
use crate::graph::UnaryOp;
use std::fmt::Write;

/// A temporary `m{n}` of a shader body.
#[derive(Debug, Clone, Copy)]
pub(super) struct Temp(pub(super) u32);

/// The emitter: appends temporaries to a body.
pub(super) struct Emit<'b> {
    body: &'b mut Body,
}

impl<'b> Emit<'b> {
    pub(super) fn new(body: &'b mut Body) -> Emit<'b> {
        Emit { body }
    }

    /// The name of a temporary, to use in an expression.
    pub(super) fn name(&self, t: Temp) -> String {
        format!("m{}", t.0)
    }

    fn push(&mut self, expr: String) -> Temp {
        let t = Temp(self.body.temps);
        self.body.temps += 1;
        let _ = writeln!(self.body.text, "    let m{} = {expr};", t.0);
        t
    }
}

impl Ops for Emit<'_> {
    type F = Temp;
    type I = Temp;
    type B = Temp;
    fn c(&mut self, x: f64) -> Temp {
        // A zero the compiler knew would let it fold `x * 0.0` and `x + 0.0` (not IEEE).
        if x == 0.0 {
            self.push(format!("opaque64(bitcast<f64>({:#x}lu))", x.to_bits()))
        } else {
            self.push(format!("bitcast<f64>({:#x}lu)", x.to_bits()))
        }
    }
    fn ci(&mut self, x: i64) -> Temp {
        self.push(format!("bitcast<i64>({:#x}lu)", x as u64))
    }
    fn add(&mut self, a: Temp, b: Temp) -> Temp {
        self.push(format!("exact64(m{} + m{})", a.0, b.0))
    }
    fn sub(&mut self, a: Temp, b: Temp) -> Temp {
        self.push(format!("exact64(m{} - m{})", a.0, b.0))
    }
    fn mul(&mut self, a: Temp, b: Temp) -> Temp {
        self.push(format!("exact64(m{} * m{})", a.0, b.0))
    }
    fn div(&mut self, a: Temp, b: Temp) -> Temp {
        self.push(format!("m{} / m{}", a.0, b.0))
    }
    fn sqrt(&mut self, a: Temp) -> Temp {
        self.push(format!("sqrt(m{})", a.0))
    }
    fn round(&mut self, a: Temp) -> Temp {
        self.push(format!("round(m{})", a.0))
    }
    fn floor(&mut self, a: Temp) -> Temp {
        self.push(format!("floor(m{})", a.0))
    }
    fn bits(&mut self, a: Temp) -> Temp {
        self.push(format!("bitcast<i64>(m{})", a.0))
    }
    fn float_from_bits(&mut self, a: Temp) -> Temp {
        self.push(format!("bitcast<f64>(m{})", a.0))
    }
    fn iadd(&mut self, a: Temp, b: Temp) -> Temp {
        self.push(format!("m{} + m{}", a.0, b.0))
    }
    fn iand(&mut self, a: Temp, b: Temp) -> Temp {
        self.push(format!("m{} & m{}", a.0, b.0))
    }
    fn ior(&mut self, a: Temp, b: Temp) -> Temp {
        self.push(format!("m{} | m{}", a.0, b.0))
    }
    fn shl(&mut self, a: Temp, n: u8) -> Temp {
        self.push(format!("m{} << {n}u", a.0))
    }
    fn ushr(&mut self, a: Temp, n: u8) -> Temp {
        self.push(format!("bitcast<i64>(bitcast<u64>(m{}) >> {n}u)", a.0))
    }
    fn lt(&mut self, a: Temp, b: Temp) -> Temp {
        self.push(format!("m{} < m{}", a.0, b.0))
    }
    fn eq(&mut self, a: Temp, b: Temp) -> Temp {
        self.push(format!("m{} == m{}", a.0, b.0))
    }
    fn ieq(&mut self, a: Temp, b: Temp) -> Temp {
        self.push(format!("m{} == m{}", a.0, b.0))
    }
    fn select(&mut self, c: Temp, a: Temp, b: Temp) -> Temp {
        self.push(format!("select(m{}, m{}, m{})", b.0, a.0, c.0))
    }
    fn iselect(&mut self, c: Temp, a: Temp, b: Temp) -> Temp {
        self.push(format!("select(m{}, m{}, m{})", b.0, a.0, c.0))
    }
    fn opaque(&mut self, a: Temp) -> Temp {
        self.push(format!("opaque64(m{})", a.0))
    }
    fn exact_if(&mut self, c: Temp, _: UnaryOp, _: Temp, fast: Temp) -> Temp {
        self.body.flags = true;
        let _ = writeln!(
            self.body.text,
            "    if (m{}) {{ atomicStore(&status[0], 1u); }}",
            c.0
        );
        fast
    }
}
