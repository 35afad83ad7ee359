//! Creating newsroom accounts, shared by `khobor user add` and the admin's users page.

use crate::auth;
use crate::domain::newsroom::suggested_initials;
use crate::domain::text::clean_line;
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
    if name.is_empty() || name.chars().count() > 100 {
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
    let email = email.trim().to_lowercase();
    let name = clean_line(name);
    if let Some(problem) = new_user_problem(&email, &name, password) {
        return Err(AccountError::Invalid(problem));
    }
    let initials = match clean_line(initials) {
        i if i.is_empty() => suggested_initials(&name),
        i => i,
    };
    let hash = auth::hash_password(password);
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
