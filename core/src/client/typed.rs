//! Typed commands per protocol, on top of [`Client::call`].
//!
//! Each queues its request when called and returns a `'static` future of the value the caller
//! wants (a chat id, a list of chats) rather than the general [`Reply`]; a reply of another
//! shape is an [`Error::UnexpectedResponse`].

use super::{Call, Client};
use crate::error::Error;
use crate::event::Reply;
use crate::model::{Chat, Message, Participant, Role};
#[cfg(feature = "tada")]
use crate::tada;
#[cfg(feature = "talk")]
use crate::talk;
use crate::time::Timestamp;
#[cfg(feature = "trueconf")]
use crate::trueconf;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future a typed command returns: the value the caller wants, taken from the command's
/// [`Call`] reply.
///
/// A [`Call`] with a picker, not a boxed future: `Unpin`, `Send` and `'static`, nameable and
/// storable without a box, and one allocation fewer per command. Like the [`Call`] it holds,
/// dropping it does not withdraw the request, it only stops listening.
#[must_use = "the request is already queued; await the call to learn its outcome"]
pub struct TypedCall<T> {
    call: Call,
    pick: fn(Reply) -> Result<T, Error>,
}

impl<T> Future for TypedCall<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let pick = self.pick;
        Pin::new(&mut self.call)
            .poll(cx)
            .map(|reply| reply.and_then(pick))
    }
}

pub(super) fn typed<T>(call: Call, pick: fn(Reply) -> Result<T, Error>) -> TypedCall<T> {
    TypedCall { call, pick }
}

/// Names the reply's type only: a `Debug` dump of the reply would pull every reply type's
/// `Debug` impl (and the formatting machinery) into every build, wasm included.
pub(super) fn unexpected(wanted: &str, got: Reply) -> Error {
    Error::UnexpectedResponse {
        reason: format!("expected {wanted}, got a `{}` reply", got.type_name()),
    }
}

pub(super) fn sent_id(reply: Reply) -> Result<String, Error> {
    match reply {
        Reply::MessageSent { message_id, .. } => Ok(message_id),
        other => Err(unexpected("a sent message", other)),
    }
}

fn chat_id(reply: Reply) -> Result<String, Error> {
    match reply {
        Reply::ChatId { chat_id } => Ok(chat_id),
        other => Err(unexpected("a chat id", other)),
    }
}

pub(super) fn nothing(_: Reply) -> Result<(), Error> {
    Ok(())
}

fn chats(reply: Reply) -> Result<Vec<Chat>, Error> {
    match reply {
        Reply::Chats { chats } => Ok(chats),
        other => Err(unexpected("chats", other)),
    }
}

fn participants(reply: Reply) -> Result<Vec<Participant>, Error> {
    match reply {
        Reply::Participants { participants } => Ok(participants),
        other => Err(unexpected("participants", other)),
    }
}

fn messages(reply: Reply) -> Result<Vec<Message>, Error> {
    match reply {
        Reply::Messages { messages } => Ok(messages),
        other => Err(unexpected("messages", other)),
    }
}

#[cfg(feature = "talk")]
fn mentions(reply: Reply) -> Result<Vec<talk::Mention>, Error> {
    match reply {
        Reply::Mentions { suggestions } => Ok(suggestions),
        other => Err(unexpected("mentions", other)),
    }
}

#[cfg(feature = "trueconf")]
impl Client<trueconf::TrueConfSession> {
    /// `createGroupChat`; resolves to the new chat's id.
    pub fn create_group_chat(&self, now: Timestamp, title: &str) -> TypedCall<String> {
        let title = title.to_string();
        let call = self.call(now, move |s, now| s.create_group_chat(now, &title));
        typed(call, chat_id)
    }

    /// `createP2PChat`; resolves to the chat's id.
    pub fn create_p2p_chat(&self, now: Timestamp, user_id: &str) -> TypedCall<String> {
        let user = user_id.to_string();
        let call = self.call(now, move |s, now| s.create_p2p_chat(now, &user));
        typed(call, chat_id)
    }

    /// `createChannel`; resolves to the new channel's id.
    pub fn create_channel(&self, now: Timestamp, title: &str) -> TypedCall<String> {
        let title = title.to_string();
        let call = self.call(now, move |s, now| s.create_channel(now, &title));
        typed(call, chat_id)
    }

    /// `addChatParticipant`.
    pub fn add_participant(&self, now: Timestamp, chat_id: &str, user_id: &str) -> TypedCall<()> {
        let (chat, user) = (chat_id.to_string(), user_id.to_string());
        let call = self.call(now, move |s, now| {
            s.add_chat_participant(now, &chat, &user, None)
        });
        typed(call, nothing)
    }

    /// `changeParticipantRole`.
    pub fn change_role(
        &self,
        now: Timestamp,
        chat_id: &str,
        user_id: &str,
        role: Role,
    ) -> TypedCall<()> {
        let (chat, user) = (chat_id.to_string(), user_id.to_string());
        let call = self.call(now, move |s, now| {
            s.change_participant_role(now, &chat, &user, role.clone())
        });
        typed(call, nothing)
    }

    /// `getChats` page `page` (from 1) of `count` chats.
    pub fn get_chats(&self, now: Timestamp, count: u32, page: u32) -> TypedCall<Vec<Chat>> {
        let call = self.call(now, move |s, now| s.get_chats(now, count, page));
        typed(call, chats)
    }

    /// `getChatParticipants` page `page_number` of `page_size`.
    pub fn get_participants(
        &self,
        now: Timestamp,
        chat_id: &str,
        page_size: u32,
        page_number: u32,
    ) -> TypedCall<Vec<Participant>> {
        let chat_id = chat_id.to_string();
        let call = self.call(now, move |s, now| {
            let request = trueconf::Request::GetChatParticipants {
                chat_id: chat_id.clone(),
                page_size,
                page_number,
            };
            s.request(now, request)
        });
        typed(call, participants)
    }

    /// `sendMessage`; resolves to the new message's id.
    pub fn send_message(
        &self,
        now: Timestamp,
        chat_id: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> TypedCall<String> {
        typed(self.send_text(now, chat_id, text, reply_to), sent_id)
    }

    /// `getChatHistory`: up to `count` messages before `from_message_id`, oldest first.
    pub fn get_history(
        &self,
        now: Timestamp,
        chat_id: &str,
        count: u32,
        from_message_id: Option<&str>,
    ) -> TypedCall<Vec<Message>> {
        let (chat, from) = (chat_id.to_string(), from_message_id.map(str::to_string));
        let call = self.call(now, move |s, now| {
            s.get_chat_history(now, &chat, count, from.as_deref())
        });
        typed(call, messages)
    }
}

#[cfg(feature = "tada")]
impl Client<tada::TadaSession> {
    /// Sends a text message to `jid`; resolves to its message id once the server confirmed it.
    pub fn send_message(&self, now: Timestamp, jid: &str, text: &str) -> TypedCall<String> {
        typed(self.send_text(now, jid, text, None), sent_id)
    }

    /// Deletes a message; resolves when the server confirmed.
    pub fn delete_message(&self, now: Timestamp, message_id: &str) -> TypedCall<()> {
        let id = message_id.to_string();
        let call = self.call(now, move |s, now| s.delete_message(now, &id));
        typed(call, nothing)
    }
}

#[cfg(feature = "talk")]
impl Client<talk::TalkSession> {
    /// Starts receiving `room`: history first, then long-polls; messages arrive as events.
    pub fn join_room(&self, now: Timestamp, room: &str) -> Result<(), Error> {
        self.with_open_session(now, |s, now| s.join_room(now, room))
    }

    /// Posts `text` to `room`; resolves to the new message's id (as decimal text).
    pub fn send_message(
        &self,
        now: Timestamp,
        room: &str,
        text: &str,
        reply_to: Option<i64>,
        silent: bool,
    ) -> TypedCall<String> {
        let (room, text) = (room.to_string(), text.to_string());
        let call = self.call(now, move |s, now| {
            s.send_message(now, &room, &text, reply_to, silent)
        });
        typed(call, sent_id)
    }

    /// Mention suggestions for `search` in `room`.
    pub fn mentions(
        &self,
        now: Timestamp,
        room: &str,
        search: &str,
        limit: u32,
    ) -> TypedCall<Vec<talk::Mention>> {
        let (room, search) = (room.to_string(), search.to_string());
        let call = self.call(now, move |s, now| s.mentions(now, &room, &search, limit));
        typed(call, mentions)
    }

    /// The next page of older messages in `room`, oldest first.
    pub fn load_older(&self, now: Timestamp, room: &str, limit: u32) -> TypedCall<Vec<Message>> {
        let room = room.to_string();
        let call = self.call(now, move |s, now| s.load_older(now, &room, limit));
        typed(call, messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_of_another_shape_is_named_by_its_type_not_dumped() {
        let reply = Reply::Chats { chats: Vec::new() };
        let Error::UnexpectedResponse { reason } = chat_id(reply).unwrap_err() else {
            panic!("not an UnexpectedResponse");
        };
        assert_eq!(reason, "expected a chat id, got a `chats` reply");
    }
}
