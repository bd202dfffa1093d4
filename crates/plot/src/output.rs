//! Choosing PNG or SVG from the file name, drawing in memory and writing the file atomically.

use crate::PlotError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use tapegrad_nn::safetensors_io::write_atomic;

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

/// Renders `fig` to `path` (`.png` or `.svg`, `size` pixels) in memory, then writes the file
/// with tapegrad-nn's [`write_atomic`] (a temporary file beside the target and a rename). When
/// `path` is a symbolic link, the file it points to is replaced and the link stays a link, as
/// writing through it would; an existing file keeps its permissions.
pub(crate) fn render(path: &Path, size: (u32, u32), fig: &impl Figure) -> Result<(), PlotError> {
    let format = format_of(path)?;
    crate::font::ensure_fonts();
    let bytes = match format {
        Format::Svg => {
            let mut svg = String::new();
            draw(
                SVGBackend::with_string(&mut svg, size).into_drawing_area(),
                fig,
            )?;
            svg.into_bytes()
        }
        Format::Png => {
            let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
            draw(
                BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area(),
                fig,
            )?;
            png_bytes(rgb, size)?
        }
    };
    write_atomic(path, &bytes).map_err(|source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Fills `root` white, draws `fig` on it and finishes the backend.
fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    fig: &impl Figure,
) -> Result<(), PlotError> {
    root.fill(&WHITE)
        .map_err(|e| PlotError::Draw(e.to_string()))?;
    fig.draw(&root).map_err(PlotError::Draw)?;
    root.present().map_err(|e| PlotError::Draw(e.to_string()))
}

/// An RGB buffer of `size` pixels encoded as PNG (the encoder plotters' bitmap backend saves
/// files with).
fn png_bytes(rgb: Vec<u8>, (w, h): (u32, u32)) -> Result<Vec<u8>, PlotError> {
    let image = image::RgbImage::from_raw(w, h, rgb)
        .ok_or_else(|| PlotError::Draw("the pixel buffer does not match the size".into()))?;
    let mut png = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut png, image::ImageOutputFormat::Png)
        .map_err(|e| PlotError::Draw(e.to_string()))?;
    Ok(png.into_inner())
}
