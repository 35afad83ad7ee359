//! Times of day and "how long ago" phrases in Bengali, as shown on article pages and lists.

use crate::digits::bn_number;

/// The Bengali period-of-day word for a 24-hour `hour` (0..=23).
///
/// Bengali 12-hour times are ambiguous without it, so it always leads the clock reading.
pub fn period_bn(hour: u32) -> &'static str {
    match hour % 24 {
        4..=5 => "ভোর",
        6..=11 => "সকাল",
        12..=14 => "দুপুর",
        15..=17 => "বিকেল",
        18..=19 => "সন্ধ্যা",
        _ => "রাত",
    }
}

/// A 12-hour clock reading with its period word first: `clock_bn(10, 5)` → `"সকাল ১০:০৫"`,
/// `clock_bn(0, 30)` → `"রাত ১২:৩০"`, `clock_bn(13, 0)` → `"দুপুর ১:০০"`.
///
/// Out-of-range input wraps (hour modulo 24, minute modulo 60) so a bad timestamp can never
/// take a page down.
pub fn clock_bn(hour: u32, minute: u32) -> String {
    let hour = hour % 24;
    let minute = minute % 60;
    let h12 = match hour % 12 {
        0 => 12,
        h => h,
    };
    format!(
        "{} {}:{}{}",
        period_bn(hour),
        bn_number(i64::from(h12)),
        bn_number(i64::from(minute / 10)),
        bn_number(i64::from(minute % 10))
    )
}

/// "How long ago" for recent items: under a minute → `"এইমাত্র"`, under an hour →
/// `"{n} মিনিট আগে"`, under a day → `"{n} ঘণ্টা আগে"` (whole units, rounded down).
///
/// `None` for a day or more, and for negative ages (clock skew or future-dated items),
/// so the caller falls back to an absolute date.
pub fn relative_bn(seconds_ago: i64) -> Option<String> {
    match seconds_ago {
        0..=59 => Some("এইমাত্র".to_string()),
        60..=3_599 => Some(format!("{} মিনিট আগে", bn_number(seconds_ago / 60))),
        3_600..=86_399 => Some(format!("{} ঘণ্টা আগে", bn_number(seconds_ago / 3_600))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn is_nfc(s: &str) -> bool {
        s.nfc().collect::<String>() == s
    }

    #[test]
    fn clock_examples() {
        assert_eq!(clock_bn(10, 5), "সকাল ১০:০৫");
        assert_eq!(clock_bn(0, 30), "রাত ১২:৩০");
        assert_eq!(clock_bn(13, 0), "দুপুর ১:০০");
        assert_eq!(clock_bn(12, 0), "দুপুর ১২:০০");
        assert_eq!(clock_bn(23, 59), "রাত ১১:৫৯");
        assert_eq!(clock_bn(4, 0), "ভোর ৪:০০");
        assert_eq!(clock_bn(18, 45), "সন্ধ্যা ৬:৪৫");
        assert_eq!(clock_bn(16, 10), "বিকেল ৪:১০");
    }

    #[test]
    fn period_for_every_hour() {
        let want = [
            "রাত",
            "রাত",
            "রাত",
            "রাত", // 0–3
            "ভোর",
            "ভোর", // 4–5
            "সকাল",
            "সকাল",
            "সকাল",
            "সকাল",
            "সকাল",
            "সকাল", // 6–11
            "দুপুর",
            "দুপুর",
            "দুপুর", // 12–14
            "বিকেল",
            "বিকেল",
            "বিকেল", // 15–17
            "সন্ধ্যা",
            "সন্ধ্যা", // 18–19
            "রাত",
            "রাত",
            "রাত",
            "রাত", // 20–23
        ];
        for (hour, period) in (0u32..).zip(want) {
            assert_eq!(period_bn(hour), period, "hour {hour}");
            let clock = clock_bn(hour, 0);
            assert!(clock.starts_with(&format!("{period} ")), "{clock}");
            assert!(is_nfc(&clock));
        }
    }

    #[test]
    fn twelve_hour_numbers() {
        let want = [12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        for hour in 0u32..24 {
            let h12 = want[(hour % 12) as usize];
            let clock = clock_bn(hour, 7);
            assert!(
                clock.ends_with(&format!(" {}:০৭", bn_number(h12))),
                "{hour}: {clock}"
            );
        }
    }

    #[test]
    fn minutes_always_have_two_digits() {
        assert_eq!(clock_bn(9, 0), "সকাল ৯:০০");
        assert_eq!(clock_bn(9, 9), "সকাল ৯:০৯");
        assert_eq!(clock_bn(9, 10), "সকাল ৯:১০");
        assert_eq!(clock_bn(9, 59), "সকাল ৯:৫৯");
    }

    #[test]
    fn out_of_range_clock_wraps() {
        assert_eq!(clock_bn(24, 0), clock_bn(0, 0));
        assert_eq!(clock_bn(25, 61), clock_bn(1, 1));
        assert_eq!(
            clock_bn(u32::MAX, u32::MAX),
            clock_bn(u32::MAX % 24, u32::MAX % 60)
        );
    }

    #[test]
    fn relative_boundaries() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(relative_bn(0), some("এইমাত্র"));
        assert_eq!(relative_bn(59), some("এইমাত্র"));
        assert_eq!(relative_bn(60), some("১ মিনিট আগে"));
        assert_eq!(relative_bn(119), some("১ মিনিট আগে"));
        assert_eq!(relative_bn(120), some("২ মিনিট আগে"));
        assert_eq!(relative_bn(3_599), some("৫৯ মিনিট আগে"));
        assert_eq!(relative_bn(3_600), some("১ ঘণ্টা আগে"));
        assert_eq!(relative_bn(7_199), some("১ ঘণ্টা আগে"));
        assert_eq!(relative_bn(7_200), some("২ ঘণ্টা আগে"));
        assert_eq!(relative_bn(86_399), some("২৩ ঘণ্টা আগে"));
        assert_eq!(relative_bn(86_400), None);
        assert_eq!(relative_bn(i64::MAX), None);
        assert_eq!(relative_bn(-1), None);
        assert_eq!(relative_bn(i64::MIN), None);
    }

    #[test]
    fn relative_output_is_nfc() {
        for s in [0, 60, 3_600, 86_399] {
            let text = relative_bn(s).unwrap_or_default();
            assert!(!text.is_empty());
            assert!(is_nfc(&text), "{text:?}");
        }
    }
}
