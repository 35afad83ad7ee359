//! The newsroom's rules: who may do what (the permission table), how a story moves between
//! states, and how the desk signature is built. Pure functions, tested case by case.

use serde::Serialize;

use super::article::Status;

/// A person's role. Each role can do everything the one before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Contributor,
    Editor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Contributor, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contributor => "contributor",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "contributor" => Role::Contributor,
            "editor" => Role::Editor,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    /// The role's name as the newsroom pages show it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Contributor => "প্রতিবেদক",
            Role::Editor => "সম্পাদক",
            Role::Admin => "প্রশাসক",
        }
    }
}

/// Something a person may try to do. Story-level checks (own story, its state) come on top,
/// in [`may_edit`] and [`Transition::allowed_for`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open the newsroom and list stories.
    ViewNewsroom,
    CreateStory,
    /// Edit a story someone else wrote, in any state.
    EditAnyStory,
    SubmitForReview,
    Publish,
    Schedule,
    Unpublish,
    Spike,
    UploadMedia,
    ManageTaxonomy,
    ManageUsers,
    ManageSettings,
    ManageTokens,
    ViewAudit,
    /// Remove a story that readers do not see, with its whole history, for good (audited).
    /// Editors spike instead: a spiked story can be restored.
    DeleteStory,
    /// Make and publish a photocard of a published story (a statement in the paper's name,
    /// signed with its key).
    PublishCard,
    /// Add a correction or an update note to a published story (shown to readers, listed on
    /// /corrections).
    AddCorrection,
    /// Put up or take down a breaking-news alert (shown on every page).
    PostBreaking,
    /// Add, pause or remove the agency wires the newsroom polls (the queue itself is open to
    /// everyone who may write a story).
    ManageWires,
    /// List, add and remove the old links that answer 301 (an import's, or made by hand).
    ManageRedirects,
    /// Register, switch off and delete webhooks, see their delivery log and redeliver.
    ManageWebhooks,
    /// Run a published story as a live page: start and end it, add, edit and delete its
    /// timestamped entries (shown to readers at once).
    RunLivePage,
}

/// The permission table. Every server-side check goes through here.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match action {
        ViewNewsroom | CreateStory | SubmitForReview | UploadMedia => true,
        EditAnyStory | Publish | Schedule | Unpublish | Spike | ManageTaxonomy | PublishCard
        | AddCorrection | PostBreaking | RunLivePage => role >= Role::Editor,
        ManageUsers | ManageSettings | ManageTokens | ViewAudit | DeleteStory | ManageWires
        | ManageRedirects | ManageWebhooks => role == Role::Admin,
    }
}

/// Whether `role` (user `user_id`) may change the content of a story owned by `owner` in
/// `status`: editors any story; a contributor only their own, and only while it is a draft.
pub fn may_edit(role: Role, user_id: i64, owner: Option<i64>, status: Status) -> bool {
    allows(role, Action::EditAnyStory) || (owner == Some(user_id) && status == Status::Draft)
}

/// A move between states, as the editor's buttons and the API name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transition {
    /// draft → review
    Submit,
    /// review → draft (sent back to the reporter)
    Return,
    /// draft/review/unpublished → scheduled
    Schedule,
    /// scheduled → draft
    Unschedule,
    /// draft/review/scheduled/unpublished → published
    Publish,
    /// published → unpublished
    Unpublish,
    /// any state that readers do not see → spiked
    Spike,
    /// spiked → draft
    Restore,
}

impl Transition {
    pub const ALL: [Transition; 8] = [
        Transition::Submit,
        Transition::Return,
        Transition::Schedule,
        Transition::Unschedule,
        Transition::Publish,
        Transition::Unpublish,
        Transition::Spike,
        Transition::Restore,
    ];

    pub fn parse(s: &str) -> Option<Transition> {
        Transition::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Return => "return",
            Transition::Schedule => "schedule",
            Transition::Unschedule => "unschedule",
            Transition::Publish => "publish",
            Transition::Unpublish => "unpublish",
            Transition::Spike => "spike",
            Transition::Restore => "restore",
        }
    }

    /// The button's label in the editor.
    pub fn label(self) -> &'static str {
        match self {
            Transition::Submit => "সম্পাদনার জন্য জমা দিন",
            Transition::Return => "প্রতিবেদকের কাছে ফেরত",
            Transition::Schedule => "নির্ধারিত সময়ে প্রকাশ",
            Transition::Unschedule => "শিডিউল বাতিল",
            Transition::Publish => "এখনই প্রকাশ করুন",
            Transition::Unpublish => "প্রকাশ প্রত্যাহার",
            Transition::Spike => "বাতিল (স্পাইক)",
            Transition::Restore => "ফিরিয়ে আনুন",
        }
    }

    /// The state a story in `from` moves to, or `None` if this move does not apply.
    pub fn target(self, from: Status) -> Option<Status> {
        use Status::*;
        let to = match (self, from) {
            (Transition::Submit, Draft) => Review,
            (Transition::Return, Review) => Draft,
            (Transition::Schedule, Draft | Review | Unpublished | Scheduled) => Scheduled,
            (Transition::Unschedule, Scheduled) => Draft,
            (Transition::Publish, Draft | Review | Scheduled | Unpublished) => Published,
            (Transition::Unpublish, Published) => Unpublished,
            (Transition::Spike, Draft | Review | Scheduled | Unpublished) => Spiked,
            (Transition::Restore, Spiked) => Draft,
            _ => return None,
        };
        Some(to)
    }

    /// The permission this move needs.
    pub fn action(self) -> Action {
        match self {
            Transition::Submit => Action::SubmitForReview,
            Transition::Return | Transition::Unschedule | Transition::Restore => {
                Action::EditAnyStory
            }
            Transition::Schedule => Action::Schedule,
            Transition::Publish => Action::Publish,
            Transition::Unpublish => Action::Unpublish,
            Transition::Spike => Action::Spike,
        }
    }

    /// Whether `role` (user `user_id`) may make this move on a story owned by `owner`:
    /// the role must allow it, and a contributor may only submit their own draft.
    pub fn allowed_for(self, role: Role, user_id: i64, owner: Option<i64>) -> bool {
        allows(role, self.action())
            && (allows(role, Action::EditAnyStory) || owner == Some(user_id))
    }

    /// The moves that apply to a story in `from` for this person, in button order.
    pub fn available(from: Status, role: Role, user_id: i64, owner: Option<i64>) -> Vec<Self> {
        Transition::ALL
            .into_iter()
            .filter(|t| t.target(from).is_some() && t.allowed_for(role, user_id, owner))
            .collect()
    }
}

/// How a state is named in the newsroom.
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Draft => "খসড়া",
        Status::Review => "সম্পাদনার অপেক্ষায়",
        Status::Scheduled => "নির্ধারিত",
        Status::Published => "প্রকাশিত",
        Status::Unpublished => "প্রত্যাহৃত",
        Status::Spiked => "বাতিল",
    }
}

/// The desk signature: the paper's short name, then the initials of everyone who handled the
/// story in order (reporter first, then each editor who saved it), each once:
/// `টাইমস/এসআই/আরকে`. People without initials are left out.
pub fn desk_signature<'a>(short_name: &str, handlers: impl IntoIterator<Item = &'a str>) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for initials in handlers {
        let initials = initials.trim();
        if !initials.is_empty() && !parts.contains(&initials) {
            parts.push(initials);
        }
    }
    let mut out = short_name.trim().to_owned();
    for p in parts {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(p);
    }
    out
}

/// Initials suggested for a name: the first letter (with any vowel sign or conjunct that
/// belongs to it) of each word, e.g. "সাইফুল ইসলাম" → "সাই". Editable in the users page;
/// Bengali desks usually write initials phonetically, so this is only a starting point.
pub fn suggested_initials(name: &str) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    name.split_whitespace()
        .filter_map(|w| w.graphemes(true).next())
        .collect::<String>()
        .to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    #[test]
    fn permission_table_case_by_case() {
        let table: &[(Action, [bool; 3])] = &[
            // contributor, editor, admin
            (ViewNewsroom, [true, true, true]),
            (CreateStory, [true, true, true]),
            (SubmitForReview, [true, true, true]),
            (UploadMedia, [true, true, true]),
            (EditAnyStory, [false, true, true]),
            (Publish, [false, true, true]),
            (Schedule, [false, true, true]),
            (Unpublish, [false, true, true]),
            (Spike, [false, true, true]),
            (ManageTaxonomy, [false, true, true]),
            (ManageUsers, [false, false, true]),
            (ManageSettings, [false, false, true]),
            (ManageTokens, [false, false, true]),
            (ViewAudit, [false, false, true]),
            (DeleteStory, [false, false, true]),
            (PublishCard, [false, true, true]),
            (AddCorrection, [false, true, true]),
            (PostBreaking, [false, true, true]),
            (ManageWires, [false, false, true]),
            (ManageRedirects, [false, false, true]),
            (ManageWebhooks, [false, false, true]),
            (RunLivePage, [false, true, true]),
        ];
        for (action, expected) in table {
            for (role, want) in Role::ALL.into_iter().zip(expected) {
                assert_eq!(allows(role, *action), *want, "{role:?} {action:?}");
            }
        }
    }

    #[test]
    fn contributors_edit_only_their_own_drafts() {
        assert!(may_edit(Role::Contributor, 7, Some(7), Status::Draft));
        assert!(!may_edit(Role::Contributor, 7, Some(7), Status::Review));
        assert!(!may_edit(Role::Contributor, 7, Some(7), Status::Published));
        assert!(!may_edit(Role::Contributor, 7, Some(8), Status::Draft));
        assert!(!may_edit(Role::Contributor, 7, None, Status::Draft));
        assert!(may_edit(Role::Editor, 7, Some(8), Status::Published));
        assert!(may_edit(Role::Admin, 7, None, Status::Spiked));
    }

    #[test]
    fn state_machine() {
        use Status::*;
        use Transition as T;
        assert_eq!(T::Submit.target(Draft), Some(Review));
        assert_eq!(T::Submit.target(Published), None);
        assert_eq!(T::Publish.target(Review), Some(Published));
        assert_eq!(
            T::Publish.target(Spiked),
            None,
            "a spiked story is restored first"
        );
        assert_eq!(T::Publish.target(Published), None);
        assert_eq!(T::Unpublish.target(Published), Some(Unpublished));
        assert_eq!(T::Spike.target(Published), None, "unpublish before spiking");
        for from in [Draft, Review, Scheduled, Unpublished] {
            assert_eq!(T::Spike.target(from), Some(Spiked));
        }
        assert_eq!(T::Restore.target(Spiked), Some(Draft));
        assert_eq!(T::Schedule.target(Review), Some(Scheduled));
        assert_eq!(T::Unschedule.target(Scheduled), Some(Draft));
        assert_eq!(T::Return.target(Review), Some(Draft));
    }

    #[test]
    fn contributors_may_only_submit_their_own() {
        use Transition as T;
        assert_eq!(
            T::available(Status::Draft, Role::Contributor, 1, Some(1)),
            vec![T::Submit]
        );
        assert!(T::available(Status::Draft, Role::Contributor, 1, Some(2)).is_empty());
        assert!(T::available(Status::Review, Role::Contributor, 1, Some(1)).is_empty());
        let editor = T::available(Status::Review, Role::Editor, 1, Some(2));
        assert_eq!(
            editor,
            vec![T::Return, T::Schedule, T::Publish, T::Spike],
            "editor's moves on a story in review"
        );
        assert_eq!(
            T::available(Status::Published, Role::Editor, 1, Some(2)),
            vec![T::Unpublish]
        );
    }

    #[test]
    fn signature_lists_each_handler_once_in_order() {
        assert_eq!(desk_signature("টাইমস", ["এসআই"]), "টাইমস/এসআই");
        assert_eq!(
            desk_signature("টাইমস", ["এসআই", "আরকে", "এসআই", "", "  "]),
            "টাইমস/এসআই/আরকে"
        );
        assert_eq!(desk_signature("টাইমস", []), "টাইমস");
        assert_eq!(desk_signature("", ["এসআই"]), "এসআই");
    }

    #[test]
    fn initials_take_the_first_letter_of_each_word() {
        assert_eq!(suggested_initials("সাইফুল ইসলাম"), "সাই");
        assert_eq!(suggested_initials("Rahim Karim"), "RK");
        assert_eq!(suggested_initials(""), "");
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        for t in Transition::ALL {
            assert_eq!(Transition::parse(t.as_str()), Some(t));
        }
    }
}
