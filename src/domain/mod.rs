//! Pure types and rules of the newsroom: articles, sections, tags, authors and the status
//! machine. Imports no database, HTTP or async crate.

pub mod article;
pub mod diff;
pub mod newsroom;
pub mod story;
pub mod text;
pub mod throttle;
pub mod urls;

pub use article::{Article, ArticleCard, Author, Section, Status, Tag};
pub use newsroom::{Action, Role, Transition};
