//! Pure types and rules of the newsroom: articles, sections, tags, authors and the status
//! machine. Imports no database, HTTP or async crate.

pub mod article;
pub mod bijoy;
pub mod breaking;
pub mod correction;
pub mod diff;
pub mod geo;
pub mod live;
pub mod newsroom;
pub mod story;
pub mod text;
pub mod throttle;
pub mod urls;
pub mod views;
pub mod webhook;
pub mod wire;

pub use article::{Article, ArticleCard, Author, Section, Status, StoryLead, Tag};
pub use newsroom::{Action, Role, Transition};

/// The years a stored time may fall in. Dates outside them are refused on the way in: a year
/// past 9999 has no RFC 3339 spelling (feeds would carry `+10000-…` or fail to render), and no
/// news story is dated before 1900.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2199;
/// A century of minutes: the most `age_minutes` an import line may give.
pub const MAX_AGE_MINUTES: i64 = 100 * 366 * 24 * 60;

/// Whether Unix seconds `t` fall within [`FIRST_YEAR`]..=[`LAST_YEAR`] (UTC).
pub fn in_time_range(t: i64) -> bool {
    // 1900-01-01T00:00:00Z and 2200-01-01T00:00:00Z.
    (-2_208_988_800..7_258_118_400).contains(&t)
}

/// `t` moved into the range, for showing times stored before the range was enforced: a feed
/// or page must render whatever is in the store.
pub fn clamp_time(t: i64) -> i64 {
    t.clamp(-2_208_988_800, 7_258_118_399)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_time_range_is_the_years_it_names() {
        use chrono::{Datelike, TimeZone, Utc};
        let first = Utc
            .with_ymd_and_hms(super::FIRST_YEAR, 1, 1, 0, 0, 0)
            .unwrap();
        let after = Utc
            .with_ymd_and_hms(super::LAST_YEAR + 1, 1, 1, 0, 0, 0)
            .unwrap();
        assert!(super::in_time_range(first.timestamp()));
        assert!(!super::in_time_range(first.timestamp() - 1));
        assert!(super::in_time_range(after.timestamp() - 1));
        assert!(!super::in_time_range(after.timestamp()));
        assert_eq!(after.year(), 2200);
    }
}
