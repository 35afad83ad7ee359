//! Places: Bangladesh's divisions (বিভাগ), districts (জেলা) and upazilas (উপজেলা) — the
//! built-in seed of the place taxonomy, what a place's names and slug may be, how a place is
//! written in the editor, and how what someone typed is read back as a place.
//!
//! A place's `path` is its slugs from the division down (`dhaka/gazipur/kaliganj`): unique,
//! and the tail of its reader page's address (`/country/dhaka/gazipur`).

use serde::Serialize;

use super::text::{clean_line, grapheme_len};

/// The seed: `=` division, `+` district, `-` upazila, then the English and Bengali names.
const BANGLADESH: &str = include_str!("geo/bangladesh.txt");

/// The longest name and slug a place may have.
pub const MAX_NAME: usize = 60;
pub const MAX_SLUG: usize = 60;
/// Places one story may carry.
pub const MAX_PLACES: usize = 10;
/// The reader pages' first segment (`/country/{division}/{district}`), the সারাদেশ section's slug.
pub const COUNTRY: &str = "country";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    Division,
    District,
    Upazila,
}

impl PlaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Division => "division",
            PlaceKind::District => "district",
            PlaceKind::Upazila => "upazila",
        }
    }

    pub fn parse(s: &str) -> Option<PlaceKind> {
        match s {
            "division" => Some(PlaceKind::Division),
            "district" => Some(PlaceKind::District),
            "upazila" => Some(PlaceKind::Upazila),
            _ => None,
        }
    }

    /// The kind of the places directly under this one.
    pub fn child(self) -> Option<PlaceKind> {
        match self {
            PlaceKind::Division => Some(PlaceKind::District),
            PlaceKind::District => Some(PlaceKind::Upazila),
            PlaceKind::Upazila => None,
        }
    }

    pub fn bn(self) -> &'static str {
        match self {
            PlaceKind::Division => "বিভাগ",
            PlaceKind::District => "জেলা",
            PlaceKind::Upazila => "উপজেলা",
        }
    }
}

/// A place as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub id: i64,
    pub kind: PlaceKind,
    pub parent_id: Option<i64>,
    pub path: String,
    pub slug: String,
    pub name_bn: String,
    pub name_en: String,
    pub position: i64,
}

impl Place {
    /// The path of the place's parent (`dhaka` for `dhaka/gazipur`).
    pub fn parent_path(&self) -> Option<&str> {
        self.path.rsplit_once('/').map(|(p, _)| p)
    }

    /// The division's slug and, below it, the district's: the parts of its reader page's path.
    pub fn url(&self) -> String {
        let segments: Vec<String> = self.path.split('/').map(super::urls::segment).collect();
        format!("/{COUNTRY}/{}", segments.join("/"))
    }
}

/// A place of the built-in seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedPlace {
    pub kind: PlaceKind,
    pub path: String,
    pub name_en: String,
    pub name_bn: String,
    /// Its order among its siblings.
    pub position: i64,
}

/// The built-in places, parents before their children.
pub fn builtin() -> Vec<SeedPlace> {
    let mut out = Vec::new();
    let (mut division, mut district) = (String::new(), String::new());
    let mut counts = [0i64; 3];
    for line in BANGLADESH.lines() {
        let Some((mark, rest)) = line.split_once(' ') else {
            continue;
        };
        let Some((en, bn)) = rest.split_once('\t') else {
            continue;
        };
        let slug = slug_of(en);
        let (kind, path, n) = match mark {
            "=" => {
                division = slug.clone();
                counts[1] = 0;
                (PlaceKind::Division, slug, 0)
            }
            "+" => {
                district = format!("{division}/{slug}");
                counts[2] = 0;
                (PlaceKind::District, district.clone(), 1)
            }
            "-" => (PlaceKind::Upazila, format!("{district}/{slug}"), 2),
            _ => continue,
        };
        counts[n] += 1;
        out.push(SeedPlace {
            kind,
            path,
            name_en: clean_line(en),
            name_bn: clean_line(bn),
            position: counts[n],
        });
    }
    out
}

/// A slug from an English name: lower-case ASCII letters and digits, words joined by `-`
/// (`Cox's Bazar` → `coxs-bazar`).
pub fn slug_of(english: &str) -> String {
    let mut slug = String::new();
    for c in english.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '’' {
            continue;
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Why a slug can't be used, worded for the newsroom; `None` if it can.
pub fn slug_problem(slug: &str) -> Option<String> {
    if slug.is_empty() {
        return Some("স্লাগ লিখুন (ইংরেজি ছোট হাতের অক্ষর, অঙ্ক ও -)।".into());
    }
    if slug.len() > MAX_SLUG {
        return Some(format!("স্লাগ সর্বোচ্চ {MAX_SLUG} অক্ষর।"));
    }
    let allowed = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !allowed || slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
        return Some("স্লাগে শুধু ইংরেজি ছোট হাতের অক্ষর, অঙ্ক ও মাঝে - চলে।".into());
    }
    if slug.bytes().all(|b| b.is_ascii_digit()) {
        // `/country/123` is a story in সারাদেশ, never a place.
        return Some("স্লাগ শুধু অঙ্ক দিয়ে হতে পারে না।".into());
    }
    None
}

/// The names of a place as typed, cleaned; or what is wrong with them.
pub fn check_names(bn: &str, en: &str) -> Result<(String, String), String> {
    let (bn, en) = (clean_line(bn), clean_line(en));
    if bn.is_empty() || en.is_empty() {
        return Err("বাংলা ও ইংরেজি দুই নামই লিখুন।".into());
    }
    if grapheme_len(&bn) > MAX_NAME || grapheme_len(&en) > MAX_NAME {
        return Err(format!("নাম সর্বোচ্চ {MAX_NAME} অক্ষর।"));
    }
    if bn.contains([',', '(', ')', '/']) || en.contains([',', '(', ')', '/']) {
        return Err("নামে কমা, বন্ধনী বা / চলে না।".into());
    }
    Ok((bn, en))
}

/// How the editor writes a place: a district by its name, a division as `ঢাকা বিভাগ`, an
/// upazila with its district, `কালীগঞ্জ (গাজীপুর)` (four districts have a কালীগঞ্জ).
pub fn label(place: &Place, parent: Option<&Place>) -> String {
    label_of(
        place.kind,
        &place.name_bn,
        parent.map(|p| p.name_bn.as_str()),
    )
}

/// [`label`] from a place's kind, Bengali name and its parent's.
pub fn label_of(kind: PlaceKind, name_bn: &str, parent_bn: Option<&str>) -> String {
    match (kind, parent_bn) {
        (PlaceKind::Division, _) => format!("{name_bn} বিভাগ"),
        (PlaceKind::District, _) | (PlaceKind::Upazila, None) => name_bn.to_owned(),
        (PlaceKind::Upazila, Some(d)) => format!("{name_bn} ({d})"),
    }
}

/// Reads what someone typed for one place — a label as [`label`] writes it, the English name,
/// or a path — against every place. A bare name is a district's before an upazila's; an
/// upazila whose name several districts have needs its district in brackets.
pub fn resolve<'a>(places: &'a [Place], typed: &str) -> Result<&'a Place, String> {
    let typed = clean_line(typed);
    let same = |a: &str, b: &str| a == b || a.eq_ignore_ascii_case(b);
    let named = |p: &Place, name: &str| same(&p.name_bn, name) || same(&p.name_en, name);
    if let Some(p) = places.iter().find(|p| p.path == typed) {
        return Ok(p);
    }
    let by_id = |id: Option<i64>| id.and_then(|id| places.iter().find(|p| p.id == id));
    // `নাম (জেলা)`
    if let Some((name, parent)) = typed
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once('('))
        .map(|(n, p)| (n.trim(), p.trim()))
    {
        let found: Vec<&Place> = places
            .iter()
            .filter(|p| named(p, name) && by_id(p.parent_id).is_some_and(|d| named(d, parent)))
            .collect();
        return match found.as_slice() {
            [one] => Ok(one),
            [] => Err(format!("‘{typed}’ নামে কোনো স্থান নেই।")),
            _ => Err(format!("‘{typed}’ একাধিক স্থানের নাম।")),
        };
    }
    // `নাম বিভাগ` / `Name Division`
    let division = typed
        .strip_suffix("বিভাগ")
        .or_else(|| typed.strip_suffix(" Division"))
        .or_else(|| typed.strip_suffix(" division"))
        .map(str::trim);
    if let Some(name) = division {
        if let Some(p) = places
            .iter()
            .find(|p| p.kind == PlaceKind::Division && named(p, name))
        {
            return Ok(p);
        }
    }
    for kind in [PlaceKind::District, PlaceKind::Upazila, PlaceKind::Division] {
        let found: Vec<&Place> = places
            .iter()
            .filter(|p| p.kind == kind && named(p, &typed))
            .collect();
        match found.as_slice() {
            [] => continue,
            [one] => return Ok(one),
            several => {
                let example = several
                    .first()
                    .map(|p| label(p, by_id(p.parent_id)))
                    .unwrap_or_default();
                return Err(format!(
                    "‘{typed}’ নামে {}টি {}; জেলাসহ লিখুন, যেমন ‘{example}’।",
                    bangla::digits::to_bengali_digits(&several.len().to_string()),
                    kind.bn()
                ));
            }
        }
    }
    Err(format!("‘{typed}’ নামে কোনো স্থান নেই।"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn stored() -> Vec<Place> {
        let seed = builtin();
        let ids: std::collections::HashMap<&str, i64> = seed
            .iter()
            .enumerate()
            .map(|(i, s)| (s.path.as_str(), i as i64 + 1))
            .collect();
        seed.iter()
            .enumerate()
            .map(|(i, s)| Place {
                id: i as i64 + 1,
                kind: s.kind,
                parent_id: s.path.rsplit_once('/').map(|(parent, _)| ids[parent]),
                path: s.path.clone(),
                slug: s.path.rsplit('/').next().unwrap_or_default().to_owned(),
                name_bn: s.name_bn.clone(),
                name_en: s.name_en.clone(),
                position: s.position,
            })
            .collect()
    }

    #[test]
    fn the_seed_is_the_country_as_it_is_divided() {
        let seed = builtin();
        let count = |k| seed.iter().filter(|s| s.kind == k).count();
        assert_eq!(count(PlaceKind::Division), 8);
        assert_eq!(count(PlaceKind::District), 64);
        assert_eq!(count(PlaceKind::Upazila), 494);
        let paths: HashSet<&str> = seed.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths.len(), seed.len(), "every path is unique");
        for s in &seed {
            if let Some((parent, slug)) = s.path.rsplit_once('/') {
                assert!(paths.contains(parent), "{} has its parent", s.path);
                assert_eq!(slug_problem(slug), None, "{}", s.path);
            }
            assert!(check_names(&s.name_bn, &s.name_en).is_ok(), "{}", s.path);
            assert!(
                s.name_bn
                    .chars()
                    .any(|c| ('\u{0980}'..='\u{09FF}').contains(&c)),
                "{} has a Bengali name",
                s.path
            );
            assert_eq!(s.name_bn, crate::domain::text::nfc(&s.name_bn));
        }
        let dhaka = seed.iter().find(|s| s.path == "dhaka/gazipur").unwrap();
        assert_eq!(
            (dhaka.name_bn.as_str(), dhaka.name_en.as_str()),
            ("গাজীপুর", "Gazipur")
        );
        assert!(paths.contains("chattogram/coxs-bazar/teknaf"));
        assert!(paths.contains("rajshahi/chapai-nawabganj"));
    }

    #[test]
    fn slugs_are_plain_and_never_a_story_number() {
        assert_eq!(slug_of("Cox's Bazar Sadar"), "coxs-bazar-sadar");
        assert_eq!(slug_of("  Char  Rajibpur "), "char-rajibpur");
        assert!(slug_problem("dhaka").is_none());
        for bad in [
            "",
            "Dhaka",
            "ঢাকা",
            "-a",
            "a--b",
            "a/b",
            "123",
            &"a".repeat(61),
        ] {
            assert!(slug_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn what_the_editor_types_is_read_back_as_the_place_it_names() {
        let places = stored();
        let path = |typed: &str| resolve(&places, typed).map(|p| p.path.clone());
        // A label as the editor writes it reads back as the same place, for every place.
        for p in &places {
            let parent = p
                .parent_id
                .and_then(|id| places.iter().find(|x| x.id == id));
            assert_eq!(path(&label(p, parent)).as_deref(), Ok(p.path.as_str()));
        }
        assert_eq!(path("গাজীপুর").unwrap(), "dhaka/gazipur");
        assert_eq!(path(" gazipur ").unwrap(), "dhaka/gazipur");
        // ঢাকা is a district and a division: the bare name is the district.
        assert_eq!(path("ঢাকা").unwrap(), "dhaka/dhaka");
        assert_eq!(path("ঢাকা বিভাগ").unwrap(), "dhaka");
        assert_eq!(path("Dhaka Division").unwrap(), "dhaka");
        assert_eq!(path("টেকনাফ").unwrap(), "chattogram/coxs-bazar/teknaf");
        assert_eq!(path("কালীগঞ্জ (গাজীপুর)").unwrap(), "dhaka/gazipur/kaliganj");
        assert_eq!(
            path("dhaka/gazipur/kaliganj").unwrap(),
            "dhaka/gazipur/kaliganj"
        );
        let ambiguous = path("কালীগঞ্জ").unwrap_err();
        assert!(ambiguous.contains("জেলাসহ লিখুন"), "{ambiguous}");
        assert!(path("আটলান্টিস").unwrap_err().contains("কোনো স্থান নেই"));
        assert!(path("কালীগঞ্জ (ফেনী)").is_err());
    }

    #[test]
    fn a_place_page_is_under_country() {
        let places = stored();
        let p = places.iter().find(|p| p.path == "dhaka/gazipur").unwrap();
        assert_eq!(p.url(), "/country/dhaka/gazipur");
        assert_eq!(p.parent_path(), Some("dhaka"));
    }
}
