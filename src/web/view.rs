//! View models: what templates see. Dates are turned into Bengali text here (Gregorian and
//! Bangla calendar, Bengali digits, the paper's time zone), so templates only print.

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::{urls, Article, ArticleCard, Section};

/// A correction or update note as the story page, /corrections and the editor show it.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectionView {
    pub id: i64,
    pub kind: String,
    /// "সংশোধনী" or "হালনাগাদ".
    pub label: &'static str,
    pub note: String,
    #[serde(skip)]
    pub created_at: i64,
    pub at: DateView,
    pub headline: String,
    pub url: String,
}

impl CorrectionView {
    pub fn new(c: &crate::storage::corrections::Correction, tz: Tz, now: i64) -> CorrectionView {
        let kind = crate::domain::correction::CorrectionKind::parse(&c.kind)
            .unwrap_or(crate::domain::correction::CorrectionKind::Update);
        CorrectionView {
            id: c.id,
            kind: c.kind.clone(),
            label: kind.label(),
            note: c.note.clone(),
            created_at: c.created_at,
            at: DateView::new(c.created_at, tz, now),
            headline: c.headline.clone(),
            url: urls::article(&c.section_slug, c.article_id),
        }
    }
}

/// One moment, as a reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct DateView {
    /// RFC 3339 in the paper's zone, for `<time datetime>`.
    pub iso: String,
    /// "২৫ এপ্রিল ২০১৯"
    pub gregorian: String,
    /// "১২ বৈশাখ ১৪২৬"
    pub bangla: String,
    /// "বৃহস্পতিবার"
    pub weekday: String,
    /// "সকাল ১০:০০"
    pub clock: String,
    /// "৩ ঘণ্টা আগে", only within the last 24 hours.
    pub relative: Option<String>,
}

impl DateView {
    pub fn new(ts: i64, tz: Tz, now: i64) -> DateView {
        let utc =
            DateTime::<Utc>::from_timestamp(crate::domain::clamp_time(ts), 0).unwrap_or_default();
        let t = tz.from_utc_datetime(&utc.naive_utc());
        let (y, m, d) = (t.year(), t.month(), t.day());
        DateView {
            iso: t.to_rfc3339(),
            gregorian: bangla::calendar::gregorian_bn(y, m, d),
            bangla: bangla::calendar::BanglaDate::from_gregorian(y, m, d)
                .map(|b| b.to_bengali_string())
                .unwrap_or_default(),
            weekday: bangla::calendar::weekday_bn(y, m, d)
                .unwrap_or_default()
                .to_owned(),
            clock: bangla::time::clock_bn(t.hour(), t.minute()),
            relative: bangla::time::relative_bn(now - ts),
        }
    }
}

/// The calendar day `ts` falls on in the paper's zone.
pub fn local_date(ts: i64, tz: Tz) -> chrono::NaiveDate {
    let utc = DateTime::<Utc>::from_timestamp(crate::domain::clamp_time(ts), 0).unwrap_or_default();
    tz.from_utc_datetime(&utc.naive_utc()).date_naive()
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionView {
    pub id: i64,
    pub name: String,
    pub url: String,
}

impl From<&Section> for SectionView {
    fn from(s: &Section) -> SectionView {
        SectionView {
            id: s.id,
            name: s.name.clone(),
            url: urls::section(&s.slug),
        }
    }
}

/// A story in a list.
#[derive(Debug, Clone, Serialize)]
pub struct CardView {
    pub id: i64,
    pub url: String,
    pub headline: String,
    pub kicker: Option<String>,
    pub summary: Option<String>,
    pub section: SectionView,
    /// A local image path, or `None` for the section-coloured placeholder.
    pub image: Option<String>,
    /// Responsive variants of a library image.
    pub picture: Option<crate::domain::article::Picture>,
    pub date: DateView,
}

/// Only images served by Khobor itself are shown: a remote URL would let a third party see
/// every reader, and the Content-Security-Policy forbids it.
pub fn local_image(url: &Option<String>) -> Option<String> {
    url.as_ref()
        .filter(|u| u.starts_with('/') && !u.starts_with("//"))
        .cloned()
}

impl CardView {
    /// `media_base`: the site's `[media] base_url`, which library images are fetched under.
    pub fn new(c: &ArticleCard, tz: Tz, now: i64, media_base: Option<&str>) -> CardView {
        CardView {
            id: c.id,
            url: urls::article(&c.section.slug, c.id),
            headline: c.headline.clone(),
            kicker: c.kicker.clone(),
            summary: c.summary.clone(),
            section: SectionView::from(&c.section),
            image: local_image(&c.hero_url),
            picture: c.hero_picture.as_ref().map(|p| p.for_readers(media_base)),
            date: DateView::new(c.published_at, tz, now),
        }
    }

    pub fn list(
        cards: &[ArticleCard],
        tz: Tz,
        now: i64,
        media_base: Option<&str>,
    ) -> Vec<CardView> {
        cards
            .iter()
            .map(|c| CardView::new(c, tz, now, media_base))
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub name: String,
    pub url: String,
}

/// Everything the article page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    pub id: i64,
    pub url: String,
    pub canonical: String,
    pub headline: String,
    pub kicker: Option<String>,
    pub summary: Option<String>,
    pub description: String,
    /// The sanitised body with the agency credit closing its first paragraph, as papers print it.
    pub body_html: String,
    pub credit_line: Option<String>,
    pub signature: Option<String>,
    pub dateline: Option<String>,
    pub section: SectionView,
    pub tags: Vec<LinkView>,
    pub authors: Vec<LinkView>,
    pub image: Option<String>,
    pub picture: Option<crate::domain::article::Picture>,
    pub image_caption: Option<String>,
    pub image_credit: Option<String>,
    pub source_name: Option<String>,
    pub published: DateView,
    pub updated: Option<DateView>,
    pub share: Vec<ShareLink>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShareLink {
    pub network: &'static str,
    pub label: &'static str,
    pub href: String,
}

/// Plain share links: no third-party script runs on a Khobor page.
pub fn share_links(url: &str, title: &str) -> Vec<ShareLink> {
    let u = urls::query_value(url);
    let t = urls::query_value(title);
    vec![
        ShareLink {
            network: "facebook",
            label: "ফেসবুক",
            href: format!("https://www.facebook.com/sharer/sharer.php?u={u}"),
        },
        ShareLink {
            network: "messenger",
            label: "মেসেঞ্জার",
            href: format!("fb-messenger://share/?link={u}"),
        },
        ShareLink {
            network: "whatsapp",
            label: "হোয়াটসঅ্যাপ",
            href: format!("https://wa.me/?text={t}%20{u}"),
        },
        ShareLink {
            network: "x",
            label: "এক্স",
            href: format!("https://x.com/intent/post?url={u}&text={t}"),
        },
        ShareLink {
            network: "telegram",
            label: "টেলিগ্রাম",
            href: format!("https://t.me/share/url?url={u}&text={t}"),
        },
        ShareLink {
            network: "linkedin",
            label: "লিংকডইন",
            href: format!("https://www.linkedin.com/sharing/share-offsite/?url={u}"),
        },
        ShareLink {
            network: "email",
            label: "ইমেইল",
            href: format!("mailto:?subject={t}&body={u}"),
        },
    ]
}

/// Puts "খবর এএফপির।" at the end of the first paragraph, where Bangladeshi papers print it.
fn with_credit(body_html: &str, credit_line: Option<&str>) -> String {
    let Some(line) = credit_line else {
        return body_html.to_owned();
    };
    let credit = format!(
        " <span class=\"credit\">{}।</span>",
        html_escape::encode_text(line)
    );
    match body_html.find("</p>") {
        Some(at) => format!("{}{}{}", &body_html[..at], credit, &body_html[at..]),
        None => format!(
            "{body_html}<p class=\"credit\">{}।</p>",
            html_escape::encode_text(line)
        ),
    }
}

impl ArticleView {
    pub fn new(
        a: &Article,
        base_url: &str,
        tz: Tz,
        now: i64,
        media_base: Option<&str>,
    ) -> ArticleView {
        let url = urls::article(&a.section.slug, a.id);
        let canonical = format!("{base_url}{url}");
        let credit_line = a
            .credit
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .map(bangla::grammar::agency_credit_line);
        let published_at = a.published_at.unwrap_or(a.created_at);
        // An update is worth showing only if it came after publication.
        let updated =
            (a.updated_at > published_at + 60).then(|| DateView::new(a.updated_at, tz, now));
        ArticleView {
            id: a.id,
            share: share_links(&canonical, &a.headline),
            url,
            canonical,
            headline: a.headline.clone(),
            kicker: a.kicker.clone(),
            summary: a.summary.clone(),
            description: a.description(),
            body_html: urls::media_in_html(
                media_base,
                &with_credit(&a.body_html, credit_line.as_deref()),
            ),
            credit_line,
            signature: a.signature.clone(),
            dateline: a.dateline.clone(),
            section: SectionView::from(&a.section),
            tags: a
                .tags
                .iter()
                .map(|t| LinkView {
                    name: t.name.clone(),
                    url: urls::tag(&t.slug),
                })
                .collect(),
            authors: a
                .authors
                .iter()
                .map(|p| LinkView {
                    name: p.name.clone(),
                    url: urls::author(&p.slug),
                })
                .collect(),
            image: local_image(&a.hero_url),
            picture: a.hero_picture.as_ref().map(|p| p.for_readers(media_base)),
            image_caption: a.hero_caption.clone(),
            image_credit: a.hero_credit.clone(),
            source_name: a.source_name.clone(),
            published: DateView::new(published_at, tz, now),
            updated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_bengali_in_the_papers_zone() {
        // 2019-04-25 04:00 UTC is 10:00 in Dhaka.
        let d = DateView::new(1556164800, chrono_tz::Asia::Dhaka, 1556164800 + 3 * 3600);
        assert_eq!(d.gregorian, "২৫ এপ্রিল ২০১৯");
        assert_eq!(d.bangla, "১২ বৈশাখ ১৪২৬");
        assert_eq!(d.clock, "সকাল ১০:০০");
        assert_eq!(d.relative.as_deref(), Some("৩ ঘণ্টা আগে"));
        assert_eq!(d.iso, "2019-04-25T10:00:00+06:00");
        // 23:30 UTC on 24 April is already 25 April in Dhaka.
        let d = DateView::new(1556148600, chrono_tz::Asia::Dhaka, 0);
        assert_eq!(d.gregorian, "২৫ এপ্রিল ২০১৯");
        assert_eq!(d.relative, None);
    }

    #[test]
    fn credit_closes_the_first_paragraph() {
        let html = with_credit("<p>এক।</p>\n<p>দুই।</p>", Some("খবর এএফপির"));
        assert_eq!(
            html,
            "<p>এক। <span class=\"credit\">খবর এএফপির।</span></p>\n<p>দুই।</p>"
        );
    }
}

/// JSON to place inside HTML (a `<script type="application/ld+json">` block or an attribute):
/// `<`, `>` and `&` are written as `\u003c`, `\u003e`, `\u0026`, so no value can close the
/// element, open a comment (`<!--<script>` would put the parser in the escaped state and blank
/// the rest of the page) or form an entity; U+2028/U+2029 likewise, for older script parsers.
/// The JSON means the same to every reader of it. Templates use minijinja's `tojson`, which
/// escapes the same way.
pub fn json_in_html(value: &serde_json::Value) -> String {
    let json = value.to_string();
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod json_tests {
    #[test]
    fn json_in_html_cannot_leave_its_element_and_means_the_same() {
        let v = serde_json::json!({"headline": "শিরোনাম <!--<script> </script> & \u{2028}"});
        let out = super::json_in_html(&v);
        for bad in ["<", ">", "&", "\u{2028}"] {
            assert!(!out.contains(bad), "{out}");
        }
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, v);
    }
}
