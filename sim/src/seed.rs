//! The seeded accounts, chats and rooms. Everything here is fixed: the same on every run,
//! whatever the seed, so tests and other languages' bindings can hard-code them.

/// One seeded account and its credentials in each protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimUser {
    /// Login name: `alice`, `bob`, `carol`. Also the Nextcloud Talk user id.
    pub name: &'static str,
    /// Display name (`Alice`, ...), used by Talk's `actorDisplayName` and tada's contacts.
    pub display_name: &'static str,
    /// Password for the TrueConf OAuth token endpoint: name + `-pass`.
    pub password: &'static str,
    /// Nextcloud app password for HTTP Basic auth: name + `-app-pass` (the plain `password`
    /// is accepted too, as Nextcloud does without two-factor auth).
    pub app_password: &'static str,
    /// TrueConf user id: name + `@sim.local`.
    pub trueconf_id: &'static str,
    /// tada `token` header value (or `token` cookie, for browsers): name + `-token`. The
    /// Nextcloud browser session cookie `nc_session_id` is seeded as name + `-session`.
    pub tada_token: &'static str,
    /// tada contact jid (`d-` + a fixed UUID); also the jid of the direct chat with this user.
    pub tada_jid: &'static str,
}

/// Domain of the TrueConf user ids (`alice@sim.local`).
pub const TRUECONF_DOMAIN: &str = "sim.local";

/// The tada team uid: connect to `/messaging/team-sim`.
pub const TADA_TEAM: &str = "team-sim";

/// The seeded tada group chat holding alice, bob and carol (display name "Sim team").
pub const TADA_GROUP_JID: &str = "g-5eed0000-0000-4000-8000-000000000001";

/// Talk group room (type 2) "All of us" with alice (owner), bob and carol; its history starts
/// with `conversation_created` and three `user_added` system messages.
pub const TALK_ROOM_ALL: &str = "room-all";
/// Talk one-to-one room (type 1) of alice (owner) and bob: each sees it named after the other
/// (`name` = the other's id, `displayName` = the other's display name); its history is
/// `conversation_created`.
pub const TALK_ROOM_AB: &str = "room-ab";
/// Talk group room "Waiting room" owned by bob with the lobby on: alice is in the lobby (every
/// chat request of hers answers 412; the room list shows it with its chat data withheld).
pub const TALK_ROOM_LOBBY: &str = "room-lobby";
/// Read-only Talk group room "Announcements" (owner alice) with all three: reading works,
/// posting, editing, deleting and reacting answer 403.
pub const TALK_ROOM_RO: &str = "room-ro";

static USERS: [SimUser; 3] = [
    SimUser {
        name: "alice",
        display_name: "Alice",
        password: "alice-pass",
        app_password: "alice-app-pass",
        trueconf_id: "alice@sim.local",
        tada_token: "alice-token",
        tada_jid: "d-a11ce000-0000-4000-8000-000000000001",
    },
    SimUser {
        name: "bob",
        display_name: "Bob",
        password: "bob-pass",
        app_password: "bob-app-pass",
        trueconf_id: "bob@sim.local",
        tada_token: "bob-token",
        tada_jid: "d-b0b00000-0000-4000-8000-000000000002",
    },
    SimUser {
        name: "carol",
        display_name: "Carol",
        password: "carol-pass",
        app_password: "carol-app-pass",
        trueconf_id: "carol@sim.local",
        tada_token: "carol-token",
        tada_jid: "d-ca201000-0000-4000-8000-000000000003",
    },
];

/// The seeded accounts: alice, bob and carol, in that order.
///
/// | name | password | Talk app password | TrueConf id | tada token | tada jid |
/// |---|---|---|---|---|---|
/// | alice | alice-pass | alice-app-pass | alice@sim.local | alice-token | d-a11ce000-0000-4000-8000-000000000001 |
/// | bob | bob-pass | bob-app-pass | bob@sim.local | bob-token | d-b0b00000-0000-4000-8000-000000000002 |
/// | carol | carol-pass | carol-app-pass | carol@sim.local | carol-token | d-ca201000-0000-4000-8000-000000000003 |
///
/// tada: team [`TADA_TEAM`], group chat [`TADA_GROUP_JID`] with all three, and a direct chat
/// between each pair (seen by each side under the other's jid). Talk: rooms [`TALK_ROOM_ALL`],
/// [`TALK_ROOM_AB`], [`TALK_ROOM_LOBBY`], [`TALK_ROOM_RO`]. TrueConf starts with no chats.
pub fn users() -> &'static [SimUser] {
    &USERS
}

/// Index of a user by a predicate; `None` when no seeded user matches.
pub(crate) fn find(pred: impl Fn(&SimUser) -> bool) -> Option<usize> {
    USERS.iter().position(pred)
}

/// The seeded user at `idx` (an index returned by [`find`]).
pub(crate) fn user(idx: usize) -> &'static SimUser {
    &USERS[idx]
}
