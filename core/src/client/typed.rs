//! Typed async methods per protocol, on top of [`Client::call`].
//!
//! Each resolves to the value the caller wants (a chat id, a list of chats) rather than the
//! general [`Reply`]; a reply of another shape is an [`Error::UnexpectedResponse`].

use super::{Client, Transport};
use crate::error::Error;
use crate::event::Reply;
use crate::model::{Chat, Message, Participant, Role};
use crate::{tada, talk, trueconf};

fn unexpected(wanted: &str, got: Reply) -> Error {
    Error::UnexpectedResponse {
        reason: format!("expected {wanted}, got {got:?}"),
    }
}

/// The message id from a [`Reply::MessageSent`].
fn sent_id(reply: Reply) -> Result<String, Error> {
    match reply {
        Reply::MessageSent { message_id, .. } => Ok(message_id),
        other => Err(unexpected("a sent message", other)),
    }
}

impl<T: Transport> Client<trueconf::TrueConfSession, T> {
    /// `createGroupChat`; resolves to the new chat's id.
    pub async fn create_group_chat(&self, title: &str) -> Result<String, Error> {
        let title = title.to_string();
        chat_id(
            self.call(move |s, now| s.create_group_chat(now, &title))
                .await?,
        )
    }

    /// `createP2PChat`; resolves to the chat's id.
    pub async fn create_p2p_chat(&self, user_id: &str) -> Result<String, Error> {
        let user = user_id.to_string();
        chat_id(
            self.call(move |s, now| s.create_p2p_chat(now, &user))
                .await?,
        )
    }

    /// `createChannel`; resolves to the new channel's id.
    pub async fn create_channel(&self, title: &str) -> Result<String, Error> {
        let title = title.to_string();
        chat_id(
            self.call(move |s, now| s.create_channel(now, &title))
                .await?,
        )
    }

    /// `addChatParticipant`.
    pub async fn add_participant(&self, chat_id: &str, user_id: &str) -> Result<(), Error> {
        let (chat, user) = (chat_id.to_string(), user_id.to_string());
        self.call(move |s, now| s.add_chat_participant(now, &chat, &user, None))
            .await
            .map(drop)
    }

    /// `changeParticipantRole`.
    pub async fn change_role(&self, chat_id: &str, user_id: &str, role: Role) -> Result<(), Error> {
        let (chat, user) = (chat_id.to_string(), user_id.to_string());
        self.call(move |s, now| s.change_participant_role(now, &chat, &user, role.clone()))
            .await
            .map(drop)
    }

    /// `getChats` page `page` (from 1) of `count` chats.
    pub async fn get_chats(&self, count: u32, page: u32) -> Result<Vec<Chat>, Error> {
        match self
            .call(move |s, now| s.get_chats(now, count, page))
            .await?
        {
            Reply::Chats { chats } => Ok(chats),
            other => Err(unexpected("chats", other)),
        }
    }

    /// `getChatParticipants` page `page_number` of `page_size`.
    pub async fn get_participants(
        &self,
        chat_id: &str,
        page_size: u32,
        page_number: u32,
    ) -> Result<Vec<Participant>, Error> {
        let chat_id = chat_id.to_string();
        let request = move || trueconf::Request::GetChatParticipants {
            chat_id: chat_id.clone(),
            page_size,
            page_number,
        };
        match self.call(move |s, now| s.request(now, request())).await? {
            Reply::Participants { participants } => Ok(participants),
            other => Err(unexpected("participants", other)),
        }
    }

    /// `sendMessage`; resolves to the new message's id.
    pub async fn send_message(
        &self,
        chat_id: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> Result<String, Error> {
        sent_id(self.send_text(chat_id, text, reply_to).await?)
    }

    /// `getChatHistory`: up to `count` messages before `from_message_id`, oldest first.
    pub async fn get_history(
        &self,
        chat_id: &str,
        count: u32,
        from_message_id: Option<&str>,
    ) -> Result<Vec<Message>, Error> {
        let (chat, from) = (chat_id.to_string(), from_message_id.map(str::to_string));
        match self
            .call(move |s, now| s.get_chat_history(now, &chat, count, from.as_deref()))
            .await?
        {
            Reply::Messages { messages } => Ok(messages),
            other => Err(unexpected("messages", other)),
        }
    }
}

fn chat_id(reply: Reply) -> Result<String, Error> {
    match reply {
        Reply::ChatId { chat_id } => Ok(chat_id),
        other => Err(unexpected("a chat id", other)),
    }
}

impl<T: Transport> Client<tada::TadaSession, T> {
    /// Sends a text message to `jid`; resolves to its message id once the server confirmed it.
    pub async fn send_message(&self, jid: &str, text: &str) -> Result<String, Error> {
        sent_id(self.send_text(jid, text, None).await?)
    }

    /// Deletes a message; resolves when the server confirmed.
    pub async fn delete_message(&self, message_id: &str) -> Result<(), Error> {
        let id = message_id.to_string();
        self.call(move |s, now| s.delete_message(now, &id))
            .await
            .map(drop)
    }
}

impl<T: Transport> Client<talk::TalkSession, T> {
    /// Starts receiving `room`: history first, then long-polls; messages arrive as events.
    pub fn join_room(&self, room: &str) -> Result<(), Error> {
        self.with_session(|s, now| s.join_room(now, room))
    }

    /// Posts `text` to `room`; resolves to the new message's id (as decimal text).
    pub async fn send_message(
        &self,
        room: &str,
        text: &str,
        reply_to: Option<i64>,
        silent: bool,
    ) -> Result<String, Error> {
        let (room, text) = (room.to_string(), text.to_string());
        sent_id(
            self.call(move |s, now| s.send_message(now, &room, &text, reply_to, silent))
                .await?,
        )
    }

    /// Mention suggestions for `search` in `room`.
    pub async fn mentions(
        &self,
        room: &str,
        search: &str,
        limit: u32,
    ) -> Result<Vec<talk::Mention>, Error> {
        let (room, search) = (room.to_string(), search.to_string());
        match self
            .call(move |s, now| s.mentions(now, &room, &search, limit))
            .await?
        {
            Reply::Mentions { suggestions } => Ok(suggestions),
            other => Err(unexpected("mentions", other)),
        }
    }

    /// The next page of older messages in `room`, oldest first.
    pub async fn load_older(&self, room: &str, limit: u32) -> Result<Vec<Message>, Error> {
        let room = room.to_string();
        match self
            .call(move |s, now| s.load_older(now, &room, limit))
            .await?
        {
            Reply::Messages { messages } => Ok(messages),
            other => Err(unexpected("messages", other)),
        }
    }
}
