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

/// The most-read lists: the site's, or one section's.
pub fn most_read(section_slug: Option<&str>) -> String {
    match section_slug {
        None => "/most-read".to_owned(),
        Some(slug) => format!("/most-read/{}", segment(slug)),
    }
}

pub fn archive(year: i32, month: u32, day: u32) -> String {
    format!("/archive/{year:04}/{month:02}/{day:02}")
}

/// A media object on this site: `/media/{name}` (what the store records and bodies keep).
pub fn media(name: &str) -> String {
    format!("/media/{name}")
}

/// Where readers fetch a media object given by its site path (`/media/{name}`): the same
/// path, or `{base}/{name}` when the site's `[media] base_url` (a CDN or the bucket's public
/// address) is set. Anything that is not a `/media/` path is returned as it is.
pub fn media_public(base: Option<&str>, path: &str) -> String {
    match (base, path.strip_prefix("/media/")) {
        (Some(base), Some(name)) => format!("{base}/{name}"),
        _ => path.to_owned(),
    }
}

/// Story HTML with every `/media/` address in its tags' attributes (`src`, `srcset`, `href`)
/// moved under `base` (see [`media_public`]); text between tags is left alone. Unchanged
/// without a base.
pub fn media_in_html(base: Option<&str>, html: &str) -> String {
    let Some(base) = base else {
        return html.to_owned();
    };
    if !html.contains("/media/") {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tag_end = rest[open..].find('>').map_or(rest.len(), |i| open + i + 1);
        let tag = &rest[open..tag_end];
        let mut moved = String::with_capacity(tag.len() + 64);
        let mut t = tag;
        while let Some(at) = t.find("/media/") {
            // Only an address that starts a value or a srcset entry.
            let before = t[..at].chars().next_back();
            let starts_value = matches!(before, Some('"') | Some('\'') | Some('='))
                || t[..at].ends_with(", ")
                || t[..at].ends_with(',');
            moved.push_str(&t[..at]);
            if starts_value {
                moved.push_str(base);
                moved.push('/');
            } else {
                moved.push_str("/media/");
            }
            t = &t[at + "/media/".len()..];
        }
        moved.push_str(t);
        out.push_str(&moved);
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

/// Where an old link made by hand leads: a story (by id) or a path on this site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    Story(i64),
    Path(String),
}

/// Paths Khobor itself answers under, which no old link may take over.
const OWN_PREFIXES: &[&str] = &["/newsroom", "/api/", "/static/", "/media/", "/.well-known/"];

/// An old link an admin typed, checked: the old path (as typed; stored under its
/// [`redirect_key`]) and where it leads — a story's id, or a path on this site (never another
/// site: an open redirect would lend the paper's name to anyone's link). Errors in Bengali.
pub fn check_old_link(from: &str, to: &str) -> Result<(String, LinkTarget), Vec<String>> {
    let mut errors = Vec::new();
    let from = from.trim();
    let to = to.trim();
    if !from.starts_with('/') || from.starts_with("//") || from == "/" {
        errors.push(
            "পুরোনো ঠিকানা / দিয়ে শুরু হবে, যেমন /2019/04/purono-khobor/ (সাইটের নাম ছাড়া)।".to_owned(),
        );
    } else if from.len() > 2000 || from.chars().any(char::is_whitespace) {
        errors.push("পুরোনো ঠিকানায় ফাঁকা জায়গা থাকবে না, আর তা ২০০০ অক্ষরের মধ্যে হবে।".to_owned());
    } else if OWN_PREFIXES.iter().any(|p| from.starts_with(p)) {
        errors.push("এই ঠিকানা খবর নিজেই ব্যবহার করে; এখান থেকে অন্য কোথাও পাঠানো যাবে না।".to_owned());
    }
    let target = match to.parse::<i64>() {
        Ok(id) if id > 0 => Some(LinkTarget::Story(id)),
        Ok(_) => None,
        Err(_)
            if to.starts_with('/')
                && !to.starts_with("//")
                && to.len() <= 2000
                && !to.chars().any(char::is_whitespace) =>
        {
            Some(LinkTarget::Path(to.to_owned()))
        }
        Err(_) => None,
    };
    if target.is_none() {
        errors.push(
            "নতুন ঠিকানা হবে খবরের আইডি (একটি সংখ্যা) বা এই সাইটের একটি পাতা, যেমন /tag/nirbachon।"
                .to_owned(),
        );
    }
    match target {
        Some(t) if errors.is_empty() => Ok((from.to_owned(), t)),
        _ => Err(errors),
    }
}

/// The key an old path is stored and looked up under, so that every way a browser may send
/// it finds it: percent-escapes decoded (upper- or lower-case hex alike), bytes that are not
/// UTF-8 after decoding (a slug cut mid-letter) written back as upper-case `%XX`, trailing
/// slashes dropped. `query` is kept only for WordPress's `?p=ID`, `?page_id=ID` and
/// `?attachment_id=ID` links.
pub fn redirect_key(path: &str, query: Option<&str>) -> String {
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(path).collect();
    let mut key = String::with_capacity(bytes.len());
    let mut rest = bytes.as_slice();
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                key.push_str(s);
                rest = &[];
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                key.push_str(std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len());
                for b in &bad[..n] {
                    key.push_str(&format!("%{b:02X}"));
                }
                rest = &bad[n..];
            }
        }
    }
    let trimmed = key.trim_end_matches('/');
    let mut key = if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    };
    if let Some(q) = query {
        let wanted = q.split('&').find(|kv| {
            kv.split_once('=').is_some_and(|(k, v)| {
                matches!(k, "p" | "page_id" | "attachment_id")
                    && !v.is_empty()
                    && v.bytes().all(|b| b.is_ascii_digit())
            })
        });
        if let Some(kv) = wanted {
            key.push('?');
            key.push_str(kv);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::{check_old_link, LinkTarget};

    #[test]
    fn an_old_link_leads_to_a_story_or_a_page_of_this_site_only() {
        assert_eq!(
            check_old_link(" /2019/04/25/purono/ ", "42").unwrap(),
            ("/2019/04/25/purono/".to_owned(), LinkTarget::Story(42))
        );
        assert_eq!(
            check_old_link("/?p=7", "/tag/nirbachon").unwrap().1,
            LinkTarget::Path("/tag/nirbachon".to_owned())
        );
        for (from, to) in [
            ("/old", "https://elsewhere.example/"),
            ("/old", "//elsewhere.example/"),
            ("old", "42"),
            ("/", "42"),
            ("/newsroom/login", "42"),
            ("/media/a.jpg", "42"),
            ("/old", "0"),
            ("/a b", "42"),
        ] {
            assert!(check_old_link(from, to).is_err(), "{from} → {to}");
        }
    }

    use super::media_in_html;

    #[test]
    fn body_media_moves_under_the_media_base_and_text_does_not() {
        let body = "<p>ছবি দেখুন /media/x.jpg</p><figure><picture><source type=\"image/webp\" \
                    srcset=\"/media/a-640.webp 640w, /media/a-1280.webp 1280w\"><img src=\"/media/a.jpg\" alt=\"\"></picture>\
                    </figure><a href=\"/media/a.jpg\">মূল ছবি</a><a href=\"https://x.example/media/y\">y</a>";
        let moved = media_in_html(Some("https://cdn.example/m"), body);
        assert_eq!(
            moved,
            "<p>ছবি দেখুন /media/x.jpg</p><figure><picture><source type=\"image/webp\" \
             srcset=\"https://cdn.example/m/a-640.webp 640w, https://cdn.example/m/a-1280.webp 1280w\"><img src=\"https://cdn.example/m/a.jpg\" alt=\"\"></picture>\
             </figure><a href=\"https://cdn.example/m/a.jpg\">মূল ছবি</a><a href=\"https://x.example/media/y\">y</a>"
        );
        assert_eq!(media_in_html(None, body), body);
    }

    use super::*;

    #[test]
    fn media_urls_follow_the_base_url() {
        assert_eq!(media("ab12.jpg"), "/media/ab12.jpg");
        assert_eq!(media_public(None, "/media/ab12.jpg"), "/media/ab12.jpg");
        assert_eq!(
            media_public(Some("https://cdn.example.com/m"), "/media/ab12-320.webp"),
            "https://cdn.example.com/m/ab12-320.webp"
        );
        assert_eq!(
            media_public(Some("https://cdn.example.com"), "/static/x.png"),
            "/static/x.png"
        );
    }

    #[test]
    fn bengali_slugs_are_percent_encoded_once() {
        assert_eq!(article("international", 42), "/international/42");
        assert_eq!(tag("ঢাকা"), "/tag/%E0%A6%A2%E0%A6%BE%E0%A6%95%E0%A6%BE");
        assert_eq!(section("a b/c"), "/a%20b%2Fc");
        assert_eq!(query_value("a&b=c d"), "a%26b%3Dc%20d");
        assert_eq!(query_value("http://x.test/a"), "http%3A%2F%2Fx.test%2Fa");
    }

    #[test]
    fn redirect_keys_agree_however_the_path_is_sent() {
        // রাজ and the first two bytes of ন: a WordPress slug cut mid-letter.
        let lower = "/%e0%a6%b0%e0%a6%be%e0%a6%9c-%e0%a6/";
        let key = redirect_key(lower, None);
        assert_eq!(key, "/রাজ-%E0%A6");
        assert_eq!(redirect_key(&lower.to_uppercase(), None), key);
        assert_eq!(redirect_key("/রাজ-%E0%A6", None), key);
        assert_eq!(
            redirect_key("/%E0%A6%B0%E0%A6%BE%E0%A6%9C-%e0%a6", None),
            key
        );
        assert_eq!(redirect_key("/old/path/", None), "/old/path");
        assert_eq!(redirect_key("/", Some("p=42&utm_source=x")), "/?p=42");
        assert_eq!(redirect_key("/", Some("s=x")), "/");
    }
}
