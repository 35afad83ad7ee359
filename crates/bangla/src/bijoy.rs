//! Bijoy (SutonnyMJ "ASCII") → Unicode Bengali conversion, and a detector for Bijoy text.
//!
//! # What Bijoy text is
//!
//! Before Unicode, Bengali in Bangladesh was typed with the Bijoy keyboard into 8-bit fonts
//! such as **SutonnyMJ**. The file holds Windows-1252 bytes whose code points are *glyphs*,
//! not characters: only the font makes `Avgvi ‡mvbvi evsjv` look like আমার সোনার বাংলা.
//! Such text still reaches us in press releases, old archives and copy-paste from Word.
//! [`to_unicode`] takes it as a Rust string holding the Windows-1252 decoding of those
//! bytes (byte 0x87 is `‡` U+2021, 0xA9 is `©`, 0xAD is the soft hyphen U+00AD), which is
//! how it arrives when pasted or read as cp1252; [`bytes_to_unicode`] takes the raw bytes.
//!
//! # How the conversion works
//!
//! Two things make Bijoy more than a character map, and the converter is built around them:
//!
//! 1. **Glyph table.** The `glyph` table maps each glyph to a Unicode fragment: a letter, a vowel
//!    sign, a whole conjunct (`¶` → ক্ষ), a half-form ending in a virama (`¯` → স্) or a phala
//!    starting with one (`—` → ্ত). A half-form followed by a phala would give two viramas
//!    (স্ + ্ত); the second is dropped, so `¯—` is স্ত without a pair table. Only two glyph
//!    *pairs* need their own entry: `Av` (অ + া is আ, which NFC does not compose) and `i¨`
//!    (র‍্য, which needs a joiner).
//! 2. **Visual order.** Bijoy stores glyphs in the order they are drawn. The pre-base vowel
//!    signs ি ে ৈ come *before* the whole consonant cluster (`‡¶` is ক্ষে), ো/ৌ are split
//!    around it (`‡Kv` কো, `‡eŠ×` বৌদ্ধ), and the reph র্ comes *after* the cluster it sits on
//!    (`Kg©` কর্ম), sometimes even after a following vowel sign (`agx©q` ধর্মীয়). The
//!    `Writer` reorders while it writes, in the same single pass: it holds a pre-base sign
//!    until its cluster (consonant, then any number of virama + consonant) is complete, and
//!    inserts a reph in front of the cluster it follows. ে + া and ে + ৗ end up adjacent and
//!    are composed into ো and ৌ. A candrabindu typed before a vowel sign (`Zuvi` তাঁর)
//!    is moved after it, which is Unicode's order.
//!
//! The output is NFC. Note that NFC *decomposes* ড় ঢ় য় into letter + nukta (they are
//! composition exclusions); [`crate::normalise::normalise`] composes them again for storage.
//!
//! ## Choices where the encoding is ambiguous
//!
//! - র + ya-phala (`i¨`, as in র‍্যাব) is written **র + ZWJ + ্ + য**, the Unicode Standard's
//!   sequence and the form [`crate::normalise::normalise`] produces. (Most converters emit
//!   ZWNJ instead; both render the same.) Reph + য (`h©`, কার্য) has no joiner.
//! - The visible hasanta `&` is a plain virama (আহ্বান), not virama + ZWNJ: it is typed
//!   where the font has no conjunct glyph, so it spells a conjunct.
//! - SutonnyMJ layouts differ on a few glyphs; this follows the layout of current news text:
//!   `Í` is ta-phala (not ত্ম), `Ð` is ণ্ড, `Ñ` is a dash (—), `æ` is u-kar (not ম্ন),
//!   `ø`, `¬` and the soft hyphen are la-phala (not স্ন), `²` is ক্ষ্ম.
//! - Glyphs the table does not know (`¹`, `º`, `ž`, `Ž`, `€`, `ÿ`, …) and every character
//!   outside the Windows-1252 repertoire (tabs, newlines, Unicode Bengali, emoji) are copied
//!   unchanged. ASCII digits are Bengali digits, as in the font.
//!
//! # Detecting Bijoy text
//!
//! [`detect`] tells Bijoy from Unicode Bengali and from other (mostly English) text; see
//! its documentation for the heuristic and its limits.

use unicode_normalization::UnicodeNormalization;

const VIRAMA: char = '\u{09CD}';
const ZWJ: char = '\u{200D}';
const ZWNJ: char = '\u{200C}';
const CANDRABINDU: char = '\u{0981}';
const E_KAR: char = '\u{09C7}';
/// The reph as written in Unicode: র + virama, placed before the consonant it sits on.
const REPH: &str = "\u{09B0}\u{09CD}";

/// Converts SutonnyMJ/Bijoy text (the Windows-1252 decoding of the legacy bytes) to NFC
/// Unicode Bengali.
///
/// Never fails: glyphs without a mapping and characters outside the Bijoy repertoire are
/// copied as they are. Do not pass Unicode text through it blindly: ASCII letters are
/// Bengali glyphs, so English becomes nonsense (use [`convert_if_bijoy`] for unknown text).
///
/// ```
/// use bangla::bijoy::to_unicode;
///
/// assert_eq!(to_unicode("Avgvi ‡mvbvi evsjv"), "আমার সোনার বাংলা");
/// // reph and pre-base e-kar around one cluster, and a split o-kar:
/// assert_eq!(to_unicode("wb‡`©k ‡Kv‡bv"), "নির্দেশ কোনো");
/// assert_eq!(to_unicode("2024 mv‡j|"), "২০২৪ সালে।");
/// ```
pub fn to_unicode(bijoy: &str) -> String {
    let mut w = Writer::with_capacity(bijoy.len() * 3);
    let mut chars = bijoy.chars().peekable();
    while let Some(c) = chars.next() {
        // The only two glyph pairs that are not the sum of their parts.
        let pair = match (c, chars.peek()) {
            ('A', Some('v')) => Some("আ"),
            ('i', Some('¨')) => Some("র\u{200D}\u{09CD}য"),
            _ => None,
        };
        match pair {
            Some(text) => {
                chars.next();
                w.text(text);
            }
            None => match glyph(c) {
                Glyph::Text(text) => w.text(text),
                Glyph::PreBase(sign) => w.pre_base(sign),
                Glyph::Reph => w.reph(),
                Glyph::Same => w.same(c),
            },
        }
    }
    w.finish()
}

/// Converts raw SutonnyMJ/Bijoy bytes (as stored in a legacy `.txt` or pasted from an
/// 8-bit document) to NFC Unicode Bengali: [`decode_cp1252`], then [`to_unicode`].
///
/// ```
/// use bangla::bijoy::bytes_to_unicode;
///
/// // 0x87 is the e-kar glyph ‡, typed before its consonant.
/// assert_eq!(bytes_to_unicode(b"\x87K"), "কে");
/// ```
pub fn bytes_to_unicode(bytes: &[u8]) -> String {
    to_unicode(&decode_cp1252(bytes))
}

/// Decodes Windows-1252 bytes. 0x00–0x7F and 0xA0–0xFF are the same code points (as in
/// Latin-1); 0x80–0x9F are the cp1252 punctuation, and the five bytes cp1252 leaves
/// undefined (0x81 0x8D 0x8F 0x90 0x9D) map to the C1 control of the same value, as the
/// WHATWG encoding standard does, so no byte is lost.
pub fn decode_cp1252(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| cp1252_char(b)).collect()
}

/// The cp1252 table for 0x80–0x9F; other bytes are their own code point.
fn cp1252_char(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// What one Bijoy glyph stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Glyph {
    /// Unicode text in logical order: a letter, a post-base sign, a conjunct, a half-form
    /// ending in virama or a phala starting with one.
    Text(&'static str),
    /// ি ে or ৈ, stored before the consonant cluster it follows in Unicode.
    PreBase(char),
    /// র্ on top of a cluster, stored after that cluster.
    Reph,
    /// Not a Bijoy glyph (ASCII punctuation, whitespace, anything outside cp1252): itself.
    Same,
}

/// The SutonnyMJ glyph table, one glyph at a time.
///
/// Several glyphs are variants of one sign (ে is `‡` or `†`, ু is `y` `z` `“` `–` `æ`, ্র is
/// `«` `ª` `Ö`): they are shapes that fit next to different letters, and texts mix them.
fn glyph(c: char) -> Glyph {
    use Glyph::{PreBase, Reph, Same, Text};
    let text = match c {
        // Independent vowels (`Av` আ is handled as a pair).
        'A' => "অ",
        'B' => "ই",
        'C' => "ঈ",
        'D' => "উ",
        'E' => "ঊ",
        'F' => "ঋ",
        'G' => "এ",
        'H' => "ঐ",
        'I' => "ও",
        'J' => "ঔ",
        // Consonants in alphabet order, then the nukta letters and the signs.
        'K' => "ক",
        'L' => "খ",
        'M' => "গ",
        'N' => "ঘ",
        'O' => "ঙ",
        'P' => "চ",
        'Q' => "ছ",
        'R' => "জ",
        'S' => "ঝ",
        'T' => "ঞ",
        'U' => "ট",
        'V' => "ঠ",
        'W' => "ড",
        'X' => "ঢ",
        'Y' => "ণ",
        'Z' => "ত",
        '_' => "থ",
        '`' => "দ",
        'a' => "ধ",
        'b' => "ন",
        'c' => "প",
        'd' => "ফ",
        'e' => "ব",
        'f' => "ভ",
        'g' => "ম",
        'h' => "য",
        'i' => "র",
        'j' => "ল",
        'k' => "শ",
        'l' => "ষ",
        'm' => "স",
        'n' => "হ",
        // Nukta letters as NFC has them: letter + nukta (ড় ঢ় য় are composition exclusions).
        'o' => "\u{09A1}\u{09BC}", // ড়
        'p' => "\u{09A2}\u{09BC}", // ঢ়
        'q' => "\u{09AF}\u{09BC}", // য়
        'r' => "ৎ",
        's' => "ং",
        't' => "ঃ",
        'u' => "ঁ",
        // Post-base vowel signs and their variant glyphs.
        'v' => "া",
        'x' => "ী",
        'y' | 'z' | '“' | '–' | 'æ' => "ু",
        '~' | 'ƒ' | '‚' => "ূ",
        '…' | '„' => "ৃ",
        'Š' => "ৗ", // the right half of ৌ
        'w' => return PreBase('ি'),
        '‡' | '†' => return PreBase('ে'),
        '‰' | 'ˆ' => return PreBase('ৈ'),
        '©' => return Reph,
        // Digits, danda, visible hasanta, quotes and dash.
        '0'..='9' => return Text(BENGALI_DIGITS[usize::from(c as u8 - b'0')]),
        '|' => "।",
        '&' => "\u{09CD}",
        'Ò' => "“",
        'Ó' => "”",
        'Ô' => "‘",
        'Õ' => "’",
        'Ñ' => "—",
        // Phala glyphs: virama + consonant, attached to the cluster before them.
        '¨' => "্য",
        '«' | 'ª' | 'Ö' => "্র",
        '^' | 'Ÿ' | '¡' | '¦' => "্ব",
        '¬' | '\u{AD}' | 'ø' => "্ল",
        'œ' => "্ন",
        '¥' | '§' => "্ম",
        '—' | 'Í' => "্ত",
        '‹' => "্ক",
        'Œ' => "্ক্র",
        '‘' => "্তু",
        '’' => "্থ",
        '¢' => "্ভ",
        '£' => "্ভ্র",
        '¿' => "্ত্র",
        'Ú' => "্ড",
        'è' => "্ণ",
        'ú' => "্প",
        // Half-forms: consonant + virama, completed by the next consonant or phala.
        '”' => "চ্",
        '•' => "ঙ্",
        '˜' | '™' => "দ্",
        'š' | '›' => "ন্",
        '¤' => "ম্",
        '®' => "ষ্",
        '¯' => "স্",
        // Conjunct ligatures (and the consonants fused with ু/ৃ).
        '°' => "ক্ক",
        '±' => "ক্ট",
        '²' => "ক্ষ্ম",
        '³' => "ক্ত",
        '´' => "ক্ম",
        'µ' => "ক্র",
        '¶' => "ক্ষ",
        '·' => "ক্স",
        '¸' => "গু",
        '»' => "গ্ধ",
        '¼' => "ঙ্ক",
        '½' => "ঙ্গ",
        '¾' => "জ্জ",
        'À' => "জ্ঝ",
        'Á' => "জ্ঞ",
        'Â' => "ঞ্চ",
        'Ã' => "ঞ্ছ",
        'Ä' => "ঞ্জ",
        'Å' => "ঞ্ঝ",
        'Æ' => "ট্ট",
        'Ç' => "ড্ড",
        'È' => "ণ্ট",
        'É' => "ণ্ঠ",
        'Ê' | 'Ð' => "ণ্ড",
        'Ë' => "ত্ত",
        'Ì' => "ত্থ",
        'Î' => "ত্র",
        'Ï' => "দ্দ",
        '×' => "দ্ধ",
        'Ø' => "দ্ব",
        'Ù' => "দ্ম",
        'Û' => "ন্ড",
        'Ü' => "ন্ধ",
        'Ý' => "ন্স",
        'Þ' => "প্ট",
        'ß' => "প্ত",
        'à' => "প্প",
        'á' => "প্স",
        'â' => "ব্জ",
        'ã' => "ব্দ",
        'ä' => "ব্ধ",
        'å' => "ভ্র",
        'ç' => "ম্ফ",
        'é' => "ল্ক",
        'ê' => "ল্গ",
        'ë' => "ল্ট",
        'ì' => "ল্ড",
        'í' => "ল্প",
        'î' => "ল্ফ",
        'ï' => "শু",
        'ð' => "শ্চ",
        'ñ' => "শ্ছ",
        'ò' => "ষ্ণ",
        'ó' => "ষ্ট",
        'ô' => "ষ্ঠ",
        'õ' => "ষ্ফ",
        'ö' => "স্খ",
        '÷' => "স্ট",
        'ù' => "স্ফ",
        'û' => "হু",
        'ü' => "হৃ",
        'ý' => "হ্ন",
        'þ' => "হ্ম",
        _ => return Same,
    };
    Text(text)
}

const BENGALI_DIGITS: [&str; 10] = ["০", "১", "২", "৩", "৪", "৫", "৬", "৭", "৮", "৯"];

/// How the reordering treats one Unicode character it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A consonant that can start or continue a cluster (ৎ cannot: it takes no signs).
    Consonant,
    /// Virama, nukta or a joiner: glue inside a cluster.
    Glue,
    /// A post-base vowel sign (া ী ু ূ ৃ ৗ).
    VowelSign,
    /// ং ঃ ঁ: they end a cluster but a reph may still come after them.
    Mark,
    /// Anything else ends the cluster for good.
    Other,
}

fn class(c: char) -> Class {
    match c {
        '\u{0995}'..='\u{09B9}' | '\u{09DC}' | '\u{09DD}' | '\u{09DF}' => Class::Consonant,
        VIRAMA | '\u{09BC}' | ZWJ | ZWNJ => Class::Glue,
        'া' | 'ী' | 'ু' | 'ূ' | 'ৃ' | 'ৗ' => Class::VowelSign,
        'ং' | 'ঃ' | CANDRABINDU => Class::Mark,
        _ => Class::Other,
    }
}

/// Writes Unicode in logical order from glyphs in visual order, in one pass.
///
/// Invariant: `cluster_start` is where the last consonant cluster starts in `out` while a
/// reph could still belong to it (through post-base signs and marks), else `None`;
/// `pending` is a pre-base vowel sign not written yet, and `pending_has_cluster` says
/// whether its cluster has started (it is written when that cluster ends).
///
/// The output is NFC as written, because everything the glyph table produces is: nukta
/// letters come decomposed, nothing is written between a nukta and its letter, and the
/// only compositions Bengali has (ে + া → ো, ে + ৗ → ৌ) are made here. Characters passed
/// through from the input could break that (a combining mark, a Unicode ে before an
/// aa-kar glyph), so `foreign` records that one was seen, and then NFC runs at the end.
/// This saves the NFC pass, more than half the time, on ordinary Bijoy text.
struct Writer {
    out: String,
    cluster_start: Option<usize>,
    pending: Option<char>,
    pending_has_cluster: bool,
    foreign: bool,
}

impl Writer {
    fn with_capacity(capacity: usize) -> Self {
        Writer {
            out: String::with_capacity(capacity),
            cluster_start: None,
            pending: None,
            pending_has_cluster: false,
            foreign: false,
        }
    }

    /// A character that is not a Bijoy glyph: copied, ending any cluster.
    fn same(&mut self, c: char) {
        self.foreign |= !c.is_ascii();
        self.char(c);
    }

    fn text(&mut self, text: &str) {
        text.chars().for_each(|c| self.char(c));
    }

    fn char(&mut self, c: char) {
        match class(c) {
            Class::Consonant if self.continues_cluster() => self.out.push(c),
            Class::Consonant => self.start_cluster(c),
            // A half-form (স্) followed by a phala (্ত) would give two viramas.
            Class::Glue if c == VIRAMA && self.out.ends_with(VIRAMA) => {}
            Class::Glue => self.out.push(c),
            Class::VowelSign => {
                self.end_cluster();
                self.push_vowel_sign(c);
            }
            Class::Mark => {
                self.end_cluster();
                self.out.push(c);
            }
            Class::Other => {
                self.end_cluster();
                self.cluster_start = None;
                self.out.push(c);
            }
        }
    }

    /// A consonant joins the current cluster only right after a virama (a joiner may sit
    /// between, as in র‍্য).
    fn continues_cluster(&self) -> bool {
        self.cluster_start.is_some() && self.out.trim_end_matches([ZWJ, ZWNJ]).ends_with(VIRAMA)
    }

    fn start_cluster(&mut self, c: char) {
        if self.pending.is_some() && !self.pending_has_cluster {
            // This is the cluster the waiting pre-base sign belongs after.
            self.pending_has_cluster = true;
        } else {
            self.end_cluster();
        }
        self.cluster_start = Some(self.out.len());
        self.out.push(c);
    }

    /// Writes the waiting pre-base sign, after its cluster or (if none came) where it was.
    fn end_cluster(&mut self) {
        if let Some(sign) = self.pending.take() {
            self.out.push(sign);
            self.pending_has_cluster = false;
        }
    }

    /// Writes a post-base vowel sign. Unicode puts candrabindu after the vowel sign, Bijoy
    /// types it before (`Zuvi` তাঁর), so the sign goes in front of a candrabindu. An e-kar
    /// right before া or ৗ is the left half of ো or ৌ (`‡Kv`), written composed as NFC does.
    fn push_vowel_sign(&mut self, c: char) {
        let mut at = self.out.len();
        if self.out.ends_with(CANDRABINDU) {
            at -= CANDRABINDU.len_utf8();
        }
        let composed = match c {
            'া' => Some('ো'),
            'ৗ' => Some('ৌ'),
            _ => None,
        };
        match composed {
            Some(o) if self.out[..at].ends_with(E_KAR) => {
                let e_kar = at - E_KAR.len_utf8();
                self.out
                    .replace_range(e_kar..at, o.encode_utf8(&mut [0; 4]));
            }
            _ => self.out.insert(at, c),
        }
    }

    fn pre_base(&mut self, sign: char) {
        // The previous sign's cluster ends here (`‡K‡U`: the first ে goes after ক); a
        // previous sign that never got a cluster (`‡‡`) stays where it was.
        self.end_cluster();
        self.pending = Some(sign);
        self.pending_has_cluster = false;
    }

    /// The reph glyph follows its cluster (and perhaps that cluster's vowel signs), so the
    /// র্ goes in front of the cluster. Without a cluster it is written where it stands.
    fn reph(&mut self) {
        self.end_cluster();
        match self.cluster_start {
            Some(start) => self.out.insert_str(start, REPH),
            None => self.out.push_str(REPH),
        }
    }

    fn finish(mut self) -> String {
        self.end_cluster();
        if self.foreign {
            return self.out.nfc().collect();
        }
        debug_assert!(
            unicode_normalization::is_nfc(&self.out),
            "not NFC: {:?}",
            self.out
        );
        self.out
    }
}

/// What kind of text [`detect`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Detected {
    /// Bijoy/SutonnyMJ glyph text that [`to_unicode`] should convert.
    Bijoy,
    /// Unicode Bengali (at least a third of the letters are Bengali code points).
    Unicode,
    /// Anything else: English or other Latin-script text, numbers, empty text.
    Other,
}

/// Tells Bijoy mojibake from Unicode Bengali and from ordinary (mostly English) text.
///
/// # Heuristic
///
/// 1. If at least a third of the letters are Bengali code points (U+0980–U+09FF), the text
///    is [`Detected::Unicode`]: Bijoy text never contains them.
/// 2. Otherwise each whitespace-separated word is scored (URLs, paths, `a::b` and
///    `` `code` `` are skipped). **Strong** evidence of Bijoy:
///    - a glyph that practically never occurs in a word of a Latin-script language:
///      `‡ † ‰ ˆ Š š › « ª ¨ ¯ ¶ ¸ ¤ ¦ ¡ Ÿ œ ‹`, or `©`/`¬` glued after a letter (`Kg©`);
///    - a letter pair English spelling does not produce: aa-kar `v` followed by a
///      consonant or a capital (`Avgvi`, `evsjv`), a capital consonant followed by `v`
///      (`Kv`, `Zv`; English has only `Av`/`Ev`/`Ov`…), or the i-kar `w` before a capital
///      or `` ` `` anywhere or before a consonant other than `h`/`r` at the start (`wb`, `wK`).
///
///    **Weak** evidence: two or more letters, some lower-case, and none of `a e i o u y`
///    (`bv` না, `nq` হয়), unless it is an abbreviation (`Mr`, `Ltd`, `Tk`, `vs` …).
///    A word with no evidence that is one of ~40 English function words (`the`, `of`,
///    `and`, `was`, `on` …) counts for English.
/// 3. The text is [`Detected::Bijoy`] if it has a strong word or two weak ones, at least
///    a third of its words are Bijoy-like, and those outnumber English words two to one.
///    Anything else, including empty text, is [`Detected::Other`].
///
/// Typical glyph text has a strong signal in almost every word (every ে is `‡`); typical
/// English has none, since its `v` is followed by a vowel and its words have vowels.
///
/// # Limits
///
/// - Very short Bijoy strings whose letters also look like English (`Avi` আর, `Kiv` করা
///   alone) carry too little evidence and come out as [`Detected::Other`].
/// - Text mixing English and Bijoy is decided by the majority of its words: a Bijoy phrase
///   quoted inside English prose is not found, an English name inside Bijoy is harmless.
/// - Source code and technical jargon (`fn f(s: &str)`, `avx512`) can look Bijoy-like,
///   as can Latin-script languages with many consonant clusters (Czech, Welsh). Khobor's
///   inputs are Bengali and English news text; the check over the ~25,000 lines of English
///   READMEs in the cargo registry flagged only code lines.
/// - Other legacy Bengali font layouts (Boishakhi, Lekhoni …) are likely detected as Bijoy,
///   but [`to_unicode`] converts only the SutonnyMJ layout.
pub fn detect(text: &str) -> Detected {
    let mut bengali = 0usize;
    let mut letters = 0usize;
    for c in text.chars() {
        if ('\u{0980}'..='\u{09FF}').contains(&c) {
            bengali += 1;
            letters += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        }
    }
    if bengali > 0 && bengali * 3 >= letters {
        return Detected::Unicode;
    }
    let (mut words, mut strong, mut weak, mut english) = (0usize, 0usize, 0usize, 0usize);
    for word in text.split_whitespace() {
        if !word.chars().any(|c| c.is_alphanumeric() || is_glyph(c)) || is_link_or_code(word) {
            continue;
        }
        words += 1;
        match word_evidence(word) {
            Evidence::Strong => strong += 1,
            Evidence::Weak => weak += 1,
            Evidence::None if is_english_word(word) => english += 1,
            Evidence::None => {}
        }
    }
    let bijoy = strong + weak;
    if (strong >= 1 || weak >= 2) && bijoy * 3 >= words && bijoy >= english * 2 {
        Detected::Bijoy
    } else {
        Detected::Other
    }
}

/// `true` if [`detect`] says the text is Bijoy.
pub fn looks_like_bijoy(text: &str) -> bool {
    detect(text) == Detected::Bijoy
}

/// Converts `text` with [`to_unicode`] if it [`looks_like_bijoy`], else `None`.
///
/// ```
/// use bangla::bijoy::convert_if_bijoy;
///
/// assert_eq!(convert_if_bijoy("XvKvq Av‡Rv e„wó n‡q‡Q|").as_deref(), Some("ঢাকায় আজো বৃষ্টি হয়েছে।"));
/// assert_eq!(convert_if_bijoy("The Daily Star reported on Monday"), None);
/// assert_eq!(convert_if_bijoy("ঢাকায় আজ বৃষ্টি"), None);
/// ```
pub fn convert_if_bijoy(text: &str) -> Option<String> {
    looks_like_bijoy(text).then(|| to_unicode(text))
}

/// A cp1252 character that SutonnyMJ uses as a glyph (the high half; ASCII is all glyphs).
fn is_glyph(c: char) -> bool {
    !matches!(glyph(c), Glyph::Same) && !c.is_ascii()
}

/// Glyphs that do not occur inside words of English or other Latin-script languages.
fn is_strong_glyph(c: char) -> bool {
    matches!(
        c,
        '‡' | '†'
            | '‰'
            | 'ˆ'
            | 'Š'
            | 'š'
            | '›'
            | '«'
            | 'ª'
            | '¨'
            | '¯'
            | '¶'
            | '¸'
            | '¤'
            | '¦'
            | '¡'
            | 'Ÿ'
            | 'œ'
            | '‹'
    )
}

/// © and ¬ are typography in English, but glued after a letter they are the reph and a
/// la-phala (`Kg©` কর্ম). (’ ” … — “ – are Bijoy glyphs too, but English glues them to
/// words all the time, so they are no evidence.)
fn is_glued_glyph(c: char) -> bool {
    matches!(c, '©' | '¬')
}

/// URLs, paths, file names and code paths (`badge.svg`, `a::b`) are spelled by other rules
/// than words; they are no evidence either way.
fn is_link_or_code(word: &str) -> bool {
    let inner_dot = word
        .as_bytes()
        .windows(3)
        .any(|w| w[0].is_ascii_alphanumeric() && w[1] == b'.' && w[2].is_ascii_alphabetic());
    let quoted_code = word.len() > 2
        && word.starts_with('`')
        && word
            .trim_end_matches(|c: char| c.is_ascii_punctuation() && c != '`')
            .ends_with('`');
    inner_dot || quoted_code || word.contains('/') || word.contains("::") || word.contains('@')
}

/// How much a word says that the text is Bijoy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evidence {
    /// A Bijoy-only glyph or a letter pair English does not have.
    Strong,
    /// Only the absence of vowel letters, which short English codes share (`sh`, `ttl`).
    Weak,
    None,
}

/// Scores one word with the signals listed under [`detect`].
fn word_evidence(word: &str) -> Evidence {
    if is_abbreviation(word.trim_matches(|c: char| !c.is_ascii_alphanumeric())) {
        // `vs` has Bijoy's `v` + consonant, and is everywhere in sports news.
        return Evidence::None;
    }
    let mut prev: Option<char> = None;
    let mut letters_before = 0;
    for c in word.chars() {
        if is_strong_glyph(c) {
            return Evidence::Strong;
        }
        if let Some(p) = prev {
            if bijoy_pair(p, c, letters_before == 1)
                || (is_glued_glyph(c) && p.is_ascii_alphabetic())
            {
                return Evidence::Strong;
            }
        }
        if c.is_ascii_alphabetic() {
            letters_before += 1;
        }
        prev = Some(c);
    }
    if has_no_vowel(word) {
        Evidence::Weak
    } else {
        Evidence::None
    }
}

/// Two adjacent characters that English spelling does not produce and Bijoy does all the
/// time. `p_is_first` says `p` is the first letter of the word.
fn bijoy_pair(p: char, c: char, p_is_first: bool) -> bool {
    // aa-kar `v` is followed by the next consonant glyph (`vg`, `vs`, `vK`); English `v`
    // by a vowel.
    let aa_kar_then_consonant = p == 'v' && (is_consonant_letter(c) || c.is_ascii_uppercase());
    // A consonant glyph (capital) then aa-kar: `Kv`, `Zv`, `Rv`; English has `Av`, `Ev`, `Ov`
    // (Avenue, Every, Over) but no consonant + v.
    let consonant_then_aa_kar = c == 'v' && p.is_ascii_uppercase() && !is_vowel_letter(p);
    // Pre-base i-kar `w` starts a word before its consonant (`wb`, `wK`, `w``).
    let i_kar_first = p == 'w'
        && (c.is_ascii_uppercase()
            || c == '`'
            || (p_is_first && is_consonant_letter(c) && !matches!(c, 'h' | 'r')));
    aa_kar_then_consonant || consonant_then_aa_kar || i_kar_first
}

fn is_vowel_letter(c: char) -> bool {
    matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

fn is_consonant_letter(c: char) -> bool {
    c.is_ascii_lowercase() && !is_vowel_letter(c)
}

/// Two or more letters, some lower-case, none of a e i o u y, and not a known abbreviation:
/// Bijoy `bv` (না), `nq` (হয়), `ZLb` (তখন).
fn has_no_vowel(word: &str) -> bool {
    let letters = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut count = 0;
    let mut lower = false;
    for c in letters.chars() {
        if !c.is_ascii_alphabetic() {
            // digits or inner punctuation: a code, a number with a unit, a URL
            return false;
        }
        if is_vowel_letter(c) {
            return false;
        }
        count += 1;
        lower |= c.is_ascii_lowercase();
    }
    count >= 2 && lower && !is_abbreviation(letters)
}

/// English abbreviations without a vowel letter or with Bijoy's `v` + consonant, compared
/// in lower case.
fn is_abbreviation(word: &str) -> bool {
    const ABBREVIATIONS: [&str; 36] = [
        "mr", "mrs", "ms", "dr", "st", "jr", "sr", "ltd", "pvt", "vs", "km", "kg", "mg", "ml",
        "mm", "cm", "ft", "hrs", "pm", "tk", "nd", "th", "rd", "hq", "mph", "kph", "bn", "mn",
        "tn", "sgt", "bldg", "blvd", "kwh", "mbps", "ns", "avg",
    ];
    ABBREVIATIONS.iter().any(|a| word.eq_ignore_ascii_case(a))
}

/// English function words; the Bijoy spelling of a Bengali word is never one of these.
fn is_english_word(word: &str) -> bool {
    const FUNCTION_WORDS: [&str; 40] = [
        "the", "of", "and", "to", "in", "on", "for", "with", "at", "by", "from", "was", "were",
        "are", "been", "has", "have", "had", "that", "this", "it", "its", "as", "said", "will",
        "would", "not", "but", "or", "an", "she", "they", "his", "her", "their", "who", "which",
        "after", "than", "more",
    ];
    let word = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    FUNCTION_WORDS.iter().any(|w| word.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each vector is (Bijoy as cp1252 text, expected Unicode before NFC); the expected side
    /// is normalised here so it can be written with the usual precomposed ড় ঢ় য়.
    fn check(cases: &[(&str, &str)]) {
        for (bijoy, expected) in cases {
            let expected: String = expected.nfc().collect();
            assert_eq!(to_unicode(bijoy), expected, "Bijoy input {bijoy:?}");
        }
    }

    #[test]
    fn letters_and_aa() {
        check(&[
            ("Avgvi ‡mvbvi evsjv", "আমার সোনার বাংলা"),
            ("A Av B C D E F G H I J", "অ আ ই ঈ উ ঊ ঋ এ ঐ ও ঔ"),
            (
                "KLMNO PQRST UVWXY Z_`ab cdefg hijklmn",
                "কখগঘঙ চছজঝঞ টঠডঢণ তথদধন পফবভম যরলশষসহ",
            ),
            ("C` HK¨ F‡Y", "ঈদ ঐক্য ঋণে"),
        ]);
    }

    #[test]
    fn ksa_and_ligatures() {
        check(&[
            ("¶gZv", "ক্ষমতা"),
            ("wk¶K", "শিক্ষক"),
            ("‡¶‡Î", "ক্ষেত্রে"),
            ("Ávb weÁvb", "জ্ঞান বিজ্ঞান"),
            ("A¼ m½xZ", "অঙ্ক সঙ্গীত"),
            ("ivóª D¾¡j", "রাষ্ট্র উজ্জ্বল"),
            ("gnË¡ ¸i“Z¡", "মহত্ত্ব গুরুত্ব"),
        ]);
    }

    #[test]
    fn reph_moves_before_its_cluster() {
        check(&[
            ("ag©", "ধর্ম"),
            ("Kg©KZ©v", "কর্মকর্তা"),
            ("wb‡`©k", "নির্দেশ"),
            ("c~Y©", "পূর্ণ"),
            ("Aš—f©y³", "অন্তর্ভুক্ত"),
            // typed after the following vowel sign
            ("agx©q", "ধর্মীয়"),
            // on a cluster with a split o-kar
            ("m‡e©v”P", "সর্বোচ্চ"),
        ]);
    }

    #[test]
    fn reph_on_ya_and_ra_with_ya_phala() {
        check(&[
            ("Kvh©", "কার্য"),
            ("Kvh©µg", "কার্যক্রম"),
            ("‰ah©", "ধৈর্য"),
            // র + ya-phala keeps the ZWJ so it does not render as reph on য
            ("i¨ve", "র\u{200D}\u{09CD}যাব"),
        ]);
    }

    #[test]
    fn phalas() {
        check(&[
            ("c«_g", "প্রথম"),
            ("‡cÖg", "প্রেম"),
            ("e¨vsK Kb¨v mf¨", "ব্যাংক কন্যা সভ্য"),
            ("Avjøvn K¬vm", "আল্লাহ ক্লাস"),
            ("hZœ cÖkœ", "যত্ন প্রশ্ন"),
            ("¯^vaxb we‡k¦i AvnŸvb", "স্বাধীন বিশ্বের আহ্বান"),
            ("AvZ¥v ¯§iY", "আত্মা স্মরণ"),
        ]);
    }

    #[test]
    fn split_o_and_au_kar() {
        check(&[
            ("‡Kvb", "কোন"),
            ("‡kv‡b", "শোনে"),
            ("‡eŠ×", "বৌদ্ধ"),
            ("‡MŠi", "গৌর"),
        ]);
        // composed, not ে + া
        assert_eq!(to_unicode("‡Kv"), "\u{0995}\u{09CB}");
        assert_eq!(to_unicode("‡KŠ"), "\u{0995}\u{09CC}");
    }

    #[test]
    fn pre_base_signs_go_after_the_whole_cluster() {
        check(&[
            ("ew¯Í", "বস্তি"),
            ("w¯’i", "স্থির"),
            ("w¯Œb", "স্ক্রিন"),
            ("‡K›`«", "কেন্দ্র"),
            ("‰¯^i", "স্বৈর"),
            ("‡¯^”Qv", "স্বেচ্ছা"),
            ("fwel¨r", "ভবিষ্যৎ"),
            ("wb‡¤œ", "নিম্নে"),
        ]);
    }

    #[test]
    fn nukta_letters_come_out_in_nfc() {
        check(&[("eo Avlvp fq ‡g‡q Mvwo", "বড় আষাঢ় ভয় মেয়ে গাড়ি")]);
        // NFC splits them into letter + nukta
        assert_eq!(
            to_unicode("o p q"),
            "\u{09A1}\u{09BC} \u{09A2}\u{09BC} \u{09AF}\u{09BC}"
        );
    }

    #[test]
    fn digits_dari_and_punctuation() {
        check(&[
            ("0123456789", "০১২৩৪৫৬৭৮৯"),
            ("1971 mv‡j|", "১৯৭১ সালে।"),
            ("Avwg fvZ LvB|", "আমি ভাত খাই।"),
            ("ÔK_vÕ Ò‡Zvgvi,Ó (c«kœ)?", "‘কথা’ “তোমার,” (প্রশ্ন)?"),
            ("njÑ 50%", "হল— ৫০%"),
        ]);
    }

    #[test]
    fn khanda_ta_anusvara_visarga_candrabindu() {
        check(&[
            ("nVvr Drme", "হঠাৎ উৎসব"),
            ("evsjv `yt‡L", "বাংলা দুঃখে"),
            // candrabindu is typed before the vowel sign; Unicode wants it after
            ("Pvu` Zuvi euvk", "চাঁদ তাঁর বাঁশ"),
            ("‡dvuUv DuwP‡q", "ফোঁটা উঁচিয়ে"),
        ]);
    }

    #[test]
    fn explicit_hasanta_is_a_virama() {
        check(&[("Avn&evb", "আহ্বান"), ("ZvwË&eK", "তাত্ত্বিক")]);
    }

    #[test]
    fn variant_glyphs() {
        check(&[
            ("†Kvb", "কোন"),              // † for ‡
            ("Kzqvkv", "কুয়াশা"),            // z for y
            ("cªvY MÖvg", "প্রাণ গ্রাম"),     // ª and Ö for «
            ("K„lK", "কৃষক"),              // „ for …
            ("ˆbwZK", "নৈতিক"),           // ˆ for ‰
            ("mšÍvb ¯Íe", "সন্তান স্তব"),    // Í for — in šÍ/¯Í
            ("w˜¡Zxq Øvi", "দ্বিতীয় দ্বার"), // ˜¡ for Ø
            ("Avj\u{AD}vn", "আল্লাহ"),      // soft hyphen as la-phala
            ("c«wZkÖæwZ f‚L‡Ð", "প্রতিশ্রুতি ভূখণ্ডে"),
        ]);
    }

    #[test]
    fn other_characters_pass_through() {
        check(&[
            ("Avgvi\tbvg\n", "আমার\tনাম\n"),
            ("¹", "¹"),
            ("ঢাকা", "ঢাকা"),
            ("", ""),
        ]);
        // stray signs with no cluster stay where they were
        assert_eq!(to_unicode("‡ ©"), "ে র্");
    }

    #[test]
    fn bytes_are_read_as_cp1252() {
        // 0x87 ‡ e-kar, 0xB6 ¶ ক্ষ, 0xA9 © reph, 0x9A š ন্, 0x97 — ta-phala
        assert_eq!(bytes_to_unicode(b"\x87\xb6"), "ক্ষে");
        assert_eq!(bytes_to_unicode(b"Kg\xa9"), "কর্ম");
        assert_eq!(bytes_to_unicode(b"m\x9a\x97vb"), "সন্তান");
        assert_eq!(
            decode_cp1252(&[0x41, 0x80, 0x8D, 0x97, 0xA9, 0xAD, 0xFF]),
            "A€\u{8D}—©\u{AD}ÿ"
        );
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_cp1252(&all).chars().count(), 256);
    }

    #[test]
    fn english_is_not_bijoy() {
        for text in [
            "The Daily Star reported on Monday",
            "Prime Minister Sheikh Hasina said the government would act.",
            "Bangladesh vs India: Tk 500 crore deal signed in Dhaka",
            "Mr. Rahman bought an iPhone and uses WhatsApp and YouTube",
            "Dhaka, Mar 3 (bdnews24.com) – The Average price rose by 5%, officials said.",
            "See https://www.thedailystar.net/news/bangladesh.svg for the details",
            "Petra Kvitova won the final in three sets",
            "© 2024 Khobor. All rights reserved.",
        ] {
            assert_eq!(detect(text), Detected::Other, "{text}");
            assert_eq!(convert_if_bijoy(text), None, "{text}");
        }
    }

    #[test]
    fn unicode_bengali_is_unicode() {
        for text in [
            "ঢাকায় আজ বৃষ্টি হয়েছে।",
            "প্রধানমন্ত্রী শেখ হাসিনা (Sheikh Hasina) বলেন",
            "র\u{200D}\u{09CD}যাবের অভিযান ২০২৪",
        ] {
            assert_eq!(detect(text), Detected::Unicode, "{text}");
            assert!(!looks_like_bijoy(text));
        }
    }

    #[test]
    fn bijoy_is_bijoy() {
        for (bijoy, unicode) in [
            ("evsjv‡`‡ki ivRavbx XvKv|", "বাংলাদেশের রাজধানী ঢাকা।"),
            ("miKvi bZyb wbqg Rvwi K‡i‡Q", "সরকার নতুন নিয়ম জারি করেছে"),
            ("Avgiv evsjv‡`‡ki gvbyl", "আমরা বাংলাদেশের মানুষ"),
            (
                "wZwb e‡jb, Ò‡`‡k wbe©vPb n‡e|Ó",
                "তিনি বলেন, “দেশে নির্বাচন হবে।”",
            ),
            ("Avgvi bvg", "আমার নাম"),
            // an English brand inside Bijoy does not tip it over
            ("Avwg GKwU iPhone wK‡bwQ", "আমি একটি iPhone কিনেছি"),
        ] {
            assert_eq!(detect(bijoy), Detected::Bijoy, "{bijoy}");
            let expected: String = unicode.nfc().collect();
            let converted = convert_if_bijoy(bijoy);
            if bijoy.contains("iPhone") {
                // the Latin letters are glyphs too: the converter cannot tell them apart
                assert!(converted.is_some());
            } else {
                assert_eq!(converted, Some(expected), "{bijoy}");
            }
        }
    }

    #[test]
    fn mixed_and_empty_text() {
        // mostly English with one Bijoy word: decided by the majority
        assert_eq!(
            detect("The word evsjv is how Bijoy writes the name of the language"),
            Detected::Other
        );
        // a dagger footnote in English
        assert_eq!(
            detect("Turnout was 41.8 per cent‡ according to the commission"),
            Detected::Other
        );
        // mostly Bijoy with Unicode Bengali left in a few places: still Bijoy
        assert_eq!(detect("‡`‡ki gvby‡li Rb¨ Kvq©µg ঢাকা"), Detected::Bijoy);
        assert_eq!(detect(""), Detected::Other);
        assert_eq!(detect("   \n"), Detected::Other);
        assert_eq!(detect("2024 12:30"), Detected::Other);
        // too little evidence in a lone ASCII-looking word (documented limit)
        assert_eq!(detect("Kiv"), Detected::Other);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;
        use unicode_normalization::is_nfc;

        const E_KAR_AA_KAR: &str = "\u{09C7}\u{09BE}";

        /// Bijoy-looking strings: ASCII and every cp1252 glyph, in any order.
        const GLYPHS: &str = "[ -~\u{A1}-\u{FF}‚ƒ„…†‡ˆ‰Š‹Œ‘’“”•–—˜™š›œŸ]{0,40}";

        proptest! {
            #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn never_panics_and_is_nfc_on_anything(s in any::<String>()) {
                let out = to_unicode(&s);
                prop_assert!(is_nfc(&out));
                let _ = detect(&s);
            }

            #[test]
            fn never_panics_and_is_nfc_on_glyph_soup(s in GLYPHS) {
                let out = to_unicode(&s);
                prop_assert!(is_nfc(&out));
                // every e-kar + aa-kar pair that ended up adjacent became ো
                prop_assert!(!out.contains(E_KAR_AA_KAR));
            }

            #[test]
            fn bytes_agree_with_text(bytes in proptest::collection::vec(any::<u8>(), 0..60)) {
                prop_assert_eq!(bytes_to_unicode(&bytes), to_unicode(&decode_cp1252(&bytes)));
            }
        }
    }
}
