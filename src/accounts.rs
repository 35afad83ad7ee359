//! Creating newsroom accounts, shared by `khobor user add` and the admin's users page, and
//! API tokens made on the command line (`khobor token add`).

use crate::auth;
use crate::domain::newsroom::suggested_initials;
use crate::domain::text::{clean_line, grapheme_len, raw_bytes_for};
use crate::domain::Role;
use crate::storage::users::Audit;
use crate::storage::{StorageError, Store};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The input is not acceptable; the message says why, in the newsroom's words.
    #[error("{0}")]
    Invalid(String),
    #[error("এই ইমেইলে আগেই একজন ব্যবহারকারী আছেন: {0}")]
    Taken(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The longest initials a person may sign with ("এসআই"; desk signatures carry several).
pub const MAX_INITIALS: usize = 12;
/// The longest name of a person.
pub const MAX_NAME: usize = 100;

/// The person's initials cleaned, or why they can't be used.
pub fn clean_initials(initials: &str) -> Result<String, String> {
    let problem = || {
        format!(
            "আদ্যক্ষর সর্বোচ্চ {} অক্ষর।",
            bangla::digits::to_bengali_digits(&MAX_INITIALS.to_string())
        )
    };
    if initials.len() > raw_bytes_for(MAX_INITIALS) {
        return Err(problem());
    }
    let initials = clean_line(initials);
    if grapheme_len(&initials) > MAX_INITIALS || initials.contains('/') {
        return Err(problem());
    }
    Ok(initials)
}

/// Checks a new account's fields; the problem in the newsroom's words, if any.
pub fn new_user_problem(email: &str, name: &str, password: &str) -> Option<String> {
    let email_ok = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !email.contains(char::is_whitespace);
    if !email_ok {
        return Some("ইমেইল ঠিকানাটি সঠিক নয়।".into());
    }
    if name.is_empty() || grapheme_len(name) > MAX_NAME {
        return Some("নাম দিন (সর্বোচ্চ ১০০ অক্ষর)।".into());
    }
    auth::password_problem(password)
}

/// Adds an account with an Argon2id password hash; empty initials are suggested from the name.
pub async fn add_user(
    store: &Store,
    email: &str,
    name: &str,
    initials: &str,
    role: Role,
    password: &str,
    by: &Audit<'_>,
) -> Result<i64, AccountError> {
    // Lengths first: nothing proportional to the input is done on an oversized field.
    if email.len() > 254
        || name.len() > raw_bytes_for(MAX_NAME)
        || password.len() > 4 * auth::MAX_PASSWORD_CHARS
    {
        return Err(AccountError::Invalid(
            "একটি ঘর খুব লম্বা: ইমেইল ২৫৪, নাম ১০০ অক্ষর পর্যন্ত।".into(),
        ));
    }
    let email = email.trim().to_lowercase();
    let name = clean_line(name);
    if let Some(problem) = new_user_problem(&email, &name, password) {
        return Err(AccountError::Invalid(problem));
    }
    let initials = match clean_initials(initials).map_err(AccountError::Invalid)? {
        i if i.is_empty() => suggested_initials(&name),
        i => i,
    };
    // Argon2 is deliberately slow: off the async workers.
    let password = password.to_owned();
    let hash = match tokio::task::spawn_blocking(move || auth::hash_password(&password)).await {
        Ok(hash) => hash,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    let id = store
        .create_user(&email, &name, &initials, role, &hash)
        .await?
        .ok_or_else(|| AccountError::Taken(email.clone()))?;
    store
        .write_audit(&Audit {
            action: "user.add",
            entity: "user",
            entity_id: Some(id),
            detail: format!("{email} {}", role.as_str()),
            ..by.clone()
        })
        .await?;
    Ok(id)
}

/// The longest label of an API token, in characters (the tokens page keeps the same rule).
pub const MAX_TOKEN_LABEL: usize = 100;

/// A token's label cleaned (one line, NFC), or `None` when it is empty or too long.
pub fn clean_token_label(label: &str) -> Option<String> {
    if label.len() > raw_bytes_for(MAX_TOKEN_LABEL) {
        return None;
    }
    let label = clean_line(label);
    (!label.is_empty() && label.chars().count() <= MAX_TOKEN_LABEL).then_some(label)
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no newsroom account {0}")]
    UnknownUser(String),
    #[error("the newsroom account {0} is disabled; a token acting for it would be refused")]
    Disabled(String),
    #[error(
        "the token needs a label of 1 to {MAX_TOKEN_LABEL} characters, e.g. \"deploy script\""
    )]
    Label,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A new admin-API token acting for the account `email`, with `role` capped at the person's
/// own (their own when `None`). As on the newsroom's tokens page, only the token's hash is
/// stored (with an audit line); the token itself is returned to be shown once.
pub async fn create_api_token(
    store: &Store,
    email: &str,
    label: &str,
    role: Option<Role>,
    actor: &str,
) -> Result<String, TokenError> {
    let label = clean_token_label(label).ok_or(TokenError::Label)?;
    let email = email.trim().to_lowercase();
    let Some((user, _)) = store.user_for_login(&email).await? else {
        return Err(TokenError::UnknownUser(email));
    };
    if user.disabled {
        return Err(TokenError::Disabled(email));
    }
    let role = role.map_or(user.role, |r| r.min(user.role));
    let token = auth::new_api_token();
    store
        .create_api_token(
            &label,
            &auth::token_hash(&token),
            role,
            user.id,
            &Audit {
                user_id: Some(user.id),
                actor,
                action: "token.create",
                entity: "token",
                detail: format!("{label} ({})", role.as_str()),
                address: "cli",
                ..Default::default()
            },
        )
        .await?;
    Ok(token)
}
