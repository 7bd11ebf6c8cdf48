//! Plots: SVG output snapshot-tested (the font is embedded, so the bytes are the same on
//! every machine), PNGs decoded and measured, the terminal preview snapshot-tested, the
//! REPL's preview, and the errors a user meets.

use std::path::PathBuf;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("arr-plots-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dir");
    d
}

/// Runs `code` in a fresh session and returns what it printed.
fn run(code: &str) -> String {
    let mut s = arr::Session::new().expect("session");
    s.run_str(code).expect("run");
    s.take_output()
}

fn svg_of(d: &std::path::Path, name: &str, call: &str) -> String {
    let path = d.join(format!("{name}.svg"));
    run(&format!(
        "let t = linspace(0, 2, 9)\nlet u = reshape(arange(20.0), 4, 5)\n{call}, file=\"{}\")",
        path.display()
    ));
    std::fs::read_to_string(&path).expect("svg written")
}

#[test]
fn svg_files_snapshot() {
    let d = dir("svg");
    let cases = [
        (
            "lines",
            "plot(t, t * t, 2 - t, labels=(\"square\", \"falling\"), title=\"two series\", \
             xlabel=\"t\", ylabel=\"value\"",
        ),
        (
            "scatter_log",
            "scatter(t + 1, exp(t), log=\"y\", width=400, height=300",
        ),
        (
            "histogram",
            "hist([1.0, 2, 2, 3, 3, 3, 4], bins=4, width=400, height=300",
        ),
        ("image", "imshow(u, title=\"field\", width=500, height=300"),
        (
            "contour",
            "contour(u * u, levels=(20.0, 100, 250), width=500, height=300",
        ),
    ];
    for (name, call) in cases {
        let svg = svg_of(&d, name, call);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        insta::assert_snapshot!(format!("svg_{name}"), svg);
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn png_files_decode_with_the_asked_size() {
    let d = dir("png");
    for (call, w, h) in [
        ("plot(t, sin(t)", 800, 500),
        ("imshow(u, width=320, height=240", 320, 240),
        (
            "hist(randn(1000), bins=20, width=1000, height=200",
            1000,
            200,
        ),
    ] {
        let path = d.join("p.png");
        run(&format!(
            "let t = linspace(0, 6, 50)\nlet u = reshape(arange(600.0), 20, 30)\n{call}, file=\"{}\")",
            path.display()
        ));
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(&path).expect("png written"),
        ));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut pixels = vec![0u8; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut pixels).expect("decodes");
        assert_eq!((info.width, info.height), (w, h), "{call}");
        // Not blank: a white background with something drawn on it.
        assert!(pixels.iter().any(|&p| p < 128), "{call}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn terminal_previews_snapshot() {
    let text = run("let t = linspace(0, 6.28, 100)\n\
         plot(t, sin(t), labels=\"sin\", title=\"a sine\", xlabel=\"t\")\n\
         hist([1.0, 2, 2, 3, 3, 3, 4, 4, 4, 4], bins=4)\n\
         imshow(reshape(arange(24.0), 4, 6))\n\
         let x = linspace(-2, 2, 30)\n\
         contour(exp(-(reshape(x, 1, 30) ** 2 + reshape(x, 30, 1) ** 2)), levels=2)\n");
    insta::assert_snapshot!("terminal_previews", text);
}

#[test]
fn the_repl_previews_a_plot() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_arr"))
        .arg("repl")
        .arg("--no-history")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"plot(arange(10.0) ** 2)\n")?;
            child.wait_with_output()
        })
        .expect("run the repl");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains('│') && text.contains("└"), "{text}");
    assert!(
        text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
        "{text}"
    );
}

#[test]
fn plot_errors_say_what_to_do() {
    let mut s = arr::Session::new().expect("session");
    let cases = [
        (
            "plot(complex(ones(3), ones(3)))",
            "cannot plot complex values",
        ),
        ("plot(arange(3), arange(4))", "does not fit 3 x values"),
        ("plot(arange(3), file=\"x.jpg\")", "ends in .svg or .png"),
        (
            "plot(arange(3), arange(3), arange(3), labels=(\"a\",))",
            "1 labels for 2 series",
        ),
        ("imshow(arange(3))", "2-D field"),
        ("hist(arange(3), bins=0)", "bins must be"),
        ("plot(arange(3), log=\"z\")", "log= is"),
        (
            "plot(-arange(3), log=\"y\")",
            "no finite point with positive values",
        ),
        ("plot()", "plot needs values"),
        ("contour(ones(3, 3))", "not all the same"),
        ("contour(ones(3, 3), levels=0)", "levels must be"),
    ];
    for (code, want) in cases {
        let err = s.run_str(code).expect_err(code);
        assert!(err.to_string().contains(want), "{code}: {err}");
        assert!(err.span.is_some(), "{code}: no span");
    }
}
