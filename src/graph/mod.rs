//! The lazy expression graph: [`Node`]s that know their shape and dtype from the moment they
//! are built, so shape and dtype errors surface at the line that caused them.
//!
//! Structurally equal nodes are one node (hash-consing through [`Graph`]); nodes are
//! reference-counted, so a graph lives exactly as long as some name still reaches it, and a
//! loop that rebinds a name does not grow it. A node that has been computed keeps its value
//! and is treated as a constant by every node built from it afterwards.
//!
//! *Invariant:* knows nothing of backends, threads or source text; spans travel as opaque
//! values for error reporting.

mod build;
mod calls;
mod cons;
mod index;
mod library;
pub mod ops;
mod reduce;

pub use build::{broadcast_shapes, normalize_axis};
pub use calls::{ConvolveMode, FftNorm, NormOrd, QrMode};
pub use index::{IndexItem, IndexSpec};
pub use ops::{
    BinaryOp, Distribution, EXPENSIVE, LibCall, Op, RandomInput, ReduceOp, ScanOp, UnaryOp,
};

use crate::diag::{Result, Span, resource_error};
use crate::dtype::DType;
use crate::runtime::Array;
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

/// A shared handle to a node.
pub type NodeRef = Rc<Node>;

/// One lazy value: an operation over input nodes, with its inferred shape and dtype.
#[derive(Debug)]
pub struct Node {
    /// Unique within a session; identifies the node in plans and caches.
    pub id: u64,
    /// What the node computes.
    pub op: Op,
    /// The nodes it computes from.
    pub inputs: Vec<NodeRef>,
    /// The result's shape.
    pub shape: Vec<usize>,
    /// The result's dtype.
    pub dtype: DType,
    /// Whether this is a weak (literal) scalar for promotion (LANGUAGE.md §2).
    pub weak: bool,
    /// Longest path to a leaf; the driver materialises values whose graphs grow deep.
    pub depth: u32,
    /// The source that built the node, for errors found while computing it.
    pub span: Span,
    /// Whether the node reads a loop parameter ([`Op::Param`]): its value exists only when
    /// a recorded program runs, never while tracing.
    pub reads_param: bool,
    value: RefCell<Option<Rc<Array>>>,
}

impl Node {
    /// The number of elements.
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    /// The computed value, if the node is a constant or has been computed.
    pub fn value(&self) -> Option<Rc<Array>> {
        match &self.op {
            Op::Const(a) => Some(a.clone()),
            _ => self.value.borrow().clone(),
        }
    }

    /// Whether the node's value is yet to be computed: it is neither a constant, nor
    /// computed, nor a value a backend keeps on its device ([`Op::Device`]).
    pub fn is_lazy(&self) -> bool {
        self.value().is_none() && !matches!(self.op, Op::Device(_))
    }

    /// The computed value, taking the node apart (so the value's only other holder, if
    /// any, is gone with it).
    pub fn into_value(self) -> Option<Rc<Array>> {
        match self.op {
            Op::Const(a) => Some(a),
            _ => self.value.into_inner(),
        }
    }

    /// The same node with another result shape and no value: a plan family's matrix
    /// product at another value of its loop variable (`fuse::family`). Never hash-consed.
    pub fn with_shape(&self, shape: Vec<usize>) -> NodeRef {
        Rc::new(Node {
            id: self.id,
            op: self.op.clone(),
            inputs: self.inputs.clone(),
            shape,
            dtype: self.dtype,
            weak: self.weak,
            depth: self.depth,
            span: self.span,
            reads_param: self.reads_param,
            value: RefCell::new(None),
        })
    }

    /// Records the computed value (called by the runtime after a backend ran).
    pub fn set_value(&self, value: Rc<Array>) {
        if !matches!(self.op, Op::Const(_)) {
            *self.value.borrow_mut() = Some(value);
        }
    }
}

/// Builds nodes: infers shapes and dtypes, enforces the memory limit, and hash-conses.
#[derive(Debug)]
pub struct Graph {
    next_id: u64,
    cons: HashMap<cons::ConsKey, Weak<Node>>,
    prune_at: usize,
    /// Largest array, in bytes, a node may describe.
    pub memory_limit: u64,
}

impl Graph {
    /// A graph builder refusing arrays larger than `memory_limit` bytes.
    pub fn new(memory_limit: u64) -> Graph {
        Graph {
            next_id: 0,
            cons: HashMap::default(),
            prune_at: 1024,
            memory_limit,
        }
    }

    /// How many nodes are alive (reachable from some name or value); a loop that rebinds a
    /// name keeps this bounded.
    pub fn live_nodes(&self) -> usize {
        self.cons.values().filter(|w| w.strong_count() > 0).count()
    }

    /// A constant node holding `value`.
    pub fn constant(&mut self, value: Array, weak: bool, span: Span) -> Result<NodeRef> {
        self.shared_constant(Rc::new(value), weak, span)
    }

    /// A constant node holding a shared value (no copy).
    pub fn shared_constant(&mut self, value: Rc<Array>, weak: bool, span: Span) -> Result<NodeRef> {
        let shape = value.shape().to_vec();
        let dtype = value.dtype();
        self.make(Op::Const(value), vec![], shape, dtype, weak, span)
    }

    /// A node for a value a backend keeps on its device.
    pub fn device_value(
        &mut self,
        value: crate::runtime::DeviceValue,
        weak: bool,
        span: Span,
    ) -> Result<NodeRef> {
        let (shape, dtype) = (value.shape.clone(), value.dtype);
        Ok(self.leaf(Op::Device(value), shape, dtype, weak, span))
    }

    /// A constant node for a value just computed (a replayed loop iteration's result): never
    /// merged with an equal constant, so binding it costs no hashing of its elements.
    pub fn computed(&mut self, value: Rc<Array>, weak: bool, span: Span) -> NodeRef {
        let (shape, dtype) = (value.shape().to_vec(), value.dtype());
        self.leaf(Op::Const(value), shape, dtype, weak, span)
    }

    /// Makes `node`, a computed constant nothing else holds (see [`Graph::computed`]), the
    /// node of `value`, of the same shape and dtype: a fresh id (no plan or cache takes it
    /// for the old value), its allocation and shape kept (a replayed loop rebinds its
    /// results every iteration). Returns the old value; `None`, changing nothing, when the
    /// node is held elsewhere or is not such a constant.
    pub fn refill(
        &mut self,
        node: &mut NodeRef,
        value: Rc<Array>,
        weak: bool,
        span: Span,
    ) -> Option<Rc<Array>> {
        let n = Rc::get_mut(node)?;
        let Op::Const(old) = &mut n.op else {
            return None;
        };
        if !n.inputs.is_empty()
            || n.reads_param
            || n.dtype != value.dtype()
            || !crate::runtime::same_shape(&n.shape, value.shape())
        {
            return None;
        }
        self.next_id += 1;
        n.id = self.next_id;
        n.weak = weak;
        n.span = span;
        *n.value.get_mut() = None;
        Some(std::mem::replace(old, value))
    }

    /// A leaf node outside hash-consing.
    fn leaf(&mut self, op: Op, shape: Vec<usize>, dtype: DType, weak: bool, span: Span) -> NodeRef {
        self.next_id += 1;
        Rc::new(Node {
            id: self.next_id,
            op,
            inputs: vec![],
            shape,
            dtype,
            weak,
            depth: 0,
            span,
            reads_param: false,
            value: RefCell::new(None),
        })
    }

    /// Parameter `index` of a loop program being recorded, standing for values of this
    /// shape, dtype and weakness (see `lower::replay`).
    pub fn param(
        &mut self,
        index: usize,
        shape: Vec<usize>,
        dtype: DType,
        weak: bool,
        span: Span,
    ) -> Result<NodeRef> {
        self.make(Op::Param(index), vec![], shape, dtype, weak, span)
    }

    /// How many nodes have been created so far (a recording stops when it builds too many).
    pub fn nodes_created(&self) -> u64 {
        self.next_id
    }

    /// Fails when an array of `shape` and `dtype` would not fit the memory limit beside
    /// what the process holds already ([`crate::runtime::held_bytes`]: live arrays, pools
    /// and caches, when arr's allocator is installed). For buffers a builtin fills on the
    /// host (`repeat`'s positions), before allocating them.
    pub fn check_size(&self, shape: &[usize], dtype: DType, span: Span) -> Result<()> {
        let bytes = self.fits(shape, dtype, span)?;
        crate::runtime::check_alloc(bytes).map_err(|e| e.with_span(span))
    }

    /// The bytes of an array of `shape` and `dtype`, or an error when that alone is over
    /// the memory limit. Every node is checked so; what the process holds is checked when
    /// a backend allocates (a lazy node, a view, may never be a buffer of its own).
    fn fits(&self, shape: &[usize], dtype: DType, span: Span) -> Result<u64> {
        let bytes = shape.iter().try_fold(dtype.size_bytes() as u64, |acc, &d| {
            acc.checked_mul(d as u64)
        });
        // In a job that spreads arrays, a process holds a share of a large one.
        let held = bytes.map(|b| crate::runtime::reserve::share_bytes(shape, b));
        let machine = crate::runtime::reserve::machine_bytes();
        match held {
            Some(b) if b > machine && b <= self.memory_limit => Err(resource_error(format!(
                "an array of shape {} and dtype {dtype} needs {b} bytes, more than this \
                 machine's memory and swap ({machine} bytes)",
                fmt_shape(shape),
            ))
            .with_span(span)
            .with_help("work on smaller pieces, or spread it between MPI ranks on several machines")),
            Some(b) if b <= self.memory_limit => Ok(b),
            _ => Err(resource_error(format!(
                "an array of shape {} and dtype {dtype} needs {} bytes, over the memory limit of {} bytes",
                fmt_shape(shape),
                bytes.map_or("more than 2^64".to_string(), |b| b.to_string()),
                self.memory_limit
            ))
            .with_span(span)
            .with_help("raise the limit with --max-memory, or work on smaller pieces")),
        }
    }

    /// Creates (or finds the existing equal) node. Every constructor ends here.
    pub(crate) fn make(
        &mut self,
        op: Op,
        inputs: Vec<NodeRef>,
        shape: Vec<usize>,
        dtype: DType,
        weak: bool,
        span: Span,
    ) -> Result<NodeRef> {
        self.fits(&shape, dtype, span)?;
        // Computed inputs become constants, so new graphs never hold old chains alive.
        let mut inputs = inputs;
        for n in inputs.iter_mut() {
            if let (false, Some(v)) = (matches!(n.op, Op::Const(_)), n.value()) {
                *n = self.make(
                    Op::Const(v),
                    vec![],
                    n.shape.clone(),
                    n.dtype,
                    n.weak,
                    n.span,
                )?;
            }
        }
        // A tiny node over constants is about to be folded (the evaluator computes small
        // values as it traces): not worth a hash-consing entry that dies with it.
        let tiny_over_constants = !inputs.is_empty()
            && shape.iter().product::<usize>() <= TINY
            && inputs.iter().all(|n| matches!(n.op, Op::Const(_)));
        let ids: smallvec::SmallVec<[u64; 4]> = inputs.iter().map(|n| n.id).collect();
        let key = if tiny_over_constants {
            None
        } else {
            cons::ConsKey::new(&op, &shape, dtype, weak, &ids)
        };
        if let Some(key) = &key
            && let Some(existing) = self.cons.get(key).and_then(Weak::upgrade)
        {
            return Ok(existing);
        }
        let depth = inputs.iter().map(|n| n.depth + 1).max().unwrap_or(0);
        let reads_param = matches!(op, Op::Param(_)) || inputs.iter().any(|n| n.reads_param);
        self.next_id += 1;
        let node = Rc::new(Node {
            id: self.next_id,
            op,
            inputs,
            shape,
            dtype,
            weak,
            depth,
            span,
            reads_param,
            value: RefCell::new(None),
        });
        if let Some(key) = key {
            self.cons.insert(key, Rc::downgrade(&node));
            if self.cons.len() >= self.prune_at {
                self.cons.retain(|_, w| w.strong_count() > 0);
                self.prune_at = (self.cons.len() * 2).max(1024);
            }
        }
        Ok(node)
    }
}

/// Elements of a node over constants small enough to skip hash-consing (see `Graph::make`).
const TINY: usize = 16;

/// Formats a shape as NumPy does: `(3,)`, `(2, 3)`, `()`.
pub fn fmt_shape(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub(crate) use build::index_spec;

/// A readable listing of the graph that computes `root` (what `explain` prints until the
/// fused kernel plan exists): one line per node, inputs first.
pub fn explain(root: &NodeRef, backend: &str) -> String {
    let mut order: Vec<&Node> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    fn visit<'a>(
        n: &'a Node,
        order: &mut Vec<&'a Node>,
        seen: &mut std::collections::HashSet<u64>,
    ) {
        if !seen.insert(n.id) {
            return;
        }
        if n.value().is_none() {
            for i in &n.inputs {
                visit(i, order, seen);
            }
        }
        order.push(n);
    }
    visit(root, &mut order, &mut seen);
    let names: HashMap<u64, usize> = order.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let mut out = format!("graph ({} nodes, backend {backend}):\n", order.len());
    for (i, n) in order.iter().enumerate() {
        let label = if n.value().is_some() && !matches!(n.op, Op::Const(_)) {
            "computed".to_string()
        } else {
            n.op.label()
        };
        let args: Vec<String> = if n.value().is_some() {
            vec![]
        } else {
            n.inputs
                .iter()
                .map(|x| format!("%{}", names[&x.id]))
                .collect()
        };
        out.push_str(&format!(
            "  %{i} = {label}{}{} : {}{}\n",
            if args.is_empty() { "" } else { " " },
            args.join(" "),
            n.dtype,
            fmt_shape(&n.shape)
        ));
    }
    out
}
