//! arr: an array language with NumPy's semantics and a math-like syntax.
//!
//! A script is parsed ([`syntax`]), traced into a lazy graph ([`lower`], [`graph`]) and
//! computed by a [`backend`]; values are [`runtime::Array`]s. Embed it with [`Session`].
#![deny(unsafe_code)]

pub mod api;
pub mod backend;
pub mod cli;
pub mod diag;
pub mod dtype;
pub mod fuse;
pub mod graph;
pub mod library;
pub mod lower;
pub mod plot;
pub mod random;
pub mod repl;
pub mod runtime;
pub mod stdlib;
pub mod syntax;

pub use api::{Output, Session};
pub use backend::BackendKind;
pub use diag::{Error, ErrorKind};
pub use dtype::DType;
pub use lower::CheckpointOptions;
pub use runtime::Array;
