//! Secrets: Argon2id password hashes, random session ids, CSRF and API tokens, and the
//! one-way hashes the store keeps of them. Nothing here touches the store or HTTP.

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
}
