//! Typed Talk commands for editing, deleting and reacting to messages, opening rooms and
//! watching the room list, on top of [`Client::call`].

use super::typed::{nothing, typed, unexpected, TypedCall};
use super::Client;
use crate::error::Error;
use crate::event::Reply;
use crate::model::{Chat, Message};
use crate::talk;
use crate::time::Timestamp;

fn message(reply: Reply) -> Result<Message, Error> {
    match reply {
        Reply::Message { message } => Ok(message),
        other => Err(unexpected("a message", other)),
    }
}

fn chat(reply: Reply) -> Result<Chat, Error> {
    match reply {
        Reply::Chat { chat } => Ok(chat),
        other => Err(unexpected("a chat", other)),
    }
}

impl Client<talk::TalkSession> {
    /// Replaces message `message_id` of `room` by `text`; resolves to the message as edited.
    /// Fails with [`talk::HttpError::Unsupported`] on a server without `edit-messages`
    /// (Talk 18 and older), found from its capabilities or its 405.
    pub fn edit_message(
        &self,
        now: Timestamp,
        room: &str,
        message_id: i64,
        text: &str,
    ) -> TypedCall<Message> {
        let (room, text) = (room.to_string(), text.to_string());
        let call = self.call(now, move |s, now| {
            s.edit_message(now, &room, message_id, &text)
        });
        typed(call, message)
    }

    /// Deletes message `message_id` of `room`; every reader gets
    /// [`crate::Event::MessageRemoved`].
    pub fn delete_message(&self, now: Timestamp, room: &str, message_id: i64) -> TypedCall<()> {
        let room = room.to_string();
        let call = self.call(now, move |s, now| s.delete_message(now, &room, message_id));
        typed(call, nothing)
    }

    /// Adds this user's `emoji` to message `message_id` of `room`.
    pub fn react(&self, now: Timestamp, room: &str, message_id: i64, emoji: &str) -> TypedCall<()> {
        let (room, emoji) = (room.to_string(), emoji.to_string());
        let call = self.call(now, move |s, now| s.react(now, &room, message_id, &emoji));
        typed(call, nothing)
    }

    /// Takes back this user's `emoji` from message `message_id` of `room`.
    pub fn unreact(
        &self,
        now: Timestamp,
        room: &str,
        message_id: i64,
        emoji: &str,
    ) -> TypedCall<()> {
        let (room, emoji) = (room.to_string(), emoji.to_string());
        let call = self.call(now, move |s, now| s.unreact(now, &room, message_id, &emoji));
        typed(call, nothing)
    }

    /// Looks `room` up and joins it from the server's read marker (unread counts as the
    /// server's); resolves to the room, or fails with [`talk::HttpError::NotFound`] when it
    /// does not exist or this user is not in it.
    pub fn open_room(&self, now: Timestamp, room: &str) -> TypedCall<Chat> {
        let room = room.to_string();
        let call = self.call(now, move |s, now| s.open_room(now, &room));
        typed(call, chat)
    }

    /// Reads the room list now and every 30 s after ([`talk::TalkSession::watch_rooms`]).
    pub fn watch_rooms(&self, now: Timestamp) -> Result<(), Error> {
        self.with_open_session(now, |s, now| {
            s.watch_rooms(now);
            Ok(())
        })
    }

    /// Reads the room list like [`Client::watch_rooms`] and joins every room it shows
    /// ([`talk::TalkSession::join_listed_rooms`]).
    pub fn join_listed_rooms(&self, now: Timestamp) -> Result<(), Error> {
        self.with_open_session(now, |s, now| {
            s.join_listed_rooms(now);
            Ok(())
        })
    }
}
