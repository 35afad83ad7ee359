//! Pure Bengali text handling for Khobor: numerals, Gregorian and Bangla calendar dates,
//! relative times, genitive forms, URL slugs, and the search analysis chain (normalise,
//! tokenise, stem, stop words), and conversion of legacy Bijoy (SutonnyMJ) text to Unicode
//! with a detector for it. No I/O, no async, no database.

pub mod banglish;
pub mod bijoy;
pub mod calendar;
pub mod digits;
pub mod grammar;
pub mod normalise;
pub mod slug;
pub mod stem;
pub mod stopwords;
pub mod time;
pub mod tokenise;
