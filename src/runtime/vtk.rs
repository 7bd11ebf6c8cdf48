//! VTK image data (`.vti`, VTK's XML format), which ParaView and VisIt open: named arrays
//! of one shape become point-data fields of a uniform grid, written as raw little-endian
//! bytes after the XML (one pass, no base64 or text formatting).
//!
//! An array of shape `(nz, ny, nx)` is a grid of `nx × ny × nz` points: VTK's `x` varies
//! fastest, as the last axis does in row-major order, so `u[j, i]` is the point `(i, j)`.
//! 1-D arrays are a line of points, 2-D a plane. Spacing is 1 and the origin 0.
//!
//! A time series is a `.pvd` collection ([`Series`]) listing one `.vti` file per step with
//! its time; ParaView plays it as an animation.

use super::Array;
use crate::diag::{Result, value_error};
use std::io::Write;

/// Fields of one grid, checked and ready to write.
pub(super) struct Grid<'a> {
    /// Points along x, y, z.
    extent: [usize; 3],
    fields: &'a [(&'a str, &'a Array)],
}

impl<'a> Grid<'a> {
    /// Checks that the fields are real arrays of one shape, with 1 to 3 axes.
    pub(super) fn new(fields: &'a [(&'a str, &'a Array)]) -> Result<Grid<'a>> {
        let Some((_, first)) = fields.first() else {
            return Err(value_error("a .vti file needs at least one array"));
        };
        let shape = first.shape();
        if shape.is_empty() || shape.len() > 3 {
            return Err(value_error(format!(
                "a .vti grid has 1 to 3 axes; this array has {}",
                shape.len()
            )));
        }
        for (name, a) in fields {
            if a.shape() != shape {
                return Err(value_error(format!(
                    "the fields of a .vti file share one grid: `{name}` has shape {}, `{}` {}",
                    crate::graph::fmt_shape(a.shape()),
                    fields[0].0,
                    crate::graph::fmt_shape(shape)
                )));
            }
            if matches!(a, Array::C128(_)) {
                return Err(value_error(format!(
                    "`{name}` is complex: save its parts, e.g. {name}_re=real({name}), \
                     {name}_im=imag({name})"
                )));
            }
        }
        let mut extent = [1; 3];
        for (axis, &n) in shape.iter().rev().enumerate() {
            extent[axis] = n;
        }
        Ok(Grid { extent, fields })
    }

    /// Writes the grid: the XML header naming each field and its offset into the appended
    /// data, then each field as a u64 byte count and its elements.
    pub(super) fn write(&self, mut out: impl Write) -> std::result::Result<(), String> {
        let e = |n: usize| n - 1;
        let [nx, ny, nz] = self.extent;
        let extent = format!("0 {} 0 {} 0 {}", e(nx), e(ny), e(nz));
        let mut xml = String::new();
        xml.push_str("<?xml version=\"1.0\"?>\n");
        xml.push_str(
            "<VTKFile type=\"ImageData\" version=\"1.0\" byte_order=\"LittleEndian\" \
             header_type=\"UInt64\">\n",
        );
        xml.push_str(&format!(
            "  <ImageData WholeExtent=\"{extent}\" Origin=\"0 0 0\" Spacing=\"1 1 1\">\n"
        ));
        xml.push_str(&format!("    <Piece Extent=\"{extent}\">\n"));
        xml.push_str(&format!(
            "      <PointData Scalars=\"{}\">\n",
            escape(self.fields[0].0)
        ));
        let mut offset = 0;
        for (name, a) in self.fields {
            xml.push_str(&format!(
                "        <DataArray type=\"{}\" Name=\"{}\" format=\"appended\" offset=\"{offset}\"/>\n",
                vtk_type(a),
                escape(name)
            ));
            offset += 8 + a.len() * element_bytes(a);
        }
        xml.push_str("      </PointData>\n    </Piece>\n  </ImageData>\n");
        xml.push_str("  <AppendedData encoding=\"raw\">\n   _");
        let io = |e: std::io::Error| e.to_string();
        out.write_all(xml.as_bytes()).map_err(io)?;
        for (_, a) in self.fields {
            let bytes = (a.len() * element_bytes(a)) as u64;
            out.write_all(&bytes.to_le_bytes()).map_err(io)?;
            write_elements(&mut out, a).map_err(io)?;
        }
        out.write_all(b"\n  </AppendedData>\n</VTKFile>\n")
            .map_err(io)?;
        out.flush().map_err(io)
    }
}

/// VTK's name of an array's element type.
/// The steps of a `.pvd` collection: each one's time and file (beside the `.pvd`).
#[derive(Debug, Default, PartialEq)]
pub(super) struct Series {
    steps: Vec<(f64, String)>,
}

impl Series {
    /// Reads a collection as [`Series::to_xml`] writes it; `None` for anything else.
    pub(super) fn parse(text: &str) -> Option<Series> {
        if !text.contains("<VTKFile type=\"Collection\"") {
            return None;
        }
        let attribute = |line: &str, name: &str| -> Option<String> {
            let start = line.find(&format!(" {name}=\""))? + name.len() + 3;
            let len = line[start..].find('"')?;
            Some(line[start..start + len].to_string())
        };
        let mut steps = vec![];
        for line in text
            .lines()
            .filter(|l| l.trim_start().starts_with("<DataSet"))
        {
            let time = attribute(line, "timestep")?.parse().ok()?;
            let file = unescape(&attribute(line, "file")?);
            // Only a file name: a step never points elsewhere.
            if file.contains(['/', '\\']) || file.starts_with('.') {
                return None;
            }
            steps.push((time, file));
        }
        Some(Series { steps })
    }

    /// Adds a step at `time` after dropping the steps at `time` or later; returns its file
    /// name, `STEM_NNNNNN.vti` (NNNNNN its position).
    pub(super) fn add(&mut self, stem: &str, time: f64) -> String {
        self.steps.retain(|(t, _)| *t < time);
        let file = format!("{stem}_{:06}.vti", self.steps.len());
        self.steps.push((time, file.clone()));
        file
    }

    /// The collection's XML.
    pub(super) fn to_xml(&self) -> String {
        let mut out = String::from(
            "<?xml version=\"1.0\"?>\n<VTKFile type=\"Collection\" version=\"0.1\" \
             byte_order=\"LittleEndian\">\n  <Collection>\n",
        );
        for (time, file) in &self.steps {
            out.push_str(&format!(
                "    <DataSet timestep=\"{time:?}\" group=\"\" part=\"0\" file=\"{}\"/>\n",
                escape(file)
            ));
        }
        out.push_str("  </Collection>\n</VTKFile>\n");
        out
    }
}

fn vtk_type(a: &Array) -> &'static str {
    match a {
        Array::Bool(_) => "UInt8",
        Array::I64(_) => "Int64",
        Array::F32(_) => "Float32",
        Array::F64(_) | Array::C128(_) => "Float64",
    }
}

/// Bytes per element as written.
fn element_bytes(a: &Array) -> usize {
    match a {
        Array::Bool(_) => 1,
        Array::F32(_) => 4,
        _ => 8,
    }
}

/// Writes the elements in row-major order, little-endian.
fn write_elements(out: &mut impl Write, a: &Array) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    macro_rules! each {
        ($x:expr, $bytes:expr) => {{
            for v in $x.iter() {
                buf.extend_from_slice(&$bytes(*v));
                if buf.len() >= 1 << 16 {
                    out.write_all(&buf)?;
                    buf.clear();
                }
            }
        }};
    }
    match a {
        Array::Bool(x) => each!(x, |b: bool| [u8::from(b)]),
        Array::I64(x) => each!(x, i64::to_le_bytes),
        Array::F32(x) => each!(x, f32::to_le_bytes),
        Array::F64(x) => each!(x, f64::to_le_bytes),
        Array::C128(_) => unreachable!("refused by Grid::new"),
    }
    out.write_all(&buf)
}

/// A name as an XML attribute value.
/// The text [`escape`] wrote.
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn escape(name: &str) -> String {
    name.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_2d_field_is_a_plane_with_x_along_the_last_axis() {
        let u = Array::F64(
            ndarray::Array::from_shape_vec(ndarray::IxDyn(&[2, 3]), vec![0., 1., 2., 3., 4., 5.])
                .expect("shape"),
        );
        let m = Array::Bool(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[2, 3]), true));
        let fields = [("u", &u), ("wet", &m)];
        let mut out = Vec::new();
        Grid::new(&fields)
            .expect("one grid")
            .write(&mut out)
            .expect("written");
        let marker = b"\n   _";
        let at = (out.windows(marker.len()))
            .position(|w| w == marker)
            .expect("appended data")
            + marker.len();
        let text = String::from_utf8_lossy(&out[..at]);
        insta::assert_snapshot!(text);
        let data = &out[at..];
        assert_eq!(u64::from_le_bytes(data[..8].try_into().expect("8")), 48);
        assert_eq!(
            f64::from_le_bytes(data[8 + 8..16 + 8].try_into().expect("8")),
            1.0
        );
        assert_eq!(u64::from_le_bytes(data[56..64].try_into().expect("8")), 6);
        assert_eq!(&data[64..70], &[1; 6]);
        assert!(String::from_utf8_lossy(&data[70..]).contains("</VTKFile>"));
    }

    #[test]
    fn a_series_drops_steps_from_a_repeated_time_on() {
        let mut s = Series::default();
        assert_eq!(s.add("run", 0.0), "run_000000.vti");
        assert_eq!(s.add("run", 0.5), "run_000001.vti");
        assert_eq!(s.add("run", 1e-3 + 1.0), "run_000002.vti");
        let back = Series::parse(&s.to_xml()).expect("parse");
        assert_eq!(back, s);
        // Run again from an earlier time (a restart): the later steps go.
        s.add("run", 0.5);
        assert_eq!(
            s.steps,
            [
                (0.0, "run_000000.vti".to_string()),
                (0.5, "run_000001.vti".to_string())
            ]
        );
        let odd = Series {
            steps: vec![(2.0, "a&\"b_000000.vti".into())],
        };
        assert_eq!(Series::parse(&odd.to_xml()), Some(odd));
        assert_eq!(Series::parse("<VTKFile type=\"ImageData\">"), None);
        let escape = "<VTKFile type=\"Collection\">\n<DataSet timestep=\"0\" file=\"../x.vti\"/>";
        assert_eq!(Series::parse(escape), None);
    }

    #[test]
    fn fields_must_share_a_real_grid() {
        let a = Array::F64(ndarray::ArrayD::zeros(ndarray::IxDyn(&[2, 3])));
        let b = Array::F64(ndarray::ArrayD::zeros(ndarray::IxDyn(&[3, 2])));
        let err = Grid::new(&[("a", &a), ("b", &b)])
            .err()
            .expect("shapes differ");
        assert!(err.to_string().contains("share one grid"), "{err}");
        let c = Array::F64(ndarray::ArrayD::zeros(ndarray::IxDyn(&[2, 2, 2, 2])));
        assert!(Grid::new(&[("c", &c)]).is_err());
    }
}
