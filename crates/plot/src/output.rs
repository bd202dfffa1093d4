//! Choosing PNG or SVG from the file name and writing the file atomically.

use crate::PlotError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The two output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Png,
    Svg,
}

/// The format named by `path`'s extension (case-insensitive).
pub(crate) fn format_of(path: &Path) -> Result<Format, PlotError> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("png") => Ok(Format::Png),
        Some("svg") => Ok(Format::Svg),
        _ => Err(PlotError::UnsupportedExtension {
            path: path.to_path_buf(),
        }),
    }
}

/// Something that can draw itself onto any plotters drawing area.
pub(crate) trait Figure {
    /// Draws the figure on `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary path in the same directory as `path`, keeping its extension.
fn temp_path(path: &Path, ext: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let stem = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plot".into());
    let name = format!(".{stem}.{}.{n}.tmp.{ext}", std::process::id());
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(name),
        _ => PathBuf::from(name),
    }
}

fn io_err(path: &Path, source: std::io::Error) -> PlotError {
    PlotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file `path` designates after following every symbolic link in its last component (a
/// link to a link, relative or absolute targets); `path` itself if it is not a link or does
/// not exist. More than 40 links in a row is an error, as the OS's `ELOOP`.
fn resolve_symlinks(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other(format!(
        "too many levels of symbolic links at {}",
        path.display()
    )))
}

/// Moves the finished temporary file `tmp` onto `target`, keeping an existing file's
/// permissions; removes `tmp` on failure.
fn replace(tmp: &Path, target: &Path, path: &Path) -> Result<(), PlotError> {
    let permissions = std::fs::metadata(target).ok().map(|m| m.permissions());
    let done = permissions
        .map_or(Ok(()), |p| std::fs::set_permissions(tmp, p))
        .and_then(|()| std::fs::rename(tmp, target));
    done.map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        io_err(path, e)
    })
}

/// Renders `fig` to `path` (`.png` or `.svg`, `size` pixels) through a temporary file and a
/// rename. When `path` is a symbolic link, the file it points to is replaced (the temporary
/// file is written beside the link's final target) and the link stays a link, as writing
/// through it would; an existing file keeps its permissions.
pub(crate) fn render(path: &Path, size: (u32, u32), fig: &impl Figure) -> Result<(), PlotError> {
    let format = format_of(path)?;
    let target = resolve_symlinks(path).map_err(|e| io_err(path, e))?;
    crate::font::ensure_fonts();
    match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                root.fill(&WHITE)
                    .map_err(|e| PlotError::Draw(e.to_string()))?;
                fig.draw(&root).map_err(PlotError::Draw)?;
                root.present().map_err(|e| PlotError::Draw(e.to_string()))?;
            }
            let tmp = temp_path(&target, "svg");
            std::fs::write(&tmp, svg.as_bytes()).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                io_err(&tmp, e)
            })?;
            replace(&tmp, &target, path)
        }
        Format::Png => {
            let tmp = temp_path(&target, "png");
            let drawn = (|| {
                let root = BitMapBackend::new(&tmp, size).into_drawing_area();
                root.fill(&WHITE).map_err(|e| e.to_string())?;
                fig.draw(&root)?;
                root.present().map_err(|e| e.to_string())
            })();
            if let Err(e) = drawn {
                let _ = std::fs::remove_file(&tmp);
                // The bitmap backend reports a failed save as a drawing error; report it as I/O
                // when the directory is the problem.
                if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                    if !dir.is_dir() {
                        return Err(io_err(
                            path,
                            std::io::Error::new(
                                std::io::ErrorKind::NotFound,
                                "directory does not exist",
                            ),
                        ));
                    }
                }
                return Err(PlotError::Draw(e));
            }
            replace(&tmp, &target, path)
        }
    }
}
