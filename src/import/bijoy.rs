//! `khobor bijoy`: converts people's own Bijoy (SutonnyMJ) files to Unicode Bengali, line by
//! line, so a file of any size streams through in constant memory.

use std::io::{self, BufRead, Write};

/// What a conversion did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    pub lines: usize,
    pub converted: usize,
}

/// Copies `input` to `output` a line at a time, converting the lines that are Bijoy
/// (English and Unicode lines stay as they are) or every line
/// (`all`). A line that is not UTF-8 is read as the legacy Windows-1252 bytes a Bijoy file
/// holds.
pub fn convert_lines(
    input: impl BufRead,
    mut output: impl Write,
    all: bool,
) -> io::Result<Converted> {
    let mut done = Converted::default();
    for line in input.split(b'\n') {
        let line = line?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        let text = match std::str::from_utf8(line) {
            Ok(text) => text.to_owned(),
            Err(_) => bangla::bijoy::decode_cp1252(line),
        };
        let unicode = if all {
            Some(bangla::bijoy::to_unicode(&text))
        } else {
            crate::domain::bijoy::convert_text(&text)
        };
        done.lines += 1;
        match unicode {
            Some(u) => {
                done.converted += 1;
                output.write_all(u.as_bytes())?;
            }
            None => output.write_all(text.as_bytes())?,
        }
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bijoy_lines_are_converted_and_the_others_kept() {
        let input = "evsjv‡`k miKvi Ges RbMY\nThe government said\nবাংলাদেশ\n";
        let mut out = Vec::new();
        let done = convert_lines(input.as_bytes(), &mut out, false).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "বাংলাদেশ সরকার এবং জনগণ\nThe government said\nবাংলাদেশ\n"
        );
        assert_eq!(
            done,
            Converted {
                lines: 3,
                converted: 1
            }
        );
    }

    #[test]
    fn legacy_bytes_are_read_as_windows_1252() {
        // ‡ is byte 0x87 in the font's own encoding: "evsjv‡`k" as a Bijoy file stores it.
        let mut input = b"evsjv".to_vec();
        input.push(0x87);
        input.extend_from_slice(b"`k miKvi Ges RbMY\r\n");
        let mut out = Vec::new();
        convert_lines(input.as_slice(), &mut out, false).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "বাংলাদেশ সরকার এবং জনগণ\n");
    }
}
