//! The card's fonts: the four committed Noto faces, parsed once, and a small pool of shaping
//! engines over them. Only these bytes are ever loaded — never the machine's fonts — so a card
//! renders the same on every server.

use std::sync::{Arc, LazyLock, Mutex};

use cosmic_text::fontdb::{self, Database, Source};
use cosmic_text::skrifa::instance::{LocationRef, Size};
use cosmic_text::skrifa::metrics::GlyphMetrics;
use cosmic_text::skrifa::{FontRef, GlyphId, MetadataProvider};
use cosmic_text::{Fallback, FontSystem, SwashCache, Weight};
use unicode_script::Script;

/// One of the four committed faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Face {
    BengaliRegular,
    BengaliBold,
    LatinRegular,
    LatinBold,
}

impl Face {
    pub(crate) const ALL: [Face; 4] = [
        Face::BengaliRegular,
        Face::BengaliBold,
        Face::LatinRegular,
        Face::LatinBold,
    ];

    fn bytes(self) -> &'static [u8] {
        match self {
            Face::BengaliRegular => include_bytes!("../fonts/NotoSansBengali-Regular.ttf"),
            Face::BengaliBold => include_bytes!("../fonts/NotoSansBengali-Bold.ttf"),
            Face::LatinRegular => include_bytes!("../fonts/NotoSans-Regular.ttf"),
            Face::LatinBold => include_bytes!("../fonts/NotoSans-Bold.ttf"),
        }
    }

    pub(crate) fn file_name(self) -> &'static str {
        match self {
            Face::BengaliRegular => "NotoSansBengali-Regular.ttf",
            Face::BengaliBold => "NotoSansBengali-Bold.ttf",
            Face::LatinRegular => "NotoSans-Regular.ttf",
            Face::LatinBold => "NotoSans-Bold.ttf",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

pub(crate) const BENGALI_FAMILY: &str = "Noto Sans Bengali";
pub(crate) const LATIN_FAMILY: &str = "Noto Sans";

pub(crate) fn weight(bold: bool) -> Weight {
    if bold {
        Weight::BOLD
    } else {
        Weight::NORMAL
    }
}

/// What the card needs to know about a face besides shaping: ink bounds of its glyphs and the
/// glyph a shaper inserts for a broken cluster (the dotted circle).
pub(crate) struct FaceInfo {
    pub(crate) id: fontdb::ID,
    metrics: GlyphMetrics<'static>,
    pub(crate) dotted_circle: Option<u16>,
    pub(crate) units_per_em: u16,
}

impl FaceInfo {
    /// The glyph's ink as (top above the baseline, bottom below it), in ems; zero for a glyph
    /// without outline (a space).
    pub(crate) fn ink(&self, glyph: u16) -> (f32, f32) {
        match self.metrics.bounds(GlyphId::new(u32::from(glyph))) {
            Some(b) => (b.y_max, -b.y_min),
            None => (0.0, 0.0),
        }
    }
}

pub(crate) struct Fonts {
    db: Database,
    faces: [FaceInfo; 4],
}

impl Fonts {
    pub(crate) fn faces_info(&self, face: Face) -> &FaceInfo {
        &self.faces[face.index()]
    }

    pub(crate) fn face(&self, id: fontdb::ID) -> Option<(Face, &FaceInfo)> {
        Face::ALL
            .into_iter()
            .zip(self.faces.iter())
            .find(|(_, info)| info.id == id)
    }
}

pub(crate) static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let mut db = Database::new();
    let faces = Face::ALL.map(|face| {
        let bytes = face.bytes();
        let ids = db.load_font_source(Source::Binary(Arc::new(bytes)));
        let id = *ids.first().expect("a committed font parses");
        let font = FontRef::new(bytes).expect("a committed font parses");
        // Size 1 ppem: bounds come out in ems, ready to scale by the type size.
        let metrics = GlyphMetrics::new(&font, Size::new(1.0), LocationRef::default());
        let dotted_circle = font
            .charmap()
            .map('\u{25CC}')
            .and_then(|g| u16::try_from(g.to_u32()).ok());
        let units_per_em = font
            .metrics(Size::unscaled(), LocationRef::default())
            .units_per_em;
        FaceInfo {
            id,
            metrics,
            dotted_circle,
            units_per_em,
        }
    });
    Fonts { db, faces }
});

/// Bengali text goes to Noto Sans Bengali, everything it lacks (Latin letters, quotation marks)
/// to Noto Sans, and nothing else: the platform's own lists name fonts we never load and
/// differ between operating systems.
struct CardFallback;

impl Fallback for CardFallback {
    fn common_fallback(&self) -> &[&'static str] {
        &[LATIN_FAMILY]
    }

    fn forbidden_fallback(&self) -> &[&'static str] {
        &[]
    }

    fn script_fallback(&self, script: Script, _locale: &str) -> &[&'static str] {
        match script {
            Script::Bengali => &[BENGALI_FAMILY],
            _ => &[],
        }
    }
}

/// A shaping and rasterising context. `FontSystem` needs `&mut` to shape, so concurrent
/// renders each take one from the pool; the font data itself is shared and parsed once.
pub(crate) struct Engine {
    pub(crate) system: FontSystem,
    pub(crate) glyphs: SwashCache,
}

impl Engine {
    fn new() -> Engine {
        Engine {
            system: FontSystem::new_with_locale_and_db_and_fallback(
                "bn-BD".to_owned(),
                FONTS.db.clone(),
                CardFallback,
            ),
            glyphs: SwashCache::new(),
        }
    }
}

/// Engines kept between renders; more concurrent renders than this build a fresh one (cheap:
/// the font bytes are static and the database is cloned, not parsed).
const POOL_SIZE: usize = 8;
/// Rasterised glyphs kept per engine: a headline's size changes from card to card, so the
/// cache is cleared rather than left to grow.
const GLYPH_CACHE_MAX: usize = 4096;

static POOL: Mutex<Vec<Engine>> = Mutex::new(Vec::new());

pub(crate) fn with_engine<R>(f: impl FnOnce(&mut Engine) -> R) -> R {
    let taken = POOL.lock().unwrap_or_else(|p| p.into_inner()).pop();
    let mut engine = taken.unwrap_or_else(Engine::new);
    let out = f(&mut engine);
    if engine.glyphs.image_cache.len() > GLYPH_CACHE_MAX {
        engine.glyphs.image_cache.clear();
    }
    let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
    if pool.len() < POOL_SIZE {
        pool.push(engine);
    }
    out
}
