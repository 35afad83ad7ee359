//! The verification QR code: the card's URL upper-cased (so it fits QR's alphanumeric mode,
//! about 40% denser than bytes), error correction Q (a quarter of the symbol can be lost to a
//! fold, a glare or a smudge), black modules on a white plate with the 4-module quiet zone.

use qrcode::{Color, EcLevel, QrCode};
use tiny_skia::{Paint, Pixmap, Rect, Transform};

use crate::CardError;

/// The quiet zone QR readers need around the symbol, in modules.
pub(crate) const QUIET_ZONE: u32 = 4;
/// Fewer pixels a module than this and a phone camera at arm's length stops reading it.
pub(crate) const MIN_MODULE_PX: u32 = 3;
/// More than this only makes the plate bigger.
pub(crate) const MAX_MODULE_PX: u32 = 6;

pub(crate) struct Qr {
    width: u32,
    dark: Vec<bool>,
}

impl Qr {
    pub(crate) fn new(url: &str) -> Result<Qr, CardError> {
        let code = QrCode::with_error_correction_level(url.to_uppercase().as_bytes(), EcLevel::Q)
            .map_err(|e| CardError::QrCode(e.to_string()))?;
        Ok(Qr {
            width: code.width() as u32,
            dark: code.to_colors().iter().map(|c| *c == Color::Dark).collect(),
        })
    }

    /// Modules across, quiet zone included.
    pub(crate) fn span(&self) -> u32 {
        self.width + 2 * QUIET_ZONE
    }

    /// The module size for a plate at most `room` pixels square, or `None` below
    /// [`MIN_MODULE_PX`].
    pub(crate) fn module_px(&self, room: u32) -> Option<u32> {
        let m = (room / self.span()).min(MAX_MODULE_PX);
        (m >= MIN_MODULE_PX).then_some(m)
    }

    /// Draws the plate (quiet zone included) with its top-left corner at (`x`, `y`).
    pub(crate) fn draw(&self, canvas: &mut Pixmap, x: u32, y: u32, module: u32) {
        let side = (self.span() * module) as f32;
        let mut paint = Paint::default();
        paint.set_color_rgba8(255, 255, 255, 255);
        if let Some(plate) = Rect::from_xywh(x as f32, y as f32, side, side) {
            canvas.fill_rect(plate, &paint, Transform::identity(), None);
        }
        paint.set_color_rgba8(0, 0, 0, 255);
        paint.anti_alias = false;
        let origin = |i: u32| (i + QUIET_ZONE) * module;
        for row in 0..self.width {
            for col in 0..self.width {
                if !self.dark[(row * self.width + col) as usize] {
                    continue;
                }
                let cell = Rect::from_xywh(
                    (x + origin(col)) as f32,
                    (y + origin(row)) as f32,
                    module as f32,
                    module as f32,
                );
                if let Some(cell) = cell {
                    canvas.fill_rect(cell, &paint, Transform::identity(), None);
                }
            }
        }
    }
}
