//! Verifiable news photocards: one description ([`CardSpec`]) drawn as a PNG in three shapes
//! ([`Layout`]) — a masthead (the site's name or logo), the photo cropped around its focal
//! point, the section, the headline (or a quote and who said it), the date line, and a
//! verification strip with the card's code, the site's address and a QR code of the card's URL.
//!
//! Pure and synchronous: bytes in, PNG out, no file system, network or async. Text is shaped
//! with cosmic-text (harfrust, the Rust port of HarfBuzz) over four committed Noto fonts and
//! nothing else, so a card looks the same on every machine; the shaping is checked against
//! HarfBuzz's own `hb-shape` in `tests/shaping.rs`. Every input's limit is checked before any
//! work proportional to it (see [`CardError`]).
//!
//! Imports: cosmic-text, tiny-skia, qrcode, image, fast_image_resize, png. Nothing from Khobor.

mod fonts;
mod picture;
mod qr;
mod text;

use tiny_skia::{Color, Paint, Pixmap, Rect, Transform};

pub use picture::{MAX_LOGO_BYTES, MAX_LOGO_PIXELS, MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS};

/// The card's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// 1080×1350 (4:5), for Facebook and Instagram feeds.
    Portrait,
    /// 1080×1080 (1:1).
    Square,
    /// 1200×630, the Open Graph preview size.
    OpenGraph,
}

impl Layout {
    pub const ALL: [Layout; 3] = [Layout::Portrait, Layout::Square, Layout::OpenGraph];

    /// `"4:5"`, `"1:1"` or `"og"`.
    pub fn parse(s: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Portrait => "4:5",
            Layout::Square => "1:1",
            Layout::OpenGraph => "og",
        }
    }

    /// Width and height in pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            Layout::Portrait => (1080, 1350),
            Layout::Square => (1080, 1080),
            Layout::OpenGraph => (1200, 630),
        }
    }
}

/// The card's colours, sRGB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Colors {
    pub background: [u8; 3],
    /// The masthead band, the section label and a quote's speaker.
    pub accent: [u8; 3],
    pub text: [u8; 3],
}

impl Default for Colors {
    /// White paper, a newsroom red, near-black type.
    fn default() -> Colors {
        Colors {
            background: [255, 255, 255],
            accent: [200, 16, 46],
            text: [17, 17, 17],
        }
    }
}

/// The photo: encoded JPEG, PNG or WebP, and the point (0..1 from the left and the top) the
/// crop keeps in view.
#[derive(Clone, Copy, Debug)]
pub struct Photo<'a> {
    pub bytes: &'a [u8],
    pub focal_x: f32,
    pub focal_y: f32,
}

/// Everything on a card.
#[derive(Clone, Copy, Debug)]
pub struct CardSpec<'a> {
    pub layout: Layout,
    /// Masthead text (Bengali and/or Latin) when there is no logo.
    pub site_name: &'a str,
    /// Encoded PNG or JPEG logo, drawn in the masthead instead of the name.
    pub logo: Option<&'a [u8]>,
    /// Cropped to its box around the focal point; without one the layout is plain colour.
    pub photo: Option<Photo<'a>>,
    /// Section label, e.g. "রাজনীতি"; empty for none.
    pub section: &'a str,
    /// The headline, or the quote when `speaker` is `Some`.
    pub text: &'a str,
    pub speaker: Option<&'a str>,
    /// Already formatted, e.g. "৬ ডিসেম্বর ২০২৬ · ২১ অগ্রহায়ণ ১৪৩৩".
    pub date_line: &'a str,
    /// E.g. "khobor.example".
    pub site_address: &'a str,
    /// 8 upper-case base32 characters (A–Z, 2–7), printed on the card.
    pub code: &'a str,
    /// The card's URL; the QR code holds it upper-cased.
    pub qr_url: &'a str,
    pub colors: Colors,
}

/// A rendered card.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Why a card was not made. The messages are shown to the newsroom as they are.
#[derive(thiserror::Error, Debug)]
pub enum CardError {
    #[error("The {field} is {chars} characters long; a card takes at most {max}.")]
    TextTooLong {
        field: &'static str,
        chars: usize,
        max: usize,
    },
    #[error("The {field} is empty; a card needs one.")]
    EmptyText { field: &'static str },
    #[error(
        "The word \"{word}\" cannot be drawn: it has a character the card's fonts do not have, \
         or a vowel sign or mark without the letter it belongs to (often badly converted \
         Bengali). Correct the word and try again."
    )]
    MissingGlyph { word: String },
    #[error("The verification code \"{code}\" is not 8 upper-case base32 characters (A–Z, 2–7).")]
    InvalidCode { code: String },
    #[error("The photo is too large: {found}; a card takes at most {limit}.")]
    PhotoTooLarge { found: String, limit: String },
    #[error("The photo could not be read: {0}.")]
    PhotoUnreadable(String),
    #[error("The logo is too large: {found}; a card takes at most {limit}.")]
    LogoTooLarge { found: String, limit: String },
    #[error("The logo could not be read: {0}.")]
    LogoUnreadable(String),
    #[error(
        "The text does not fit on the card even at the smallest type size (or one word is \
         wider than the card); shorten it."
    )]
    DoesNotFit,
    #[error("The {field} does not fit on one line of the card even at the smallest type size; shorten it.")]
    LineDoesNotFit { field: &'static str },
    #[error("The card's link cannot be made into a QR code: {0}.")]
    QrCode(String),
    #[error(
        "The card's link is too long for a QR code a phone can read from the card; use a \
         shorter link (at most {max} characters)."
    )]
    LinkTooLong { max: usize },
    #[error("The card could not be encoded as PNG: {0}.")]
    Encode(String),
}

/// A headline or quote's length limit, in characters. A longer one is not a headline and would
/// be drawn too small to read; it is refused before anything is shaped.
pub const MAX_TEXT_CHARS: usize = 300;
const MAX_SITE_NAME_CHARS: usize = 60;
const MAX_SECTION_CHARS: usize = 40;
const MAX_SPEAKER_CHARS: usize = 80;
const MAX_DATE_LINE_CHARS: usize = 100;
const MAX_ADDRESS_CHARS: usize = 64;
/// Upper-cased, a link this long is a version 6 QR code at level Q (41 modules), which still
/// gets 3 pixels a module on the smallest card.
pub const MAX_LINK_CHARS: usize = 100;

fn check_length(field: &'static str, text: &str, max: usize) -> Result<(), CardError> {
    let chars = text.chars().count();
    if chars > max {
        return Err(CardError::TextTooLong { field, chars, max });
    }
    Ok(())
}

fn check_nonempty(field: &'static str, text: &str) -> Result<(), CardError> {
    if text.trim().is_empty() {
        return Err(CardError::EmptyText { field });
    }
    Ok(())
}

/// The cheap limits, checked on the raw spec before any shaping or decoding.
fn check_limits(spec: &CardSpec) -> Result<(), CardError> {
    let text_field = if spec.speaker.is_some() {
        "quote"
    } else {
        "headline"
    };
    check_length(text_field, spec.text, MAX_TEXT_CHARS)?;
    check_nonempty(text_field, spec.text)?;
    check_length("site name", spec.site_name, MAX_SITE_NAME_CHARS)?;
    if spec.logo.is_none() {
        check_nonempty("site name", spec.site_name)?;
    }
    check_length("section", spec.section, MAX_SECTION_CHARS)?;
    if let Some(speaker) = spec.speaker {
        check_length("speaker", speaker, MAX_SPEAKER_CHARS)?;
        check_nonempty("speaker", speaker)?;
    }
    check_length("date line", spec.date_line, MAX_DATE_LINE_CHARS)?;
    check_length("site address", spec.site_address, MAX_ADDRESS_CHARS)?;
    let base32 = |c: char| c.is_ascii_uppercase() || ('2'..='7').contains(&c);
    if spec.code.len() != 8 || !spec.code.chars().all(base32) {
        return Err(CardError::InvalidCode {
            code: spec.code.chars().take(40).collect(),
        });
    }
    check_nonempty("card link", spec.qr_url)?;
    if spec.qr_url.chars().count() > MAX_LINK_CHARS {
        return Err(CardError::LinkTooLong {
            max: MAX_LINK_CHARS,
        });
    }
    Ok(())
}

/// Refuses text that shapes with a missing glyph (.notdef) or a dotted circle (U+25CC, what
/// broken or badly converted Bengali produces), naming the first offending word.
pub fn check_text(text: &str) -> Result<(), CardError> {
    fonts::with_engine(|engine| {
        for bold in [false, true] {
            let shaped = text::shape(engine, text, bold);
            text::check(text, &shaped)?;
        }
        Ok(())
    })
}

/// One glyph as the card's own shaping produced it (for the parity tests against `hb-shape`).
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestGlyph {
    pub glyph_id: u16,
    /// Byte offset of the glyph's cluster in the text.
    pub cluster: u32,
    /// The font file the glyph came from, e.g. `"NotoSansBengali-Bold.ttf"`.
    pub font: &'static str,
    /// Advance and offsets in font units (y up), as `hb-shape` prints them.
    pub x_advance: i32,
    pub x_offset: i32,
    pub y_offset: i32,
}

/// Shapes `text` through the same path the renderer draws with (same font system, fallback,
/// attributes and glyph list).
#[doc(hidden)]
pub fn shape_for_test(text: &str, bold: bool) -> Vec<TestGlyph> {
    fonts::with_engine(|engine| {
        text::shape(engine, text, bold)
            .glyphs
            .iter()
            .map(|g| {
                let upem = f32::from(fonts::FONTS.faces_info(g.face).units_per_em);
                let units = |em: f32| (em * upem).round() as i32;
                TestGlyph {
                    glyph_id: g.id,
                    cluster: g.cluster,
                    font: g.face.file_name(),
                    x_advance: units(g.advance),
                    x_offset: units(g.x_offset),
                    y_offset: units(g.y_offset),
                }
            })
            .collect()
    })
}

/// Rectangles of one layout, in pixels.
#[derive(Clone, Copy, Debug)]
struct Boxes {
    masthead: Area,
    photo: Option<Area>,
    /// Left edge and width of the text column.
    column_x: f32,
    column_w: f32,
    section_y: f32,
    text_top: f32,
    text_bottom: f32,
    date_y: f32,
    footer: Area,
    /// Type sizes: headline max and min, masthead, section, date line, code, address.
    headline_max: u32,
    headline_min: u32,
    masthead_size: u32,
    section_size: u32,
    date_size: u32,
    code_size: u32,
    address_size: u32,
    margin: f32,
    /// How much of the photo's height a headline too long for its box may take.
    photo_give: u32,
}

#[derive(Clone, Copy, Debug)]
struct Area {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

const fn area(x: u32, y: u32, w: u32, h: u32) -> Area {
    Area { x, y, w, h }
}

impl Boxes {
    fn new(layout: Layout, photo: bool) -> Boxes {
        match (layout, photo) {
            (Layout::Portrait, _) => Boxes {
                masthead: area(0, 0, 1080, 120),
                photo: photo.then_some(area(0, 120, 1080, 560)),
                column_x: 60.0,
                column_w: 960.0,
                section_y: if photo { 712.0 } else { 170.0 },
                text_top: if photo { 792.0 } else { 256.0 },
                text_bottom: 1046.0,
                date_y: 1066.0,
                footer: area(0, 1130, 1080, 220),
                headline_max: if photo { 80 } else { 104 },
                headline_min: 36,
                masthead_size: 54,
                section_size: 30,
                date_size: 30,
                code_size: 46,
                address_size: 30,
                margin: 60.0,
                photo_give: if photo { 240 } else { 0 },
            },
            (Layout::Square, _) => Boxes {
                masthead: area(0, 0, 1080, 100),
                photo: photo.then_some(area(0, 100, 1080, 400)),
                column_x: 60.0,
                column_w: 960.0,
                section_y: if photo { 524.0 } else { 146.0 },
                text_top: if photo { 598.0 } else { 222.0 },
                text_bottom: 808.0,
                date_y: 822.0,
                footer: area(0, 880, 1080, 200),
                headline_max: if photo { 72 } else { 96 },
                headline_min: 32,
                masthead_size: 46,
                section_size: 28,
                date_size: 28,
                code_size: 42,
                address_size: 28,
                margin: 60.0,
                photo_give: if photo { 180 } else { 0 },
            },
            (Layout::OpenGraph, true) => Boxes {
                masthead: area(500, 0, 700, 84),
                photo: Some(area(0, 0, 500, 630)),
                column_x: 540.0,
                column_w: 620.0,
                section_y: 104.0,
                text_top: 166.0,
                text_bottom: 404.0,
                date_y: 414.0,
                footer: area(500, 470, 700, 160),
                headline_max: 56,
                headline_min: 26,
                masthead_size: 40,
                section_size: 24,
                date_size: 22,
                code_size: 34,
                address_size: 22,
                margin: 40.0,
                photo_give: 0,
            },
            (Layout::OpenGraph, false) => Boxes {
                masthead: area(0, 0, 1200, 84),
                photo: None,
                column_x: 60.0,
                column_w: 1080.0,
                section_y: 104.0,
                text_top: 166.0,
                text_bottom: 404.0,
                date_y: 414.0,
                footer: area(0, 470, 1200, 160),
                headline_max: 64,
                headline_min: 26,
                masthead_size: 40,
                section_size: 24,
                date_size: 22,
                code_size: 34,
                address_size: 22,
                margin: 60.0,
                photo_give: 0,
            },
        }
    }
}

fn fill(canvas: &mut Pixmap, x: f32, y: f32, w: f32, h: f32, rgb: [u8; 3]) {
    let mut paint = Paint::default();
    paint.set_color_rgba8(rgb[0], rgb[1], rgb[2], 255);
    if let Some(rect) = Rect::from_xywh(x, y, w, h) {
        canvas.fill_rect(rect, &paint, Transform::identity(), None);
    }
}

/// Type on the white verification strip, whatever the card's colours: the QR needs a white
/// plate, and the code must read on it.
const STRIP_INK: [u8; 3] = [17, 17, 17];
const STRIP_PAPER: [u8; 3] = [255, 255, 255];

/// A one-line field shaped, checked and sized to fit `width`.
struct OneLine {
    shaped: text::Shaped,
    size: f32,
}

fn one_line(
    engine: &mut fonts::Engine,
    field: &'static str,
    value: &str,
    bold: bool,
    width: f32,
    size: u32,
) -> Result<OneLine, CardError> {
    let shaped = text::shape(engine, value, bold);
    text::check(value, &shaped)?;
    let min = (size / 2).max(12);
    let size =
        text::fit_line(&shaped, width, min, size).ok_or(CardError::LineDoesNotFit { field })?;
    Ok(OneLine { shaped, size })
}

/// Renders the card as PNG. Synchronous and CPU-bound: call it from a thread that may block.
///
/// A card without a photo takes a few milliseconds; with one, decoding the photo dominates
/// (`cargo bench -p khobor-card`): about 20–25 ms from the media library's 1600 px variant,
/// over 100 ms from a 12-megapixel original, so pass the variant. A JPEG larger than its box
/// is decoded at a reduced DCT scale, which bounds the memory it takes.
pub fn render(spec: &CardSpec) -> Result<Rendered, CardError> {
    check_limits(spec)?;
    if let Some(photo) = &spec.photo {
        picture::check_photo(photo.bytes)?;
    }
    if let Some(logo) = spec.logo {
        picture::check_logo(logo)?;
    }
    let qr = qr::Qr::new(spec.qr_url)?;
    let b = Boxes::new(spec.layout, spec.photo.is_some());
    let strip_pad = 10;
    let module = qr
        .module_px(b.footer.h - 2 * strip_pad)
        .ok_or(CardError::LinkTooLong {
            max: MAX_LINK_CHARS,
        })?;
    let (width, height) = spec.layout.size();
    let colors = spec.colors;
    let mut canvas = Pixmap::new(width, height).ok_or(CardError::Encode("no canvas".into()))?;
    let [r, g, bl] = colors.background;
    canvas.fill(Color::from_rgba8(r, g, bl, 255));

    fonts::with_engine(|engine| {
        let (b, texts) = plan(engine, spec, b, qr.span() * module)?;
        paint(engine, &mut canvas, spec, &b, &texts, &qr, module)
    })?;

    let png = encode_png(&canvas)?;
    Ok(Rendered { png, width, height })
}

/// Every text of the card shaped, checked and sized, and the headline laid out.
struct Texts {
    units: Vec<text::Shaped>,
    space: f32,
    block: text::Block,
    site: Option<OneLine>,
    section: Option<OneLine>,
    speaker: Option<OneLine>,
    date: Option<OneLine>,
    code: OneLine,
    address: Option<OneLine>,
}

/// Shapes and checks every text first, so a bad word is refused before the photo is decoded,
/// and fits the headline; returns the boxes it fitted in (a long headline takes room from the
/// photo).
fn plan(
    engine: &mut fonts::Engine,
    spec: &CardSpec,
    b: Boxes,
    qr_side: u32,
) -> Result<(Boxes, Texts), CardError> {
    let quote;
    let body = match spec.speaker {
        Some(_) => {
            quote = format!("“{}”", spec.text.trim());
            quote.as_str()
        }
        None => spec.text,
    };
    let unit_texts = text::units(body);
    let units: Vec<text::Shaped> = unit_texts
        .iter()
        .map(|u| text::shape(engine, u, true))
        .collect();
    for (t, u) in unit_texts.iter().zip(&units) {
        text::check(t, u)?;
    }
    let space = text::shape(engine, " ", true).advance;

    let masthead_room = b.masthead.w as f32 - 2.0 * b.margin;
    let site = match spec.logo {
        Some(_) => None,
        None => Some(one_line(
            engine,
            "site name",
            spec.site_name.trim(),
            true,
            masthead_room,
            b.masthead_size,
        )?),
    };
    let section = if spec.section.trim().is_empty() {
        None
    } else {
        Some(one_line(
            engine,
            "section",
            spec.section.trim(),
            true,
            b.column_w * 0.8,
            b.section_size,
        )?)
    };
    let speaker_size = (b.section_size as f32 * 1.15).round() as u32;
    let speaker = match spec.speaker {
        Some(s) => Some(one_line(
            engine,
            "speaker",
            &format!("— {}", s.trim()),
            true,
            b.column_w,
            speaker_size,
        )?),
        None => None,
    };
    let date = if spec.date_line.trim().is_empty() {
        None
    } else {
        Some(one_line(
            engine,
            "date line",
            spec.date_line.trim(),
            false,
            b.column_w,
            b.date_size,
        )?)
    };
    let strip_text_w = b.footer.w as f32 - 2.0 * b.margin - qr_side as f32 - 20.0;
    let code = one_line(engine, "code", spec.code, true, strip_text_w, b.code_size)?;
    let address = if spec.site_address.trim().is_empty() {
        None
    } else {
        Some(one_line(
            engine,
            "site address",
            spec.site_address.trim(),
            false,
            strip_text_w,
            b.address_size,
        )?)
    };

    let speaker_room = speaker.as_ref().map_or(0.0, |s| {
        s.size * (s.shaped.ink_top + s.shaped.ink_bottom) + s.size * 0.8
    });
    let fit = |b: &Boxes| {
        text::fit(
            &units,
            space,
            b.column_w,
            b.text_bottom - b.text_top - speaker_room,
            b.headline_min,
            b.headline_max,
        )
    };
    // A headline too long for its box at the smallest size takes room from the photo
    // rather than being refused.
    let (b, block) = match fit(&b) {
        Ok(block) => (b, block),
        Err(_) if b.photo_give > 0 => {
            let mut taller = b;
            let give = b.photo_give as f32;
            taller.photo = b.photo.map(|p| area(p.x, p.y, p.w, p.h - b.photo_give));
            taller.section_y -= give;
            taller.text_top -= give;
            (taller, fit(&taller)?)
        }
        Err(e) => return Err(e),
    };
    let texts = Texts {
        units,
        space,
        block,
        site,
        section,
        speaker,
        date,
        code,
        address,
    };
    Ok((b, texts))
}

/// Draws everything onto the canvas, the photo and logo decoded here.
fn paint(
    engine: &mut fonts::Engine,
    canvas: &mut Pixmap,
    spec: &CardSpec,
    b: &Boxes,
    t: &Texts,
    qr: &qr::Qr,
    module: u32,
) -> Result<(), CardError> {
    let colors = spec.colors;
    let code = &t.code;
    let masthead_room = b.masthead.w as f32 - 2.0 * b.margin;
    fill(
        canvas,
        b.masthead.x as f32,
        b.masthead.y as f32,
        b.masthead.w as f32,
        b.masthead.h as f32,
        colors.accent,
    );
    if let (Some(photo), Some(at)) = (&spec.photo, b.photo) {
        picture::draw_photo(
            canvas,
            photo.bytes,
            photo.focal_x,
            photo.focal_y,
            at.x,
            at.y,
            at.w,
            at.h,
        )?;
    }
    let masthead_x = b.masthead.x as f32 + b.margin;
    if let Some(logo) = spec.logo {
        let pad = b.masthead.h / 6;
        picture::draw_logo(
            canvas,
            logo,
            masthead_x as u32,
            b.masthead.y + pad,
            masthead_room as u32,
            b.masthead.h - 2 * pad,
        )?;
    }

    // Masthead name, centred on the band's height by its ink.
    if let Some(site) = &t.site {
        let baseline = centred_baseline(
            &site.shaped,
            site.size,
            b.masthead.y as f32,
            b.masthead.h as f32,
        );
        text::draw(
            engine,
            canvas,
            &site.shaped,
            site.size,
            masthead_x,
            baseline,
            colors.background,
        );
    }

    // Section label on an accent plate.
    if let Some(section) = &t.section {
        let pad = section.size * 0.55;
        let plate_h = section.size * 1.6;
        let plate_w = section.shaped.advance * section.size + 2.0 * pad;
        fill(
            canvas,
            b.column_x,
            b.section_y,
            plate_w,
            plate_h,
            colors.accent,
        );
        let baseline = centred_baseline(&section.shaped, section.size, b.section_y, plate_h);
        text::draw(
            engine,
            canvas,
            &section.shaped,
            section.size,
            b.column_x + pad,
            baseline,
            colors.background,
        );
    }

    // The headline or quote, line by line.
    let block = &t.block;
    let mut baseline = b.text_top + block.first_baseline;
    for line in &block.lines {
        let mut x = b.column_x;
        for (n, &i) in line.iter().enumerate() {
            if n > 0 {
                x += t.space * block.size;
            }
            x = text::draw(
                engine,
                canvas,
                &t.units[i],
                block.size,
                x,
                baseline,
                colors.text,
            );
        }
        baseline += block.pitch;
    }
    if let Some(speaker) = &t.speaker {
        let top = b.text_top + block.height + speaker.size * 0.6;
        let baseline = top + speaker.shaped.ink_top * speaker.size;
        text::draw(
            engine,
            canvas,
            &speaker.shaped,
            speaker.size,
            b.column_x,
            baseline,
            colors.accent,
        );
    }

    if let Some(date) = &t.date {
        let baseline = b.date_y + date.shaped.ink_top.max(0.75) * date.size;
        text::draw(
            engine,
            canvas,
            &date.shaped,
            date.size,
            b.column_x,
            baseline,
            blend(colors.text, colors.background, 0.75),
        );
    }

    // The verification strip: white, an accent rule on top, code and address, the QR.
    let f = b.footer;
    fill(
        canvas,
        f.x as f32,
        f.y as f32,
        f.w as f32,
        f.h as f32,
        STRIP_PAPER,
    );
    fill(
        canvas,
        f.x as f32,
        f.y as f32,
        f.w as f32,
        6.0,
        colors.accent,
    );
    let strip_x = f.x as f32 + b.margin;
    let lines_h = code.size * 1.0 + t.address.as_ref().map_or(0.0, |a| a.size * 1.5);
    let code_baseline = f.y as f32 + (f.h as f32 - lines_h) / 2.0 + code.size * 0.85;
    text::draw(
        engine,
        canvas,
        &code.shaped,
        code.size,
        strip_x,
        code_baseline,
        STRIP_INK,
    );
    if let Some(address) = &t.address {
        let baseline = code_baseline + address.size * 1.5;
        text::draw(
            engine,
            canvas,
            &address.shaped,
            address.size,
            strip_x,
            baseline,
            blend(STRIP_INK, STRIP_PAPER, 0.8),
        );
    }
    let qr_side = qr.span() * module;
    let qr_x = f.x + f.w - (b.margin as u32).min(30) - qr_side;
    let qr_y = f.y + (f.h - qr_side) / 2 + 3;
    qr.draw(canvas, qr_x, qr_y, module);
    Ok(())
}

/// The baseline that centres a line's ink in a band `height` tall at `top`.
fn centred_baseline(shaped: &text::Shaped, size: f32, top: f32, height: f32) -> f32 {
    top + (height + (shaped.ink_top - shaped.ink_bottom) * size) / 2.0
}

/// `a` over `b` at opacity `t`.
fn blend(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    std::array::from_fn(|k| (f32::from(a[k]) * t + f32::from(b[k]) * (1.0 - t)).round() as u8)
}

/// RGB (the card is opaque), with the `png` crate's fast mode (fdeflate): a 1080×1350 card
/// encodes in a few milliseconds, where the default level takes several times longer for a
/// file a little smaller.
fn encode_png(canvas: &Pixmap) -> Result<Vec<u8>, CardError> {
    let rgb: Vec<u8> = canvas
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::with_capacity(rgb.len() / 4);
    let mut encoder = png::Encoder::new(&mut out, canvas.width(), canvas.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder
        .write_header()
        .map_err(|e| CardError::Encode(e.to_string()))?;
    writer
        .write_image_data(&rgb)
        .map_err(|e| CardError::Encode(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| CardError::Encode(e.to_string()))?;
    Ok(out)
}
