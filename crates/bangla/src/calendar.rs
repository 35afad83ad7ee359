//! Calendar dates for Bengali readers: Gregorian dates and weekdays in Bengali, and the
//! Bangladesh Bangla calendar (বঙ্গাব্দ) under the 2019 revision, applied proleptically.
//!
//! Under the 2019 revision every Bangla month starts on the same Gregorian date each year
//! (1 বৈশাখ = 14 April, 1 পৌষ = 16 December, 1 চৈত্র = 15 March, …); only ফাল্গুন changes
//! length, gaining a 30th day when its Gregorian year has a 29 February.

use crate::digits::bn_number;

/// Bangla month names, index 0 = বৈশাখ.
pub const BANGLA_MONTHS: [&str; 12] = [
    "বৈশাখ",
    "জ্যৈষ্ঠ",
    "আষাঢ়",
    "শ্রাবণ",
    "ভাদ্র",
    "আশ্বিন",
    "কার্তিক",
    "অগ্রহায়ণ",
    "পৌষ",
    "মাঘ",
    "ফাল্গুন",
    "চৈত্র",
];

/// Gregorian month names in Bengali, index 0 = January.
pub const GREGORIAN_MONTHS_BN: [&str; 12] = [
    "জানুয়ারি",
    "ফেব্রুয়ারি",
    "মার্চ",
    "এপ্রিল",
    "মে",
    "জুন",
    "জুলাই",
    "আগস্ট",
    "সেপ্টেম্বর",
    "অক্টোবর",
    "নভেম্বর",
    "ডিসেম্বর",
];

/// Weekday names in Bengali, index 0 = Monday (ISO order).
pub const WEEKDAYS_BN: [&str; 7] = [
    "সোমবার",
    "মঙ্গলবার",
    "বুধবার",
    "বৃহস্পতিবার",
    "শুক্রবার",
    "শনিবার",
    "রবিবার",
];

/// Month of ফাল্গুন, the only month whose length varies.
const FALGUN: u8 = 11;

/// A date in the revised (2019) Bangladesh Bangla calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BanglaDate {
    /// Bangla year (বঙ্গাব্দ), e.g. 1431.
    pub year: i32,
    /// 1 = বৈশাখ … 12 = চৈত্র.
    pub month: u8,
    /// Day of the month, starting at 1.
    pub day: u8,
}

impl BanglaDate {
    /// Converts a proleptic Gregorian date; `None` if the Gregorian date does not exist or
    /// the Bangla year would not fit in an `i32`.
    pub fn from_gregorian(year: i32, month: u32, day: u32) -> Option<BanglaDate> {
        if !is_valid_gregorian(year, month, day) {
            return None;
        }
        let year = i64::from(year);
        // The Bangla year begins on 14 April, so dates before it belong to the year that
        // began in the previous Gregorian year.
        let start = if (month, day) >= (4, 14) {
            year
        } else {
            year - 1
        };
        let mut offset = days_from_civil(year, month, day) - days_from_civil(start, 4, 14);
        let bangla_year = i32::try_from(start - 593).ok()?;
        for m in 1..=12u8 {
            let len = i64::from(month_len(bangla_year, m)?);
            if offset < len {
                let day = u8::try_from(offset + 1).ok()?;
                return Some(BanglaDate {
                    year: bangla_year,
                    month: m,
                    day,
                });
            }
            offset -= len;
        }
        None
    }

    /// The proleptic Gregorian date `(year, month, day)` of this Bangla date; `None` if the
    /// Bangla date does not exist (e.g. ৩১ কার্তিক) or the result would not fit in an `i32`.
    pub fn to_gregorian(&self) -> Option<(i32, u32, u32)> {
        let len = month_len(self.year, self.month)?;
        if self.day == 0 || self.day > len {
            return None;
        }
        let mut days = days_from_civil(i64::from(self.year) + 593, 4, 14);
        for m in 1..self.month {
            days += i64::from(month_len(self.year, m)?);
        }
        days += i64::from(self.day) - 1;
        let (y, m, d) = civil_from_days(days);
        Some((i32::try_from(y).ok()?, m, d))
    }

    /// The Bengali name of the month, e.g. `"বৈশাখ"`; empty if `month` is outside 1..=12
    /// (the fields are public, so a caller can build such a value).
    pub fn month_name(&self) -> &'static str {
        usize::from(self.month)
            .checked_sub(1)
            .and_then(|i| BANGLA_MONTHS.get(i))
            .copied()
            .unwrap_or("")
    }

    /// Day, month name and year in Bengali, e.g. `"১২ বৈশাখ ১৪২৬"`.
    pub fn to_bengali_string(&self) -> String {
        format!(
            "{} {} {}",
            bn_number(i64::from(self.day)),
            self.month_name(),
            bn_number(i64::from(self.year))
        )
    }
}

/// Number of days in `month` (1..=12) of Bangla year `year`; `None` for a month outside 1..=12.
pub fn bangla_month_len(year: i32, month: u8) -> Option<u8> {
    month_len(year, month)
}

fn month_len(bangla_year: i32, month: u8) -> Option<u8> {
    match month {
        1..=6 => Some(31),
        7..=10 => Some(30),
        // ফাল্গুন of Bangla year Y runs 14 February – 14 March of Gregorian year Y + 594.
        FALGUN => Some(if is_leap_i64(i64::from(bangla_year) + 594) {
            30
        } else {
            29
        }),
        12 => Some(30),
        _ => None,
    }
}

/// A Gregorian date in Bengali: `"২৫ এপ্রিল ২০১৯"`. Empty if the date does not exist, so a
/// bad date shows up as a gap rather than as a plausible wrong date.
pub fn gregorian_bn(year: i32, month: u32, day: u32) -> String {
    if !is_valid_gregorian(year, month, day) {
        return String::new();
    }
    let name = month
        .checked_sub(1)
        .and_then(|i| GREGORIAN_MONTHS_BN.get(i as usize))
        .copied()
        .unwrap_or("");
    format!(
        "{} {} {}",
        bn_number(i64::from(day)),
        name,
        bn_number(i64::from(year))
    )
}

/// Weekday index of a Gregorian date, 0 = Monday … 6 = Sunday; `None` if the date does not exist.
pub fn weekday_index(year: i32, month: u32, day: u32) -> Option<usize> {
    if !is_valid_gregorian(year, month, day) {
        return None;
    }
    // Day 0 of `days_from_civil` is 1970-01-01, a Thursday (index 3).
    let idx = (days_from_civil(i64::from(year), month, day) + 3).rem_euclid(7);
    usize::try_from(idx).ok()
}

/// The Bengali weekday name of a Gregorian date; `None` if the date does not exist.
pub fn weekday_bn(year: i32, month: u32, day: u32) -> Option<&'static str> {
    weekday_index(year, month, day).and_then(|i| WEEKDAYS_BN.get(i).copied())
}

/// Whether `year` is a leap year in the proleptic Gregorian calendar (year 0 is a leap year).
pub fn is_gregorian_leap(year: i32) -> bool {
    is_leap_i64(i64::from(year))
}

fn is_leap_i64(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Number of days in a Gregorian month; `None` for a month outside 1..=12.
pub fn gregorian_days_in_month(year: i32, month: u32) -> Option<u32> {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 => Some(if is_gregorian_leap(year) { 29 } else { 28 }),
        _ => None,
    }
}

/// Whether `(year, month, day)` names a real proleptic Gregorian date.
pub fn is_valid_gregorian(year: i32, month: u32, day: u32) -> bool {
    gregorian_days_in_month(year, month).is_some_and(|len| (1..=len).contains(&day))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
/// Works in `i64` so that every `i32` year is in range; the caller validates the date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Counting from March puts the leap day at the end of the (shifted) year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both values are small and positive by construction of the algorithm.
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn bd(year: i32, month: u8, day: u8) -> BanglaDate {
        BanglaDate { year, month, day }
    }

    fn is_nfc(s: &str) -> bool {
        s.nfc().collect::<String>() == s
    }

    #[test]
    fn names_are_exact() {
        assert_eq!(
            BANGLA_MONTHS.join(" "),
            "বৈশাখ জ্যৈষ্ঠ আষাঢ় শ্রাবণ ভাদ্র আশ্বিন কার্তিক অগ্রহায়ণ পৌষ মাঘ ফাল্গুন চৈত্র"
        );
        assert_eq!(
            GREGORIAN_MONTHS_BN.join(" "),
            "জানুয়ারি ফেব্রুয়ারি মার্চ এপ্রিল মে জুন জুলাই আগস্ট সেপ্টেম্বর অক্টোবর নভেম্বর ডিসেম্বর"
        );
        assert_eq!(
            WEEKDAYS_BN.join(" "),
            "সোমবার মঙ্গলবার বুধবার বৃহস্পতিবার শুক্রবার শনিবার রবিবার"
        );
    }

    #[test]
    fn every_name_is_nfc() {
        for s in BANGLA_MONTHS
            .iter()
            .chain(GREGORIAN_MONTHS_BN.iter())
            .chain(WEEKDAYS_BN.iter())
        {
            assert!(is_nfc(s), "{s:?} is not NFC");
        }
    }

    #[test]
    fn nukta_letters_are_decomposed() {
        // NFC excludes the precomposed ড় ঢ় য় (U+09DC, U+09DD, U+09DF) from composition.
        let all: String = BANGLA_MONTHS.concat() + &GREGORIAN_MONTHS_BN.concat();
        assert!(!all.contains(['\u{9DC}', '\u{9DD}', '\u{9DF}']));
        assert_eq!(BANGLA_MONTHS[2], "আষা\u{9A2}\u{9BC}");
        assert_eq!(GREGORIAN_MONTHS_BN[0], "জানু\u{9AF}\u{9BC}ারি");
    }

    #[test]
    fn known_answers() {
        let cases = [
            ((2019, 4, 25), "১২ বৈশাখ ১৪২৬"),
            ((2022, 12, 16), "১ পৌষ ১৪২৯"),
            ((2024, 4, 14), "১ বৈশাখ ১৪৩১"),
            ((2024, 4, 13), "৩০ চৈত্র ১৪৩০"),
            ((2024, 2, 21), "৮ ফাল্গুন ১৪৩০"),
            ((2024, 2, 29), "১৬ ফাল্গুন ১৪৩০"),
            ((2024, 3, 14), "৩০ ফাল্গুন ১৪৩০"),
            ((2021, 3, 26), "১২ চৈত্র ১৪২৭"),
            ((1971, 12, 16), "১ পৌষ ১৩৭৮"),
            ((1971, 3, 26), "১২ চৈত্র ১৩৭৭"),
            ((1952, 2, 21), "৮ ফাল্গুন ১৩৫৮"),
        ];
        for ((y, m, d), want) in cases {
            let got = BanglaDate::from_gregorian(y, m, d)
                .map(|b| b.to_bengali_string())
                .unwrap_or_default();
            assert_eq!(got, want, "{y}-{m}-{d}");
            assert!(is_nfc(&got));
        }
    }

    #[test]
    fn fourteen_march_in_a_non_leap_year_is_the_last_of_falgun() {
        // Under the stated rules a 29-day ফাল্গুন starting 14 February ends on 14 March, and
        // চৈত্র always starts on 15 March (which is also what makes 26 March = ১২ চৈত্র).
        assert_eq!(
            BanglaDate::from_gregorian(2023, 3, 14),
            Some(bd(1429, 11, 29))
        );
        assert_eq!(
            BanglaDate::from_gregorian(2023, 3, 15),
            Some(bd(1429, 12, 1))
        );
    }

    #[test]
    fn every_month_boundary_in_a_leap_and_a_non_leap_year() {
        // 1430 has its ফাল্গুন in February 2024 (leap); 1431 in February 2025 (not leap).
        let table = [
            ((2023, 4, 13), (1429, 12, 30)),
            ((2023, 4, 14), (1430, 1, 1)),
            ((2023, 5, 14), (1430, 1, 31)),
            ((2023, 5, 15), (1430, 2, 1)),
            ((2023, 6, 14), (1430, 2, 31)),
            ((2023, 6, 15), (1430, 3, 1)),
            ((2023, 7, 15), (1430, 3, 31)),
            ((2023, 7, 16), (1430, 4, 1)),
            ((2023, 8, 15), (1430, 4, 31)),
            ((2023, 8, 16), (1430, 5, 1)),
            ((2023, 9, 15), (1430, 5, 31)),
            ((2023, 9, 16), (1430, 6, 1)),
            ((2023, 10, 16), (1430, 6, 31)),
            ((2023, 10, 17), (1430, 7, 1)),
            ((2023, 11, 15), (1430, 7, 30)),
            ((2023, 11, 16), (1430, 8, 1)),
            ((2023, 12, 15), (1430, 8, 30)),
            ((2023, 12, 16), (1430, 9, 1)),
            ((2024, 1, 14), (1430, 9, 30)),
            ((2024, 1, 15), (1430, 10, 1)),
            ((2024, 2, 13), (1430, 10, 30)),
            ((2024, 2, 14), (1430, 11, 1)),
            ((2024, 3, 14), (1430, 11, 30)),
            ((2024, 3, 15), (1430, 12, 1)),
            ((2024, 4, 13), (1430, 12, 30)),
            ((2024, 4, 14), (1431, 1, 1)),
            ((2024, 5, 14), (1431, 1, 31)),
            ((2024, 5, 15), (1431, 2, 1)),
            ((2024, 6, 14), (1431, 2, 31)),
            ((2024, 6, 15), (1431, 3, 1)),
            ((2024, 7, 15), (1431, 3, 31)),
            ((2024, 7, 16), (1431, 4, 1)),
            ((2024, 8, 15), (1431, 4, 31)),
            ((2024, 8, 16), (1431, 5, 1)),
            ((2024, 9, 15), (1431, 5, 31)),
            ((2024, 9, 16), (1431, 6, 1)),
            ((2024, 10, 16), (1431, 6, 31)),
            ((2024, 10, 17), (1431, 7, 1)),
            ((2024, 11, 15), (1431, 7, 30)),
            ((2024, 11, 16), (1431, 8, 1)),
            ((2024, 12, 15), (1431, 8, 30)),
            ((2024, 12, 16), (1431, 9, 1)),
            ((2025, 1, 14), (1431, 9, 30)),
            ((2025, 1, 15), (1431, 10, 1)),
            ((2025, 2, 13), (1431, 10, 30)),
            ((2025, 2, 14), (1431, 11, 1)),
            ((2025, 3, 14), (1431, 11, 29)),
            ((2025, 3, 15), (1431, 12, 1)),
            ((2025, 4, 13), (1431, 12, 30)),
            ((2025, 4, 14), (1432, 1, 1)),
        ];
        for ((y, m, d), (by, bm, bday)) in table {
            assert_eq!(
                BanglaDate::from_gregorian(y, m, d),
                Some(bd(by, bm, bday)),
                "{y}-{m}-{d}"
            );
            assert_eq!(bd(by, bm, bday).to_gregorian(), Some((y, m, d)));
        }
    }

    #[test]
    fn year_boundaries() {
        for (y, last, first) in [(2019, 1425, 1426), (2000, 1406, 1407), (1971, 1377, 1378)] {
            assert_eq!(BanglaDate::from_gregorian(y, 4, 13), Some(bd(last, 12, 30)));
            assert_eq!(BanglaDate::from_gregorian(y, 4, 14), Some(bd(first, 1, 1)));
        }
    }

    #[test]
    fn last_day_of_falgun() {
        // Leap Gregorian years give a 30-day ফাল্গুন, including the 400-year exception 2000.
        for (y, by, last) in [
            (2024, 1430, 30),
            (2000, 1406, 30),
            (2023, 1429, 29),
            (2025, 1431, 29),
            (1900, 1306, 29),
            (2100, 1506, 29),
        ] {
            assert_eq!(
                BanglaDate::from_gregorian(y, 3, 14),
                Some(bd(by, 11, last)),
                "{y}"
            );
            assert_eq!(bangla_month_len(by, 11), Some(last));
        }
        assert_eq!(bd(1429, 11, 30).to_gregorian(), None);
        assert_eq!(bd(1430, 11, 30).to_gregorian(), Some((2024, 3, 14)));
    }

    #[test]
    fn new_year_crossing_stays_in_poush() {
        assert_eq!(
            BanglaDate::from_gregorian(2023, 12, 31),
            Some(bd(1430, 9, 16))
        );
        assert_eq!(
            BanglaDate::from_gregorian(2024, 1, 1),
            Some(bd(1430, 9, 17))
        );
        assert_eq!(
            BanglaDate::from_gregorian(2024, 12, 31),
            Some(bd(1431, 9, 16))
        );
        assert_eq!(
            BanglaDate::from_gregorian(2025, 1, 1),
            Some(bd(1431, 9, 17))
        );
    }

    #[test]
    fn invalid_gregorian_dates_are_rejected() {
        for (y, m, d) in [
            (2023, 2, 29),
            (1900, 2, 29),
            (2024, 2, 30),
            (2024, 4, 31),
            (2024, 0, 1),
            (2024, 13, 1),
            (2024, 1, 0),
            (2024, 1, 32),
        ] {
            assert_eq!(BanglaDate::from_gregorian(y, m, d), None, "{y}-{m}-{d}");
            assert_eq!(weekday_bn(y, m, d), None);
            assert_eq!(gregorian_bn(y, m, d), "");
        }
        assert!(BanglaDate::from_gregorian(2000, 2, 29).is_some());
    }

    #[test]
    fn extreme_years_do_not_panic() {
        assert_eq!(
            BanglaDate::from_gregorian(i32::MAX, 12, 31).map(|b| b.year),
            Some(i32::MAX - 593)
        );
        // 1 January of i32::MIN belongs to a Bangla year below i32::MIN - 593.
        assert_eq!(BanglaDate::from_gregorian(i32::MIN, 1, 1), None);
        assert!(weekday_bn(i32::MIN, 1, 1).is_some());
        assert!(weekday_bn(i32::MAX, 12, 31).is_some());
        assert_eq!(bd(i32::MAX, 12, 30).to_gregorian(), None);
        assert_eq!(bd(1430, 0, 1).to_gregorian(), None);
        assert_eq!(bd(1430, 13, 1).to_gregorian(), None);
        assert_eq!(bd(1430, 1, 0).to_gregorian(), None);
        assert_eq!(bd(1430, 7, 31).to_gregorian(), None);
    }

    #[test]
    fn month_name_handles_out_of_range_fields() {
        assert_eq!(bd(1431, 1, 1).month_name(), "বৈশাখ");
        assert_eq!(bd(1431, 12, 1).month_name(), "চৈত্র");
        assert_eq!(bd(1431, 0, 1).month_name(), "");
        assert_eq!(bd(1431, 13, 1).month_name(), "");
    }

    #[test]
    fn gregorian_in_bengali() {
        assert_eq!(gregorian_bn(2019, 4, 25), "২৫ এপ্রিল ২০১৯");
        assert_eq!(gregorian_bn(2024, 1, 5), "৫ জানুয়ারি ২০২৪");
        assert_eq!(gregorian_bn(1971, 12, 16), "১৬ ডিসেম্বর ১৯৭১");
        assert_eq!(gregorian_bn(2024, 2, 29), "২৯ ফেব্রুয়ারি ২০২৪");
        for m in 1..=12 {
            let s = gregorian_bn(2024, m, 1);
            assert!(s.starts_with("১ "), "{s}");
            assert!(s.contains(GREGORIAN_MONTHS_BN[m as usize - 1]));
            assert!(is_nfc(&s));
        }
    }

    #[test]
    fn weekdays() {
        let cases = [
            ((1970, 1, 1), "বৃহস্পতিবার"),
            ((1971, 12, 16), "বৃহস্পতিবার"),
            ((2019, 4, 25), "বৃহস্পতিবার"),
            ((2024, 4, 14), "রবিবার"),
            ((2024, 2, 29), "বৃহস্পতিবার"),
            ((2000, 1, 1), "শনিবার"),
            ((1900, 1, 1), "সোমবার"),
            ((2024, 12, 31), "মঙ্গলবার"),
            ((2025, 1, 1), "বুধবার"),
            ((2025, 1, 3), "শুক্রবার"),
            ((1969, 12, 31), "বুধবার"),
        ];
        for ((y, m, d), want) in cases {
            assert_eq!(weekday_bn(y, m, d), Some(want), "{y}-{m}-{d}");
        }
    }

    #[test]
    fn leap_years() {
        assert!(is_gregorian_leap(2024));
        assert!(is_gregorian_leap(2000));
        assert!(is_gregorian_leap(0));
        assert!(is_gregorian_leap(-4));
        assert!(!is_gregorian_leap(2023));
        assert!(!is_gregorian_leap(1900));
        assert!(!is_gregorian_leap(2100));
        assert!(!is_gregorian_leap(-100));
    }

    #[test]
    fn civil_day_count_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [-1_000_000, -719_468, -1, 0, 1, 19_000, 1_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    fn next_gregorian(y: i32, m: u32, d: u32) -> (i32, u32, u32) {
        let len = gregorian_days_in_month(y, m).unwrap_or(0);
        if d < len {
            (y, m, d + 1)
        } else if m < 12 {
            (y, m + 1, 1)
        } else {
            (y + 1, 1, 1)
        }
    }

    /// Month lengths restated straight from the 2019 rules, independent of `month_len`.
    fn rule_len(bangla_year: i32, month: u8) -> u8 {
        match month {
            1..=6 => 31,
            7..=10 => 30,
            11 if is_gregorian_leap(bangla_year + 594) => 30,
            11 => 29,
            _ => 30,
        }
    }

    #[test]
    fn walking_every_day_from_1900_to_2100() {
        let (mut y, mut m, mut d) = (1900, 1, 1);
        let mut prev = match BanglaDate::from_gregorian(y, m, d) {
            Some(b) => b,
            None => panic!("1900-01-01 must convert"),
        };
        assert_eq!(prev, bd(1306, 9, 17));
        let mut prev_days = days_from_civil(1900, 1, 1);
        let mut prev_wd = weekday_index(1900, 1, 1);
        let mut steps = 0u32;
        while (y, m, d) != (2100, 12, 31) {
            (y, m, d) = next_gregorian(y, m, d);
            steps += 1;
            let cur = match BanglaDate::from_gregorian(y, m, d) {
                Some(b) => b,
                None => panic!("{y}-{m}-{d} must convert"),
            };

            let expected = if prev.day < rule_len(prev.year, prev.month) {
                bd(prev.year, prev.month, prev.day + 1)
            } else if prev.month < 12 {
                bd(prev.year, prev.month + 1, 1)
            } else {
                bd(prev.year + 1, 1, 1)
            };
            assert_eq!(cur, expected, "after {prev:?} on {y}-{m}-{d}");

            // New Bangla years start exactly on 14 April and are numbered Gregorian − 593.
            assert_eq!(cur.month == 1 && cur.day == 1, (m, d) == (4, 14));
            let offset = if (m, d) >= (4, 14) { 593 } else { 594 };
            assert_eq!(cur.year, y - offset);

            assert_eq!(cur.to_gregorian(), Some((y, m, d)));
            assert_eq!(
                bangla_month_len(cur.year, cur.month),
                Some(rule_len(cur.year, cur.month))
            );
            assert!(cur.day <= rule_len(cur.year, cur.month));

            let days = days_from_civil(i64::from(y), m, d);
            assert_eq!(days, prev_days + 1);
            assert_eq!(civil_from_days(days), (i64::from(y), m, d));
            let wd = weekday_index(y, m, d);
            assert_eq!(wd, prev_wd.map(|w| (w + 1) % 7));

            prev = cur;
            prev_days = days;
            prev_wd = wd;
        }
        // 201 years, 49 of them leap (2000 is, 1900 and 2100 are not).
        assert_eq!(steps + 1, 201 * 365 + 49);
    }
}
