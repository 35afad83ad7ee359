//! Checking a photocard's signed record as `khobor card verify` and the browser do: the
//! record against a key set (JWKS), Ed25519.
//!
//! Run: `cargo bench --bench cards`

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion};
use ed25519_dalek::{Signer as _, SigningKey};

fn verify(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[42; 32]);
    let public = key.verifying_key();
    let kid = khobor::cards::key_id(public.as_bytes());
    let jwks = khobor::cards::jwks(&[khobor::storage::cards::CardKey {
        kid: kid.clone(),
        public_key: B64.encode(public.as_bytes()),
        created_at: 0,
        retired_at: None,
    }]);
    let record = khobor::cards::Record {
        code: "ABCDEFGH".into(),
        card_url: "https://khobor.example/c/ABCDEFGH".into(),
        story_url: "https://khobor.example/national/42".into(),
        kind: "headline".into(),
        text: "প্রধানমন্ত্রীর সঙ্গে বৈঠকে শিক্ষার্থীরা: ‘আমরা দ্রুত নির্বাচন চাই’".into(),
        speaker: String::new(),
        published: "2026-12-06T10:00:00Z".into(),
        png_sha256: "0".repeat(64),
    }
    .to_text();
    let signature = B64.encode(key.sign(record.as_bytes()).to_bytes());
    assert!(khobor::cards::verify(&record, &signature, &kid, &jwks).is_ok());
    c.bench_function("card record verify", |b| {
        b.iter(|| khobor::cards::verify(&record, &signature, &kid, &jwks).unwrap())
    });
}

criterion_group!(benches, verify);
criterion_main!(benches);
