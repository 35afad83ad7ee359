//! The shape of Khobor's public URLs, in one place: pages, feeds, sitemaps and the API all
//! build links through these functions, so a link and the route that answers it can't drift.
//! Slugs may be Bengali; paths are percent-encoded exactly as a browser would send them.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};

/// Characters escaped in one path segment (RFC 3986 `pchar` is kept readable).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Characters escaped in a query value: everything but RFC 3986's unreserved characters, so a
/// URL passed as a parameter (share links) arrives whole.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

pub fn query_value(s: &str) -> String {
    utf8_percent_encode(s, QUERY).to_string()
}

pub fn article(section_slug: &str, id: i64) -> String {
    format!("/{}/{id}", segment(section_slug))
}

pub fn section(slug: &str) -> String {
    format!("/{}", segment(slug))
}

pub fn tag(slug: &str) -> String {
    format!("/tag/{}", segment(slug))
}

pub fn author(slug: &str) -> String {
    format!("/author/{}", segment(slug))
}

pub fn archive(year: i32, month: u32, day: u32) -> String {
    format!("/archive/{year:04}/{month:02}/{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bengali_slugs_are_percent_encoded_once() {
        assert_eq!(article("international", 42), "/international/42");
        assert_eq!(tag("ঢাকা"), "/tag/%E0%A6%A2%E0%A6%BE%E0%A6%95%E0%A6%BE");
        assert_eq!(section("a b/c"), "/a%20b%2Fc");
        assert_eq!(query_value("a&b=c d"), "a%26b%3Dc%20d");
        assert_eq!(query_value("http://x.test/a"), "http%3A%2F%2Fx.test%2Fa");
    }
}
