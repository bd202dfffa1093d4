//! Every chart function writes a real PNG and SVG; bad paths and data give typed errors.

use std::path::PathBuf;
use tapegrad_plot::*;

fn out(name: &str) -> PathBuf {
    // One directory per file name, so parallel tests never see each other's temporary files.
    let dir =
        std::env::temp_dir().join(format!("tapegrad_plot_tests_{}_{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn assert_png(path: &PathBuf) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{path:?} is not a PNG");
    assert!(
        bytes.len() > 5_000,
        "{path:?} is only {} bytes",
        bytes.len()
    );
}

fn assert_svg(path: &PathBuf, title: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("<svg"), "{path:?} has no <svg");
    assert!(text.contains(title), "{path:?} lacks the title {title:?}");
}

fn no_temp_files_left(path: &std::path::Path) {
    let dir = path.parent().unwrap();
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp."), "temporary file {name} left behind");
    }
}

fn curves() -> Vec<Series> {
    vec![
        Series::from_ys(
            "slow",
            &(0..50).map(|i| 10.0 * 0.98f64.powi(i)).collect::<Vec<_>>(),
        ),
        Series::from_ys(
            "fast",
            &(0..50).map(|i| 10.0 * 0.8f64.powi(i)).collect::<Vec<_>>(),
        ),
    ]
}

#[test]
fn line_chart_png_and_svg() {
    let png = out("line.png");
    line_chart(&png, "Loss curves", "epoch", "loss", &curves()).unwrap();
    assert_png(&png);
    let svg = out("line.svg");
    line_chart(&svg, "Loss curves", "epoch", "loss", &curves()).unwrap();
    assert_svg(&svg, "Loss curves");
    assert!(
        std::fs::read_to_string(&svg).unwrap().contains("fast"),
        "legend missing"
    );
    no_temp_files_left(&svg);
}

#[test]
fn line_chart_log_y_skips_non_positive_and_infinite() {
    let mut s = curves();
    s[0].points.push((50.0, 0.0));
    s[1].points.push((51.0, f64::INFINITY));
    let png = out("line_log.png");
    line_chart_with(
        &png,
        "Log loss",
        "update",
        "loss",
        &s,
        &ChartOptions::new().log_y(true),
    )
    .unwrap();
    assert_png(&png);
    let svg = out("line_log.svg");
    line_chart_with(
        &svg,
        "Log loss",
        "update",
        "loss",
        &s,
        &ChartOptions::new().log_y(true),
    )
    .unwrap();
    assert_svg(&svg, "Log loss");
}

#[test]
fn points_and_lines_png_and_svg() {
    let raw = Series::new(
        "raw",
        (0..30).map(|i| (i as f64, ((i * 7) % 11) as f64)).collect(),
    );
    let smooth = Series::new("EMA", (0..30).map(|i| (i as f64, 5.0)).collect());
    let png = out("ema.png");
    points_and_lines(
        &png,
        "EMA figure",
        "t",
        "y",
        std::slice::from_ref(&raw),
        std::slice::from_ref(&smooth),
    )
    .unwrap();
    assert_png(&png);
    let svg = out("ema.svg");
    points_and_lines(&svg, "EMA figure", "t", "y", &[raw], &[smooth]).unwrap();
    assert_svg(&svg, "EMA figure");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<circle"));
}

#[test]
fn contour_png_and_svg() {
    let f = |x: f64, y: f64| x * x + 10.0 * y * y;
    let path = Series::new(
        "GD",
        vec![(2.0, 1.0), (1.6, -0.8), (1.28, 0.64), (0.0, 0.0)],
    );
    let png = out("contour.png");
    contour_with_paths(
        &png,
        "Elongated bowl",
        f,
        (-2.5, 2.5),
        (-1.5, 1.5),
        std::slice::from_ref(&path),
    )
    .unwrap();
    assert_png(&png);
    let svg = out("contour.svg");
    let opts = ContourOptions::new().labels("w", "b").levels(8);
    contour_with_paths_with(
        &svg,
        "Elongated bowl",
        f,
        (-2.5, 2.5),
        (-1.5, 1.5),
        &[path],
        &opts,
    )
    .unwrap();
    assert_svg(&svg, "Elongated bowl");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("<polyline") || text.contains("<path"),
        "no contour lines"
    );
}

#[test]
fn bad_extension_is_an_error_and_writes_nothing() {
    for name in ["chart.jpg", "chart"] {
        let p = out(name);
        let e = line_chart(&p, "t", "x", "y", &curves()).unwrap_err();
        assert!(matches!(e, PlotError::UnsupportedExtension { .. }), "{e}");
        let e = points_and_lines(&p, "t", "x", "y", &curves(), &[]).unwrap_err();
        assert!(matches!(e, PlotError::UnsupportedExtension { .. }), "{e}");
        let e = contour_with_paths(&p, "t", |x, y| x + y, (0.0, 1.0), (0.0, 1.0), &[]).unwrap_err();
        assert!(matches!(e, PlotError::UnsupportedExtension { .. }), "{e}");
        assert!(!p.exists());
    }
}

#[test]
fn missing_directory_is_an_io_error() {
    let p = out("missing").join("no_such_dir").join("x.svg");
    let e = line_chart(&p, "t", "x", "y", &curves()).unwrap_err();
    assert!(matches!(e, PlotError::Io { .. }), "{e}");
    let p = out("missing").join("no_such_dir").join("x.png");
    let e = line_chart(&p, "t", "x", "y", &curves()).unwrap_err();
    assert!(matches!(e, PlotError::Io { .. }), "{e}");
}

#[test]
fn no_drawable_points_is_invalid_data() {
    let s = [Series::new("nan", vec![(0.0, f64::NAN)])];
    let e = line_chart(&out("nan.png"), "t", "x", "y", &s).unwrap_err();
    assert!(matches!(e, PlotError::InvalidData { .. }), "{e}");
    let s = [Series::new("neg", vec![(0.0, -1.0), (1.0, 0.0)])];
    let e = line_chart_with(
        &out("neg.png"),
        "t",
        "x",
        "y",
        &s,
        &ChartOptions::new().log_y(true),
    )
    .unwrap_err();
    assert!(matches!(e, PlotError::InvalidData { .. }), "{e}");
    let e = contour_with_paths(
        &out("c.png"),
        "t",
        |_, _| f64::NAN,
        (0.0, 1.0),
        (0.0, 1.0),
        &[],
    )
    .unwrap_err();
    assert!(matches!(e, PlotError::InvalidData { .. }), "{e}");
    let e =
        contour_with_paths(&out("c.png"), "t", |x, _| x, (1.0, 1.0), (0.0, 1.0), &[]).unwrap_err();
    assert!(matches!(e, PlotError::InvalidData { .. }), "{e}");
}

#[test]
fn overwrites_an_existing_file() {
    let p = out("overwrite.svg");
    std::fs::write(&p, "old").unwrap();
    line_chart(&p, "New chart", "x", "y", &curves()).unwrap();
    assert_svg(&p, "New chart");
}

#[cfg(unix)]
#[test]
fn writes_through_a_symlink_to_its_target_atomically() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let real = out("real.svg");
    let dir = real.parent().unwrap().to_path_buf();
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    // a relative link, and a link to that link
    let link = dir.join("link.svg");
    let link2 = dir.join("link2.svg");
    let _ = std::fs::remove_file(&link);
    let _ = std::fs::remove_file(&link2);
    symlink("real.svg", &link).unwrap();
    symlink(&link, &link2).unwrap();
    line_chart(&link2, "Through the links", "x", "y", &curves()).unwrap();
    // both links are still links, and the file they point to has the chart
    for l in [&link, &link2] {
        assert!(
            std::fs::symlink_metadata(l)
                .unwrap()
                .file_type()
                .is_symlink(),
            "{l:?}"
        );
    }
    assert_svg(&real, "Through the links");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the target's permissions changed");
    no_temp_files_left(&real);
    // a dangling link gets its target created, as open(path, "w") would (PNG this time)
    let png_link = dir.join("dangling.png");
    let png_real = dir.join("created.png");
    let _ = std::fs::remove_file(&png_link);
    let _ = std::fs::remove_file(&png_real);
    symlink("created.png", &png_link).unwrap();
    line_chart(&png_link, "Dangling", "x", "y", &curves()).unwrap();
    assert!(std::fs::symlink_metadata(&png_link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_png(&png_real);
    no_temp_files_left(&png_real);
    // a loop of links is an I/O error naming the path, and writes nothing
    let (a, b) = (dir.join("loop_a.svg"), dir.join("loop_b.svg"));
    let _ = std::fs::remove_file(&a);
    let _ = std::fs::remove_file(&b);
    symlink("loop_b.svg", &a).unwrap();
    symlink("loop_a.svg", &b).unwrap();
    let e = line_chart(&a, "t", "x", "y", &curves()).unwrap_err();
    assert!(matches!(e, PlotError::Io { .. }), "{e}");
    assert!(e.to_string().contains("symbolic links"), "{e}");
}
