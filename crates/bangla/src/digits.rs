//! Conversion between ASCII digits and Bengali digits (০–৯), and Bengali rendering of integers.

/// Offset of BENGALI DIGIT ZERO (U+09E6); the ten Bengali digits are contiguous from here.
const BENGALI_ZERO: u32 = 0x09E6;

/// Maps one ASCII digit to its Bengali digit; any other character is returned as is.
pub fn bengali_digit(c: char) -> char {
    if c.is_ascii_digit() {
        char::from_u32(BENGALI_ZERO + (c as u32 - '0' as u32)).unwrap_or(c)
    } else {
        c
    }
}

/// Maps one Bengali digit to its ASCII digit; any other character is returned as is.
pub fn ascii_digit(c: char) -> char {
    let cp = c as u32;
    if (BENGALI_ZERO..=BENGALI_ZERO + 9).contains(&cp) {
        char::from_u32('0' as u32 + (cp - BENGALI_ZERO)).unwrap_or(c)
    } else {
        c
    }
}

/// Replaces ASCII `0`–`9` with `০`–`৯`, leaving everything else unchanged.
pub fn to_bengali_digits(s: &str) -> String {
    s.chars().map(bengali_digit).collect()
}

/// Replaces `০`–`৯` with ASCII `0`–`9`, leaving everything else unchanged.
pub fn to_ascii_digits(s: &str) -> String {
    s.chars().map(ascii_digit).collect()
}

/// Renders an integer in Bengali digits without digit grouping: `1234` → `"১২৩৪"`,
/// `-5` → `"-৫"`.
pub fn bn_number(n: i64) -> String {
    to_bengali_digits(&n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ascii_digit_maps_to_its_bengali_digit() {
        assert_eq!(to_bengali_digits("0123456789"), "০১২৩৪৫৬৭৮৯");
    }

    #[test]
    fn every_bengali_digit_maps_to_its_ascii_digit() {
        assert_eq!(to_ascii_digits("০১২৩৪৫৬৭৮৯"), "0123456789");
    }

    #[test]
    fn non_digits_are_left_alone() {
        assert_eq!(to_bengali_digits("ঢাকা, 25 April: ok!"), "ঢাকা, ২৫ April: ok!");
        assert_eq!(to_ascii_digits("ঢাকা, ২৫ এপ্রিল: ok!"), "ঢাকা, 25 এপ্রিল: ok!");
        assert_eq!(to_bengali_digits(""), "");
        assert_eq!(to_ascii_digits(""), "");
    }

    #[test]
    fn other_scripts_digits_are_not_converted() {
        // Devanagari, Arabic-Indic and fullwidth digits are not ours to rewrite.
        let other = "०१ ٠١ ０１";
        assert_eq!(to_bengali_digits(other), other);
        assert_eq!(to_ascii_digits(other), other);
    }

    #[test]
    fn conversions_round_trip() {
        let s = "Khobor 2024-04-14 12:30 ২০২৪";
        assert_eq!(to_ascii_digits(&to_bengali_digits(s)), to_ascii_digits(s));
        assert_eq!(to_bengali_digits(&to_ascii_digits(s)), to_bengali_digits(s));
    }

    #[test]
    fn bn_number_examples() {
        assert_eq!(bn_number(0), "০");
        assert_eq!(bn_number(7), "৭");
        assert_eq!(bn_number(1234), "১২৩৪");
        assert_eq!(bn_number(-5), "-৫");
        assert_eq!(bn_number(1_000_000), "১০০০০০০");
    }

    #[test]
    fn bn_number_extremes() {
        assert_eq!(bn_number(i64::MAX), "৯২২৩৩৭২০৩৬৮৫৪৭৭৫৮০৭");
        assert_eq!(bn_number(i64::MIN), "-৯২২৩৩৭২০৩৬৮৫৪৭৭৫৮০৮");
    }
}
