//! Unit tests of the CPU backend's code generation.

use super::*;

#[test]
fn jit_starts() {
    assert!(Jit::new().is_ok());
}
