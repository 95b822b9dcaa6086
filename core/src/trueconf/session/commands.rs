//! Commands: what the app asks a TrueConf session to send (chats, participants, messages,
//! files, surveys, activity), each an entry of the pending table sent once authenticated.

use super::*;

impl TrueConfSession {
    /// `uploadFile` alone: opens an upload task (answered [`Reply::UploadTask`]); the app sends
    /// the bytes itself. [`TrueConfSession::upload_file`] does both steps.
    pub fn open_upload_task(
        &mut self,
        now: Timestamp,
        file_name: &str,
        file_size: u64,
    ) -> Result<RequestId, Error> {
        let file_name = file_name.to_string();
        self.request(
            now,
            Request::UploadFile {
                file_name,
                file_size,
            },
        )
    }

    /// Uploads `size` bytes that the host reads from `source`: `uploadFile`, then a
    /// [`Transmit::Upload`] to [`crate::trueconf::FILES_PATH`] with the task's `Upload-Task-Id`. Resolves
    /// with [`Reply::Uploaded`] (the `temporalFileId` for `sendFile` / `editChatAvatar`).
    pub fn upload_file(
        &mut self,
        now: Timestamp,
        source: &str,
        file_name: &str,
        size: u64,
        content_type: Option<&str>,
    ) -> Result<RequestId, Error> {
        self.plan_upload(now, source, file_name, size, content_type, None)
    }

    /// Uploads a file as [`TrueConfSession::upload_file`] does, then posts it to `chat_id`
    /// with `sendFile` and an optional caption; resolves with [`Reply::FileSent`].
    #[allow(clippy::too_many_arguments)]
    pub fn send_file(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        source: &str,
        file_name: &str,
        size: u64,
        content_type: Option<&str>,
        caption: Option<&str>,
        reply_to: Option<&str>,
    ) -> Result<RequestId, Error> {
        let target = SendTarget {
            chat_id: chat_id.to_string(),
            caption: caption.map(str::to_string),
            parse_mode: None,
            reply_to: reply_to.map(str::to_string),
        };
        self.plan_upload(now, source, file_name, size, content_type, Some(target))
    }

    fn plan_upload(
        &mut self,
        now: Timestamp,
        source: &str,
        file_name: &str,
        size: u64,
        content_type: Option<&str>,
        then_send: Option<SendTarget>,
    ) -> Result<RequestId, Error> {
        let id = self.open_upload_task(now, file_name, size)?;
        self.uploads.insert(
            id,
            PlannedUpload {
                source: source.to_string(),
                file_name: file_name.to_string(),
                content_type: content_type.map(str::to_string),
                size,
                then_send,
            },
        );
        Ok(id)
    }

    /// `sendFile` with a `temporalFileId` the app uploaded itself.
    pub fn send_uploaded_file(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        temporal_file_id: &str,
        caption: Option<&str>,
        reply_to: Option<&str>,
    ) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::SendFile {
                chat_id: chat_id.to_string(),
                temporal_file_id: temporal_file_id.to_string(),
                caption: caption.map(str::to_string),
                parse_mode: None,
                reply_message_id: reply_to.map(str::to_string),
            },
        )
    }

    /// Downloads file `file_id` into `destination` (the host's name for where to write):
    /// `getFileInfo`, then a [`Transmit::Download`] of its `downloadUrl`. A file still being
    /// uploaded is waited for (`subscribeFileProgress`, then `getFileInfo` again) up to the
    /// request timeout. Resolves with [`Reply::Downloaded`].
    pub fn download_file(
        &mut self,
        now: Timestamp,
        file_id: &str,
        destination: &str,
    ) -> Result<RequestId, Error> {
        let id = self.get_file_info(now, file_id)?;
        self.downloads.insert(
            id,
            PlannedDownload {
                destination: destination.to_string(),
                deadline: None,
            },
        );
        Ok(id)
    }

    /// `getFileInfo`.
    pub fn get_file_info(&mut self, now: Timestamp, file_id: &str) -> Result<RequestId, Error> {
        let file_id = file_id.to_string();
        self.request(now, Request::GetFileInfo { file_id })
    }

    /// `getFileUploadLimits`.
    pub fn get_file_upload_limits(&mut self, now: Timestamp) -> Result<RequestId, Error> {
        self.request(now, Request::GetFileUploadLimits)
    }

    /// `subscribeFileProgress`: [`Event::FileProgress`] follows for the file.
    pub fn subscribe_file_progress(
        &mut self,
        now: Timestamp,
        file_id: &str,
    ) -> Result<RequestId, Error> {
        let file_id = file_id.to_string();
        self.request(now, Request::SubscribeFileProgress { file_id })
    }

    /// `unsubscribeFileProgress`.
    pub fn unsubscribe_file_progress(
        &mut self,
        now: Timestamp,
        file_id: &str,
    ) -> Result<RequestId, Error> {
        let file_id = file_id.to_string();
        self.request(now, Request::UnsubscribeFileProgress { file_id })
    }

    /// `sendSurvey`.
    pub fn send_survey(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        survey: crate::trueconf::Survey,
        reply_to: Option<&str>,
    ) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::SendSurvey {
                chat_id: chat_id.to_string(),
                reply_message_id: reply_to.map(str::to_string),
                survey,
            },
        )
    }

    /// `editSurvey`.
    pub fn edit_survey(
        &mut self,
        now: Timestamp,
        message_id: &str,
        survey: crate::trueconf::Survey,
    ) -> Result<RequestId, Error> {
        let message_id = message_id.to_string();
        self.request(now, Request::EditSurvey { message_id, survey })
    }

    /// `answerCommand`: answers an [`Event::CommandReceived`].
    pub fn answer_command(
        &mut self,
        now: Timestamp,
        answer: crate::trueconf::CommandAnswer,
    ) -> Result<RequestId, Error> {
        self.request(now, Request::AnswerCommand { answer })
    }

    /// `sendChatActivity` (`typing`, `choosing_sticker`, `uploading_file`).
    pub fn send_chat_activity(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        activity_type: &str,
    ) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::SendChatActivity {
                chat_id: chat_id.to_string(),
                activity_type: activity_type.to_string(),
            },
        )
    }

    /// `getUserDisplayName`.
    pub fn get_user_display_name(
        &mut self,
        now: Timestamp,
        user_id: &str,
    ) -> Result<RequestId, Error> {
        let user_id = user_id.to_string();
        self.request(now, Request::GetUserDisplayName { user_id })
    }

    /// `createP2PChat`.
    pub fn create_p2p_chat(&mut self, now: Timestamp, user_id: &str) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::CreateP2pChat {
                user_id: user_id.into(),
            },
        )
    }

    /// `createGroupChat`.
    pub fn create_group_chat(&mut self, now: Timestamp, title: &str) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::CreateGroupChat {
                title: title.into(),
            },
        )
    }

    /// `createChannel`.
    pub fn create_channel(&mut self, now: Timestamp, title: &str) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::CreateChannel {
                title: title.into(),
            },
        )
    }

    /// `createFavoritesChat`.
    pub fn create_favorites_chat(&mut self, now: Timestamp) -> Result<RequestId, Error> {
        self.request(now, Request::CreateFavoritesChat)
    }

    /// `addChatParticipant`.
    pub fn add_chat_participant(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        user_id: &str,
        display_history: Option<bool>,
    ) -> Result<RequestId, Error> {
        let (chat_id, user_id) = (chat_id.into(), user_id.into());
        self.request(
            now,
            Request::AddChatParticipant {
                chat_id,
                user_id,
                display_history,
            },
        )
    }

    /// `removeChatParticipant`.
    pub fn remove_chat_participant(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        user_id: &str,
        clear_history: Option<bool>,
    ) -> Result<RequestId, Error> {
        let (chat_id, user_id) = (chat_id.into(), user_id.into());
        self.request(
            now,
            Request::RemoveChatParticipant {
                chat_id,
                user_id,
                clear_history,
            },
        )
    }

    /// `changeParticipantRole`.
    pub fn change_participant_role(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<RequestId, Error> {
        let (chat_id, user_id) = (chat_id.into(), user_id.into());
        self.request(
            now,
            Request::ChangeParticipantRole {
                chat_id,
                user_id,
                role,
            },
        )
    }

    /// `getChats` (page from 1).
    pub fn get_chats(&mut self, now: Timestamp, count: u32, page: u32) -> Result<RequestId, Error> {
        self.request(now, Request::GetChats { count, page })
    }

    /// `getChatByID`.
    pub fn get_chat(&mut self, now: Timestamp, chat_id: &str) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::GetChatById {
                chat_id: chat_id.into(),
            },
        )
    }

    /// `sendMessage` with a parse mode and an optional reply.
    pub fn send_message(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        text: &str,
        parse_mode: Option<&str>,
        reply_to: Option<&str>,
    ) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::SendMessage {
                chat_id: chat_id.into(),
                text: text.into(),
                parse_mode: parse_mode.map(str::to_string),
                reply_message_id: reply_to.map(str::to_string),
            },
        )
    }

    /// `getChatHistory`.
    pub fn get_chat_history(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        count: u32,
        from_message_id: Option<&str>,
    ) -> Result<RequestId, Error> {
        let from_message_id = from_message_id.map(str::to_string);
        self.request(
            now,
            Request::GetChatHistory {
                chat_id: chat_id.into(),
                count,
                from_message_id,
            },
        )
    }
}
