//! [`Array`]: a materialised n-dimensional array of any dtype, the value every backend
//! produces and the unit of ndarray interop.

use crate::dtype::DType;
use ndarray::{ArrayD, IxDyn};
use num_complex::Complex64;

/// A materialised array: one ndarray per dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum Array {
    /// `bool` elements.
    Bool(ArrayD<bool>),
    /// `i64` elements.
    I64(ArrayD<i64>),
    /// `f32` elements.
    F32(ArrayD<f32>),
    /// `f64` elements.
    F64(ArrayD<f64>),
    /// `c128` elements.
    C128(ArrayD<Complex64>),
}

/// Runs `$body` with `$a` bound to the inner ndarray of `$arr`, whatever its dtype, and
/// wraps nothing: the body's type must be the same for every dtype.
#[macro_export]
macro_rules! with_array {
    ($arr:expr, $a:ident => $body:expr) => {
        match $arr {
            $crate::runtime::Array::Bool($a) => $body,
            $crate::runtime::Array::I64($a) => $body,
            $crate::runtime::Array::F32($a) => $body,
            $crate::runtime::Array::F64($a) => $body,
            $crate::runtime::Array::C128($a) => $body,
        }
    };
}

/// Like [`with_array!`] but re-wraps the body's ndarray in the same variant.
#[macro_export]
macro_rules! map_array {
    ($arr:expr, $a:ident => $body:expr) => {
        match $arr {
            $crate::runtime::Array::Bool($a) => $crate::runtime::Array::Bool($body),
            $crate::runtime::Array::I64($a) => $crate::runtime::Array::I64($body),
            $crate::runtime::Array::F32($a) => $crate::runtime::Array::F32($body),
            $crate::runtime::Array::F64($a) => $crate::runtime::Array::F64($body),
            $crate::runtime::Array::C128($a) => $crate::runtime::Array::C128($body),
        }
    };
}

/// A single element of any dtype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    /// bool
    Bool(bool),
    /// i64
    I64(i64),
    /// f32
    F32(f32),
    /// f64
    F64(f64),
    /// c128
    C128(Complex64),
}

impl Scalar {
    /// Whether two scalars are the same value of the same dtype, bit for bit (`0.0` and
    /// `-0.0` differ, a NaN equals the same NaN).
    pub fn same_bits(self, other: Scalar) -> bool {
        match (self, other) {
            (Scalar::Bool(x), Scalar::Bool(y)) => x == y,
            (Scalar::I64(x), Scalar::I64(y)) => x == y,
            (Scalar::F32(x), Scalar::F32(y)) => x.to_bits() == y.to_bits(),
            (Scalar::F64(x), Scalar::F64(y)) => x.to_bits() == y.to_bits(),
            (Scalar::C128(x), Scalar::C128(y)) => {
                x.re.to_bits() == y.re.to_bits() && x.im.to_bits() == y.im.to_bits()
            }
            _ => false,
        }
    }

    /// The scalar's dtype.
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::I64(_) => DType::I64,
            Scalar::F32(_) => DType::F32,
            Scalar::F64(_) => DType::F64,
            Scalar::C128(_) => DType::C128,
        }
    }

    /// The value as f64 (real part for complex, 0/1 for bool).
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as i64 as f64,
            Scalar::I64(v) => v as f64,
            Scalar::F32(v) => v as f64,
            Scalar::F64(v) => v,
            Scalar::C128(v) => v.re,
        }
    }

    /// The value as a complex number.
    pub fn as_c128(self) -> Complex64 {
        match self {
            Scalar::C128(v) => v,
            other => Complex64::new(other.as_f64(), 0.0),
        }
    }

    /// The value cast to `dtype` with NumPy's cast rules (floats truncate toward zero).
    pub fn cast(self, dtype: DType) -> Scalar {
        match dtype {
            DType::Bool => Scalar::Bool(match self {
                Scalar::Bool(b) => b,
                Scalar::I64(v) => v != 0,
                Scalar::F32(v) => v != 0.0,
                Scalar::F64(v) => v != 0.0,
                Scalar::C128(v) => v.re != 0.0 || v.im != 0.0,
            }),
            DType::I64 => Scalar::I64(match self {
                Scalar::Bool(b) => b as i64,
                Scalar::I64(v) => v,
                Scalar::F32(v) => float_to_i64(v as f64),
                Scalar::F64(v) => float_to_i64(v),
                Scalar::C128(v) => float_to_i64(v.re),
            }),
            DType::F32 => Scalar::F32(self.as_f64_exact_f32()),
            DType::F64 => Scalar::F64(self.as_f64()),
            DType::C128 => Scalar::C128(self.as_c128()),
        }
    }

    fn as_f64_exact_f32(self) -> f32 {
        match self {
            Scalar::F32(v) => v,
            Scalar::I64(v) => v as f32,
            other => other.as_f64() as f32,
        }
    }
}

/// NumPy's float → int cast: truncates toward zero; NaN and out-of-range give i64::MIN as
/// NumPy does on x86.
pub fn float_to_i64(v: f64) -> i64 {
    if v.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&v) {
        i64::MIN
    } else {
        v as i64
    }
}

impl Array {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            Array::Bool(_) => DType::Bool,
            Array::I64(_) => DType::I64,
            Array::F32(_) => DType::F32,
            Array::F64(_) => DType::F64,
            Array::C128(_) => DType::C128,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        with_array!(self, a => a.shape())
    }

    /// Element strides of the underlying storage (may be negative or zero).
    pub fn strides(&self) -> Vec<i64> {
        with_array!(self, a => a.strides().iter().map(|&s| s as i64).collect())
    }

    /// Address of the element at coordinate zero, for compiled kernels that read the
    /// array through [`Array::strides`].
    pub fn as_byte_ptr(&self) -> *const u8 {
        with_array!(self, a => a.as_ptr() as *const u8)
    }

    /// Whether the elements are stored row-major and contiguous.
    pub fn is_standard_layout(&self) -> bool {
        with_array!(self, a => a.is_standard_layout())
    }

    /// The same array in row-major contiguous storage (a no-op when it already is).
    pub fn into_standard_layout(self) -> Array {
        crate::map_array!(self, a => if a.is_standard_layout() {
            a
        } else {
            a.as_standard_layout().into_owned()
        })
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        with_array!(self, a => a.len())
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A 0-d array holding `s`.
    pub fn scalar(s: Scalar) -> Array {
        Array::full(&[], s)
    }

    /// An array of `shape` filled with `s`.
    pub fn full(shape: &[usize], s: Scalar) -> Array {
        let dim = IxDyn(shape);
        match s {
            Scalar::Bool(v) => Array::Bool(ArrayD::from_elem(dim, v)),
            Scalar::I64(v) => Array::I64(ArrayD::from_elem(dim, v)),
            Scalar::F32(v) => Array::F32(ArrayD::from_elem(dim, v)),
            Scalar::F64(v) => Array::F64(ArrayD::from_elem(dim, v)),
            Scalar::C128(v) => Array::C128(ArrayD::from_elem(dim, v)),
        }
    }

    /// The element at flat (row-major) position `i`.
    pub fn get_flat(&self, i: usize) -> Option<Scalar> {
        Some(match self {
            Array::Bool(a) => Scalar::Bool(*a.iter().nth(i)?),
            Array::I64(a) => Scalar::I64(*a.iter().nth(i)?),
            Array::F32(a) => Scalar::F32(*a.iter().nth(i)?),
            Array::F64(a) => Scalar::F64(*a.iter().nth(i)?),
            Array::C128(a) => Scalar::C128(*a.iter().nth(i)?),
        })
    }

    /// The only element of a size-1 array.
    pub fn as_scalar(&self) -> Option<Scalar> {
        if self.len() == 1 {
            self.get_flat(0)
        } else {
            None
        }
    }

    /// All elements as f64 in row-major order (real parts for complex).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self.cast(DType::F64) {
            Array::F64(a) => a.iter().copied().collect(),
            _ => Vec::new(),
        }
    }

    /// All elements as i64 in row-major order (cast as `i64(x)` does).
    pub fn to_i64_vec(&self) -> Vec<i64> {
        match self.cast(DType::I64) {
            Array::I64(a) => a.iter().copied().collect(),
            _ => Vec::new(),
        }
    }

    /// The array in `dtype`: itself when it already has that dtype (no copy), else a cast.
    pub fn in_dtype(&self, dtype: DType) -> std::borrow::Cow<'_, Array> {
        if self.dtype() == dtype {
            std::borrow::Cow::Borrowed(self)
        } else {
            std::borrow::Cow::Owned(self.cast(dtype))
        }
    }

    /// The array cast to `dtype` (a copy even when it already has that dtype).
    pub fn cast(&self, dtype: DType) -> Array {
        if self.dtype() == dtype {
            return self.clone();
        }
        macro_rules! conv {
            ($a:expr, $variant:ident, $f:expr) => {
                Array::$variant($a.mapv($f))
            };
        }
        match (self, dtype) {
            (Array::Bool(a), DType::I64) => conv!(a, I64, |v| v as i64),
            (Array::Bool(a), DType::F32) => conv!(a, F32, |v| v as u8 as f32),
            (Array::Bool(a), DType::F64) => conv!(a, F64, |v| v as u8 as f64),
            (Array::I64(a), DType::Bool) => conv!(a, Bool, |v| v != 0),
            (Array::I64(a), DType::F32) => conv!(a, F32, |v| v as f32),
            (Array::I64(a), DType::F64) => conv!(a, F64, |v| v as f64),
            (Array::F32(a), DType::Bool) => conv!(a, Bool, |v| v != 0.0),
            (Array::F32(a), DType::I64) => conv!(a, I64, |v| float_to_i64(v as f64)),
            (Array::F32(a), DType::F64) => conv!(a, F64, |v| v as f64),
            (Array::F64(a), DType::Bool) => conv!(a, Bool, |v| v != 0.0),
            (Array::F64(a), DType::I64) => conv!(a, I64, float_to_i64),
            (Array::F64(a), DType::F32) => conv!(a, F32, |v| v as f32),
            (Array::C128(a), DType::Bool) => conv!(a, Bool, |v| v.re != 0.0 || v.im != 0.0),
            (Array::C128(a), DType::I64) => conv!(a, I64, |v| float_to_i64(v.re)),
            (Array::C128(a), DType::F32) => conv!(a, F32, |v| v.re as f32),
            (Array::C128(a), DType::F64) => conv!(a, F64, |v| v.re),
            (other, DType::C128) => match other.cast(DType::F64) {
                Array::F64(a) => conv!(a, C128, |v| Complex64::new(v, 0.0)),
                _ => unreachable!("cast to f64 yields f64"),
            },
            (other, _) => other.clone(),
        }
    }

    /// The array reshaped (row-major) to `shape`; the sizes must agree.
    pub fn reshape(&self, shape: &[usize]) -> Array {
        map_array!(self, a => {
            let flat: Vec<_> = match a.as_slice() {
                Some(data) => data.to_vec(),
                None => a.iter().cloned().collect(),
            };
            ArrayD::from_shape_vec(IxDyn(shape), flat).expect("reshape sizes checked by the graph")
        })
    }
}

macro_rules! from_ndarray {
    ($t:ty, $variant:ident) => {
        impl From<ArrayD<$t>> for Array {
            fn from(a: ArrayD<$t>) -> Array {
                Array::$variant(a)
            }
        }
        impl TryFrom<Array> for ArrayD<$t> {
            type Error = crate::diag::Error;
            fn try_from(a: Array) -> Result<ArrayD<$t>, Self::Error> {
                match a {
                    Array::$variant(x) => Ok(x),
                    other => Err(crate::diag::type_error(format!(
                        "expected a {} array, found {}",
                        DType::$variant,
                        other.dtype()
                    ))),
                }
            }
        }
    };
}
from_ndarray!(bool, Bool);
from_ndarray!(i64, I64);
from_ndarray!(f32, F32);
from_ndarray!(f64, F64);
from_ndarray!(Complex64, C128);
