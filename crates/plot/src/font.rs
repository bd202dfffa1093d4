//! Registers the bundled DejaVu Sans font with plotters, so text renders without system fonts.

use std::sync::Once;

static REGISTER: Once = Once::new();

/// Registers DejaVu Sans (from the `dejavu` crate) under the family names plotters asks for
/// (`sans-serif`, `serif`, `monospace`). Called by every chart function; safe to call repeatedly.
pub(crate) fn ensure_fonts() {
    REGISTER.call_once(|| {
        use plotters::style::{register_font, FontStyle};
        for family in ["sans-serif", "serif", "monospace"] {
            let faces: [(FontStyle, &'static [u8]); 4] = [
                (FontStyle::Normal, dejavu::sans::regular()),
                (FontStyle::Bold, dejavu::sans::bold()),
                (FontStyle::Italic, dejavu::sans::oblique()),
                (FontStyle::Oblique, dejavu::sans::oblique()),
            ];
            for (style, bytes) in faces {
                // The bundled font is a valid TrueType file; a failure here would be a bug in the
                // `dejavu` crate, and text would simply be missing, so it is not fatal.
                let _ = register_font(family, style, bytes);
            }
        }
    });
}
