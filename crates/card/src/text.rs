//! Text on the card: shaping (cosmic-text, which runs harfrust — the Rust port of HarfBuzz —
//! over the committed fonts), the checks for missing glyphs, word-boundary wrapping, the search
//! for the largest type size that fits a box, and drawing glyphs into the pixmap.
//!
//! Everything is shaped once at 1 px (advances and ink in ems) and scaled: shaping does not
//! depend on the size, so the size search is arithmetic over the same glyphs that are drawn.

use cosmic_text::{
    Attrs, AttrsList, CacheKey, CacheKeyFlags, Family, ShapeLine, Shaping, SwashContent,
};
use tiny_skia::Pixmap;

use crate::fonts::{self, Engine, Face, BENGALI_FAMILY, FONTS};
use crate::CardError;

/// One shaped glyph, in ems.
#[derive(Clone, Debug)]
pub(crate) struct Glyph {
    pub(crate) id: u16,
    /// Byte offset in the shaped text of the cluster the glyph belongs to.
    pub(crate) cluster: u32,
    pub(crate) face: Face,
    font_id: cosmic_text::fontdb::ID,
    pub(crate) advance: f32,
    pub(crate) x_offset: f32,
    pub(crate) y_offset: f32,
}

/// A shaped piece of text (a word, or a line of a one-line field), in ems.
#[derive(Clone, Debug)]
pub(crate) struct Shaped {
    pub(crate) glyphs: Vec<Glyph>,
    pub(crate) bold: bool,
    pub(crate) advance: f32,
    /// The highest ink above the baseline (a reph, the top of ি or ী).
    pub(crate) ink_top: f32,
    /// The lowest ink below the baseline (ু, ৃ, a ্র).
    pub(crate) ink_bottom: f32,
}

fn is_bengali(c: char) -> bool {
    ('\u{0980}'..='\u{09FF}').contains(&c)
}

/// Shapes `text` on one line as the card draws it. Text with any Bengali letter asks for Noto
/// Sans Bengali first (clusters it has no glyph for fall back to Noto Sans); text without asks
/// for Noto Sans, so a code or an address keeps Latin digits of one design.
pub(crate) fn shape(engine: &mut Engine, text: &str, bold: bool) -> Shaped {
    let family = if text.chars().any(is_bengali) {
        BENGALI_FAMILY
    } else {
        fonts::LATIN_FAMILY
    };
    let attrs = Attrs::new()
        .family(Family::Name(family))
        .weight(fonts::weight(bold));
    let line = ShapeLine::new(
        &mut engine.system,
        text,
        &AttrsList::new(&attrs),
        Shaping::Advanced,
        8,
    );
    let mut shaped = Shaped {
        glyphs: Vec::new(),
        bold,
        advance: 0.0,
        ink_top: 0.0,
        ink_bottom: 0.0,
    };
    for word in line.spans.iter().flat_map(|span| span.words.iter()) {
        for g in &word.glyphs {
            let Some((face, info)) = FONTS.face(g.font_id) else {
                continue;
            };
            let (top, bottom) = info.ink(g.glyph_id);
            if top != 0.0 || bottom != 0.0 {
                shaped.ink_top = shaped.ink_top.max(top + g.y_offset);
                shaped.ink_bottom = shaped.ink_bottom.max(bottom - g.y_offset);
            }
            shaped.advance += g.x_advance;
            shaped.glyphs.push(Glyph {
                id: g.glyph_id,
                cluster: u32::try_from(g.start).unwrap_or(u32::MAX),
                face,
                font_id: g.font_id,
                advance: g.x_advance,
                x_offset: g.x_offset,
                y_offset: g.y_offset,
            });
        }
    }
    shaped
}

/// Refuses shaped text holding a missing glyph (.notdef, glyph 0 in every face) or a dotted
/// circle the shaper inserted for a broken cluster (a vowel sign with no consonant, as badly
/// converted Bengali has), naming the whitespace-separated word it is in.
pub(crate) fn check(text: &str, shaped: &Shaped) -> Result<(), CardError> {
    let typed_circle = text.contains('\u{25CC}');
    for g in &shaped.glyphs {
        let dotted = !typed_circle
            && FONTS
                .faces_info(g.face)
                .dotted_circle
                .is_some_and(|d| d == g.id);
        if g.id == 0 || dotted {
            return Err(CardError::MissingGlyph {
                word: word_at(text, g.cluster as usize).to_owned(),
            });
        }
    }
    Ok(())
}

/// The whitespace-separated word around byte `at`.
fn word_at(text: &str, at: usize) -> &str {
    let at = at.min(text.len());
    let start = text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[at..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(text.len(), |(i, _)| at + i);
    &text[start..end]
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// Splits text into the units a line may break between: whitespace-separated words, with a
/// word that starts with a hyphen (`-এর`, `-র`, `-কে`) kept with the word before it, so a
/// suffix never begins a line. Words are never broken inside.
pub(crate) fn units(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match out.last_mut() {
            Some(last) if word.starts_with(is_hyphen) => {
                last.push(' ');
                last.push_str(word);
            }
            _ => out.push(word.to_owned()),
        }
    }
    out
}

/// A paragraph laid out at one size.
#[derive(Debug)]
pub(crate) struct Block {
    /// Indices into the units, line by line.
    pub(crate) lines: Vec<Vec<usize>>,
    /// Type size in pixels.
    pub(crate) size: f32,
    /// Baseline to baseline, in pixels.
    pub(crate) pitch: f32,
    /// From the top of the block to the first baseline, in pixels.
    pub(crate) first_baseline: f32,
    /// From the top of the first line's ink to the bottom of the last line's, in pixels.
    pub(crate) height: f32,
}

/// Space between one line's lowest ink and the next line's highest, in ems.
const LINE_GAP: f32 = 0.12;
/// Lines closer than this look crammed even when their ink does not touch (a headline of
/// words with no marks above or below), in ems.
const MIN_PITCH: f32 = 1.0;

/// Greedy wrapping at unit boundaries; `None` when a unit is wider than the box.
fn wrap(units: &[Shaped], space: f32, size: f32, width: f32) -> Option<Vec<Vec<usize>>> {
    let mut lines: Vec<Vec<usize>> = Vec::new();
    let mut line_width = 0.0;
    for (i, unit) in units.iter().enumerate() {
        let w = unit.advance * size;
        if w > width {
            return None;
        }
        match lines.last_mut() {
            Some(line) if line_width + space * size + w <= width => {
                line.push(i);
                line_width += space * size + w;
            }
            _ => {
                lines.push(vec![i]);
                line_width = w;
            }
        }
    }
    Some(lines)
}

/// The largest whole-pixel size in `min..=max` at which the units, wrapped at word boundaries,
/// fit `width`×`height`. Lines are spaced by the ink the text really has: the tallest ink above
/// the baseline of any unit (reph, ি) and the deepest below it (ু, ৃ, ্র), so marks of one line
/// never touch the next and nothing is clipped at the box's edges.
pub(crate) fn fit(
    units: &[Shaped],
    space: f32,
    width: f32,
    height: f32,
    min: u32,
    max: u32,
) -> Result<Block, CardError> {
    let top = units.iter().map(|u| u.ink_top).fold(0.0f32, f32::max);
    let bottom = units.iter().map(|u| u.ink_bottom).fold(0.0f32, f32::max);
    for size in (min..=max).rev() {
        let size = size as f32;
        let Some(lines) = wrap(units, space, size, width) else {
            continue;
        };
        let pitch = (top + bottom + LINE_GAP).max(MIN_PITCH) * size;
        let block_height = (lines.len() as f32 - 1.0) * pitch + (top + bottom) * size;
        if block_height <= height {
            return Ok(Block {
                lines,
                size,
                pitch,
                first_baseline: top * size,
                height: block_height,
            });
        }
    }
    Err(CardError::DoesNotFit)
}

/// The largest whole-pixel size in `min..=max` at which one line fits `width`.
pub(crate) fn fit_line(shaped: &Shaped, width: f32, min: u32, max: u32) -> Option<f32> {
    (min..=max)
        .rev()
        .map(|s| s as f32)
        .find(|&size| shaped.advance * size <= width)
}

/// Draws a shaped run with its origin at (`x`, `baseline`), in pixels; returns the pen's x
/// after it.
pub(crate) fn draw(
    engine: &mut Engine,
    canvas: &mut Pixmap,
    shaped: &Shaped,
    size: f32,
    x: f32,
    baseline: f32,
    color: [u8; 3],
) -> f32 {
    let mut pen = x;
    for g in &shaped.glyphs {
        let (key, gx, gy) = CacheKey::new(
            g.font_id,
            g.id,
            size,
            (
                pen + g.x_offset * size,
                baseline.round() - g.y_offset * size,
            ),
            fonts::weight(shaped.bold),
            CacheKeyFlags::DISABLE_HINTING,
        );
        pen += g.advance * size;
        let Some(image) = engine.glyphs.get_image(&mut engine.system, key) else {
            continue;
        };
        if image.content != SwashContent::Mask {
            continue;
        }
        blend_mask(
            canvas,
            gx + image.placement.left,
            gy - image.placement.top,
            image.placement.width,
            image.placement.height,
            &image.data,
            color,
        );
    }
    pen
}

/// Paints `color` through an 8-bit coverage mask onto the opaque canvas.
fn blend_mask(
    canvas: &mut Pixmap,
    left: i32,
    top: i32,
    width: u32,
    height: u32,
    mask: &[u8],
    color: [u8; 3],
) {
    let (cw, ch) = (canvas.width() as i32, canvas.height() as i32);
    let data = canvas.data_mut();
    for row in 0..height as i32 {
        let y = top + row;
        if y < 0 || y >= ch {
            continue;
        }
        for col in 0..width as i32 {
            let x = left + col;
            if x < 0 || x >= cw {
                continue;
            }
            let a = u32::from(mask[(row * width as i32 + col) as usize]);
            if a == 0 {
                continue;
            }
            let at = ((y * cw + x) * 4) as usize;
            for k in 0..3 {
                let dst = u32::from(data[at + k]);
                data[at + k] = ((u32::from(color[k]) * a + dst * (255 - a) + 127) / 255) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hyphen_suffix_stays_with_its_word() {
        assert_eq!(units("BNP-র নেতা"), ["BNP-র", "নেতা"]);
        assert_eq!(units("ঢাকা -এর  মেয়র\tবললেন"), ["ঢাকা -এর", "মেয়র", "বললেন"]);
        assert_eq!(units("-এর শুরু"), ["-এর", "শুরু"]);
    }

    fn shaped(text: &str) -> Shaped {
        fonts::with_engine(|engine| shape(engine, text, true))
    }

    #[test]
    fn ink_is_measured_from_the_glyphs() {
        let plain = shaped("কম");
        // Reph and ি reach above the letters, ্র, ু and ৃ below them.
        for tall in ["র্ক", "কি", "র্কি"] {
            assert!(shaped(tall).ink_top > plain.ink_top + 0.05, "{tall}");
        }
        // (Noto Sans Bengali draws the ra-phala of ক্র inside the letter: no depth of its own.)
        for deep in ["কু", "কৃ", "ক্রু", "দ্বন্দ্ব"] {
            assert!(shaped(deep).ink_bottom > plain.ink_bottom + 0.05, "{deep}");
        }
        assert!(
            plain.ink_top > 0.4 && plain.ink_top < 1.2,
            "{}",
            plain.ink_top
        );
    }

    #[test]
    fn lines_are_spaced_by_the_deepest_and_tallest_ink() {
        let words: Vec<Shaped> = ["কম", "ক্রু", "র্কি", "কম"].map(shaped).into();
        let space = shaped(" ").advance;
        let top = words.iter().map(|w| w.ink_top).fold(0.0, f32::max);
        let bottom = words.iter().map(|w| w.ink_bottom).fold(0.0, f32::max);
        // Narrow enough for one word a line.
        let widest = words.iter().map(|w| w.advance).fold(0.0, f32::max);
        let block = fit(&words, space, widest * 40.0 + 1.0, 1000.0, 40, 40).expect("fits");
        assert_eq!(block.lines.len(), 4);
        assert!(block.pitch >= (top + bottom + LINE_GAP) * 40.0 - 0.01);
        assert_eq!(block.first_baseline, top * 40.0);
        assert!((block.height - (3.0 * block.pitch + (top + bottom) * 40.0)).abs() < 0.01);
    }

    #[test]
    fn the_largest_size_that_fits_is_chosen() {
        let words: Vec<Shaped> = units("আকাঙ্ক্ষা আর দ্বন্দ্ব").iter().map(|u| shaped(u)).collect();
        let space = shaped(" ").advance;
        let wide = fit(&words, space, 2000.0, 200.0, 20, 80).expect("fits");
        assert_eq!(wide.size, 80.0, "room to spare: the largest size");
        assert_eq!(wide.lines.len(), 1);
        let narrow = fit(&words, space, 400.0, 100.0, 20, 80).expect("fits");
        assert!(narrow.size < 80.0);
        assert!(narrow.height <= 100.0);
        // One size up would not have fitted.
        assert!(fit(&words, space, 400.0, 100.0, narrow.size as u32 + 1, 80).is_err());
        assert!(matches!(
            fit(&words, space, 50.0, 200.0, 20, 80),
            Err(CardError::DoesNotFit)
        ));
    }

    #[test]
    fn a_suffix_never_begins_a_line() {
        let text = "বিএনপি -এর নেতা BNP-র কর্মী";
        let units_text = units(text);
        let words: Vec<Shaped> = units_text.iter().map(|u| shaped(u)).collect();
        let space = shaped(" ").advance;
        // "বিএনপি" alone would fit this width at the smallest size; with "-এর" it must move
        // to the next line whole.
        let alone = shaped("বিএনপি").advance * 30.0;
        let block = fit(&words, space, alone + 5.0, 10_000.0, 30, 30);
        // The joined unit is wider than the box: refused rather than split.
        assert!(matches!(block, Err(CardError::DoesNotFit)));
        let block = fit(
            &words,
            space,
            words[0].advance * 30.0 + 1.0,
            10_000.0,
            30,
            30,
        )
        .expect("fits");
        for line in &block.lines {
            let first = &units_text[line[0]];
            assert!(!first.starts_with('-'), "{first} begins a line");
        }
        assert_eq!(units_text[0], "বিএনপি -এর");
        assert!(units_text.contains(&"BNP-র".to_owned()));
    }

    #[test]
    fn word_at_finds_the_word_around_an_offset() {
        let text = "ভালো ািকছু হবে";
        let at = text.find('া').unwrap() + "ভালো ".len() - text.find('া').unwrap();
        assert_eq!(word_at(text, at), "ািকছু");
        assert_eq!(word_at(text, 0), "ভালো");
        assert_eq!(word_at(text, text.len()), "হবে");
    }
}
