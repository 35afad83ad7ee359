//! Secrets: Argon2id password hashes, random session ids, CSRF and API tokens, device tokens,
//! TOTP codes and recovery codes, and the one-way hashes the store keeps of them. Nothing here
//! touches the store or HTTP.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Shortest password the newsroom accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest (Argon2 would take anything, but a megabyte password is an attack, not a password).
pub const MAX_PASSWORD_CHARS: usize = 200;

/// Argon2id with the crate's defaults (the OWASP-recommended m=19 MiB, t=2, p=1).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 with default parameters cannot fail on a valid salt")
        .to_string()
}

/// Whether `password` matches a stored Argon2 hash (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that a wrong email and a
/// wrong password take the same time.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password, only for timing"))
}

/// Why a new password is refused, in the newsroom's words; `None` if it is acceptable.
pub fn password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        Some(format!(
            "পাসওয়ার্ড অন্তত {} অক্ষরের হতে হবে।",
            bangla::digits::to_bengali_digits(&MIN_PASSWORD_CHARS.to_string())
        ))
    } else if n > MAX_PASSWORD_CHARS {
        Some("পাসওয়ার্ডটি খুব বড়।".to_owned())
    } else {
        None
    }
}

/// 32 random bytes from the operating system, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An API token as shown to its creator once: a recognisable prefix and a random part.
pub fn new_api_token() -> String {
    format!("khobor_{}", random_token())
}

/// What the store keeps of a session id or API token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison for CSRF tokens.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---- TOTP two-factor (RFC 6238 as authenticator apps implement it: SHA-1, 6 digits, 30 s)

/// Seconds per TOTP time step.
pub const TOTP_STEP_SECS: i64 = 30;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A new TOTP secret: 160 random bits (RFC 4226's recommendation), base32 without padding
/// as authenticator apps take it typed in.
pub fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    match totp_rs::Secret::Raw(bytes.to_vec()).to_encoded() {
        totp_rs::Secret::Encoded(s) => s,
        totp_rs::Secret::Raw(_) => unreachable!("to_encoded gives an encoded secret"),
    }
}

fn totp(secret: &str) -> Option<totp_rs::TOTP> {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .ok()?;
    // One step of skew either way: a phone's clock a little off, or a code typed at the turn.
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, TOTP_STEP_SECS as u64, bytes).ok()
}

/// The code an authenticator shows at Unix time `at` (`None` for a malformed secret).
pub fn totp_code(secret: &str, at: i64) -> Option<String> {
    Some(totp(secret)?.generate(u64::try_from(at).ok()?))
}

/// The time step (Unix time / 30) whose code `code` is, within one step of `now`; `None` if
/// it is none of them. The caller refuses steps at or before the last one used, so that a
/// code seen over someone's shoulder cannot be replayed.
pub fn totp_step_of(secret: &str, code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret)?;
    let step = now.div_euclid(TOTP_STEP_SECS);
    (step - 1..=step + 1).find(|s| {
        u64::try_from(s * TOTP_STEP_SECS)
            .map(|at| same_secret(&t.generate(at), &code))
            .unwrap_or(false)
    })
}

/// The `otpauth://` URI authenticator apps read (typed, pasted or from a QR code).
pub fn totp_uri(secret: &str, issuer: &str, account: &str) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let issuer = utf8_percent_encode(&issuer.replace(':', " "), NON_ALPHANUMERIC).to_string();
    let account = utf8_percent_encode(&account.replace(':', " "), NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period={TOTP_STEP_SECS}"
    )
}

/// Ten single-use recovery codes as shown once: 80 random bits each, base32 in four groups
/// (`abcd-efgh-ijkl-mnop`). 80 bits make a plain SHA-256 enough to store them.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            OsRng.fill_bytes(&mut bytes);
            let text = match totp_rs::Secret::Raw(bytes.to_vec()).to_encoded() {
                totp_rs::Secret::Encoded(s) => s.to_lowercase(),
                totp_rs::Secret::Raw(_) => unreachable!("to_encoded gives an encoded secret"),
            };
            text.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// What the store keeps of a recovery code: the SHA-256 of its letters, however typed
/// (case, dashes and spaces do not matter).
pub fn recovery_code_hash(code: &str) -> String {
    let letters: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    token_hash(&letters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip() {
        let h = hash_password("সঠিক ঘোড়া ব্যাটারি স্ট্যাপল");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("সঠিক ঘোড়া ব্যাটারি স্ট্যাপল", &h));
        assert!(!verify_password("সঠিক ঘোড়া", &h));
        assert!(!verify_password("anything", "not a hash"));
        assert_ne!(h, hash_password("সঠিক ঘোড়া ব্যাটারি স্ট্যাপল"), "salted");
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a).len(), 64);
        assert!(new_api_token().starts_with("khobor_"));
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &random_token()));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn password_rules() {
        assert!(password_problem("short").is_some());
        assert!(password_problem("correct horse battery staple").is_none());
        assert!(password_problem(&"x".repeat(500)).is_some());
    }

    #[test]
    fn totp_matches_rfc_6238_and_allows_one_step_either_way() {
        // RFC 6238 appendix B, SHA-1: the secret "12345678901234567890", 8 digits there; the
        // last 6 of them are what a 6-digit authenticator shows.
        let secret = match totp_rs::Secret::Raw(b"12345678901234567890".to_vec()).to_encoded() {
            totp_rs::Secret::Encoded(s) => s,
            _ => unreachable!(),
        };
        assert_eq!(totp_code(&secret, 59).unwrap(), "287082");
        assert_eq!(totp_code(&secret, 1_111_111_109).unwrap(), "081804");
        assert_eq!(totp_code(&secret, 2_000_000_000).unwrap(), "279037");
        let now = 1_111_111_109;
        let step = now / 30;
        assert_eq!(totp_step_of(&secret, "081804", now), Some(step));
        assert_eq!(totp_step_of(&secret, " 081 804 ", now), Some(step));
        let next = totp_code(&secret, now + 30).unwrap();
        assert_eq!(totp_step_of(&secret, &next, now), Some(step + 1));
        let before = totp_code(&secret, now - 30).unwrap();
        assert_eq!(totp_step_of(&secret, &before, now), Some(step - 1));
        let far = totp_code(&secret, now + 90).unwrap();
        assert_eq!(totp_step_of(&secret, &far, now), None);
        assert_eq!(totp_step_of(&secret, "08180", now), None);
        assert_eq!(totp_step_of(&secret, "abcdef", now), None);
        assert_eq!(totp_step_of("not base32 ~", "081804", now), None);
    }

    #[test]
    fn secrets_uris_and_recovery_codes() {
        let s = new_totp_secret();
        assert_eq!(s.len(), 32, "160 bits in base32");
        assert_ne!(s, new_totp_secret());
        assert!(totp_code(&s, 0).is_some());
        let uri = totp_uri(&s, "খবর", "editor@khobor.test");
        assert!(uri.starts_with("otpauth://totp/%E0%A6%96"), "{uri}");
        assert!(uri.contains(&format!("secret={s}&")), "{uri}");
        assert!(uri.contains("editor%40khobor%2Etest"), "{uri}");
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert!(codes
            .iter()
            .all(|c| c.len() == 19 && c.matches('-').count() == 3));
        assert_ne!(codes[0], codes[1]);
        assert_eq!(
            recovery_code_hash(&codes[0]),
            recovery_code_hash(&codes[0].to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_code_hash(&codes[0]), recovery_code_hash(&codes[1]));
    }
}
